//! Connecting (kubeconfig, context), resolving kinds through discovery, and bounded retries.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::api::{Api, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError, LoadDataError};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::{Client, Config};

use crate::{Error, ObjectRef};

/// Which cluster: `--kubeconfig` (else `KUBECONFIG`, else `~/.kube/config`) and `--context`.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// A client for the target's cluster.
pub async fn connect(target: &Target) -> Result<Client, Error> {
    let options = KubeConfigOptions {
        context: target.context.clone(),
        ..KubeConfigOptions::default()
    };
    let (mut config, from) = match read_kubeconfig(target) {
        Ok((kc, from)) => {
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| Error::Kubeconfig(format!("{from}: {}", load_message(&e))))?;
            (config, from)
        }
        // In a pod (`hms-sys controller run` in its Deployment): no kubeconfig, so the pod's
        // service account, as kubectl and client-go do. Only when nothing names a kubeconfig or
        // a context, so a kubeconfig that was asked for is never silently replaced.
        Err(Error::NoKubeconfig(why))
            if target.kubeconfig.is_none()
                && target.context.is_none()
                && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() =>
        {
            let config = Config::incluster().map_err(|e| {
                Error::NoKubeconfig(format!(
                    "{why}, and the in-cluster configuration (KUBERNETES_SERVICE_HOST is set) \
                     cannot be loaded: {e}"
                ))
            })?;
            (config, "the pod's service account".to_string())
        }
        Err(e) => return Err(e),
    };
    let bad = |e: &dyn std::fmt::Display| Error::Kubeconfig(format!("{from}: {e}"));
    // One retry policy, ours (`retry` below: bounded, honours the server's retryAfterSeconds
    // up to 30 s). kube's own layer would retry 429/503/504 up to 15 more times per attempt.
    config.default_retry = false;
    // Every request gets an answer within a minute or fails (and is retried, bounded).
    config.read_timeout = Some(REQUEST_TIMEOUT);
    Client::try_from(config).map_err(|e| bad(&e))
}

/// Reads the kubeconfig as kubectl finds it: `--kubeconfig`, else the files `KUBECONFIG` lists
/// (merged, the first to set a value wins; a listed file that does not exist is skipped, as
/// client-go skips it), else `~/.kube/config`. Returns it with where it came from, in words.
/// When there is none, [`Error::NoKubeconfig`] says where it looked.
fn read_kubeconfig(target: &Target) -> Result<(Kubeconfig, String), Error> {
    let read = |path: &Path| -> Result<Option<Kubeconfig>, Error> {
        match Kubeconfig::read_from(path) {
            Ok(kc) => Ok(Some(kc)),
            Err(KubeconfigError::ReadConfig(e, _)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(Error::Kubeconfig(format!(
                "`{}`: {}",
                path.display(),
                load_message(&e)
            ))),
        }
    };
    if let Some(path) = &target.kubeconfig {
        let shown = format!("`{}`", path.display());
        return match read(path)? {
            Some(kc) => Ok((kc, shown)),
            None => Err(Error::NoKubeconfig(format!(
                "{shown} (given with --kubeconfig) does not exist"
            ))),
        };
    }
    let listed: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        let names: Vec<String> = listed
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        let mut merged: Option<Kubeconfig> = None;
        let mut found = Vec::new();
        for path in &listed {
            if let Some(kc) = read(path)? {
                found.push(format!("`{}`", path.display()));
                merged = Some(match merged {
                    None => kc,
                    Some(m) => m.merge(kc).map_err(|e| {
                        Error::Kubeconfig(format!("from KUBECONFIG ({}): {e}", names.join(", ")))
                    })?,
                });
            }
        }
        return match merged {
            Some(kc) => Ok((kc, found.join(", "))),
            None if names.len() == 1 => Err(Error::NoKubeconfig(format!(
                "{} (from the KUBECONFIG variable) does not exist",
                names[0]
            ))),
            None => Err(Error::NoKubeconfig(format!(
                "none of the files the KUBECONFIG variable lists exists: {}",
                names.join(", ")
            ))),
        };
    }
    let Some(path) = std::env::home_dir().map(|h| h.join(".kube").join("config")) else {
        return Err(Error::NoKubeconfig(
            "KUBECONFIG names no file and there is no home directory to find .kube/config in"
                .into(),
        ));
    };
    let shown = format!("`{}`", path.display());
    let variable = if std::env::var_os("KUBECONFIG").is_some() {
        "KUBECONFIG is empty"
    } else {
        "KUBECONFIG is not set"
    };
    match read(&path)? {
        Some(kc) => Ok((kc, shown)),
        None => Err(Error::NoKubeconfig(format!(
            "{shown} (the default; {variable}) does not exist"
        ))),
    }
}

/// kube's message for a kubeconfig it could not load (the caller names the kubeconfig), with
/// the files it names quoted once (kube's own messages quote a path twice:
/// `'"/root/.kube/config"'`).
fn load_message(e: &KubeconfigError) -> String {
    let file = |what: &str, e: &LoadDataError| match e {
        LoadDataError::ReadFile(io, path) => {
            format!("cannot read the {what} `{}`: {io}", path.display())
        }
        other => format!("cannot load the {what}: {other}"),
    };
    match e {
        // The caller names the file.
        KubeconfigError::ReadConfig(io, _) => format!("cannot read it: {io}"),
        KubeconfigError::LoadCertificateAuthority(e) => file("certificate authority", e),
        KubeconfigError::LoadClientCertificate(e) => file("client certificate", e),
        KubeconfigError::LoadClientKey(e) => file("client key", e),
        // Only the first line: the rest is an excerpt of the file, which may hold credentials.
        KubeconfigError::Parse(_) => e.to_string().lines().next().unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

/// Kinds the cluster serves, resolved through discovery: once per operation, and again for the
/// groups of CRDs the operation itself installs ([`Kinds::refresh`]).
pub struct Kinds {
    discovery: Discovery,
    /// The latest [`Kinds::refresh`], consulted first.
    refreshed: Option<Discovery>,
}

/// Discovery for `groups` (the `groups` of `Kind.group` spellings, plus the core group when
/// `core`), with our retries.
async fn discovery(
    client: &Client,
    group_kinds: &BTreeSet<String>,
    core: bool,
) -> Result<Discovery, Error> {
    let groups: BTreeSet<String> = group_kinds
        .iter()
        .map(|gk| crate::applyset::split_group_kind(gk).0)
        .chain(core.then(String::new))
        .collect();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    retry("discovery", || {
        Discovery::new(client.clone()).filter(&groups).run()
    })
    .await
}

impl Kinds {
    /// Runs discovery for the groups of `group_kinds` (`Kind.group` spellings).
    pub async fn discover(client: &Client, group_kinds: &BTreeSet<String>) -> Result<Kinds, Error> {
        Ok(Kinds {
            discovery: discovery(client, group_kinds, true).await?,
            refreshed: None,
        })
    }

    /// Runs discovery again for the groups of `group_kinds` (kinds whose CRDs were just
    /// established); its answer takes precedence over earlier ones for those groups.
    pub async fn refresh(
        &mut self,
        client: &Client,
        group_kinds: &BTreeSet<String>,
    ) -> Result<(), Error> {
        self.refreshed = Some(discovery(client, group_kinds, false).await?);
        Ok(())
    }

    /// Newest answer first.
    fn answers(&self) -> impl Iterator<Item = &Discovery> {
        self.refreshed.iter().chain([&self.discovery])
    }

    /// The resource of an object's group/version/kind.
    pub fn resolve(&self, r: &ObjectRef) -> Result<(ApiResource, ApiCapabilities), Error> {
        let gvk = kube::core::GroupVersionKind::gvk(&r.group, &r.version, &r.kind);
        self.answers()
            .find_map(|d| d.resolve_gvk(&gvk))
            .ok_or_else(|| Error::UnknownKind(format!("{}/{} {}", r.group, r.version, r.kind)))
    }

    /// The preferred resource of a group-kind, if the cluster serves it.
    pub fn resolve_group_kind(&self, gk: &str) -> Option<(ApiResource, ApiCapabilities)> {
        let (group, kind) = crate::applyset::split_group_kind(gk);
        self.answers()
            .find_map(|d| d.get(&group)?.recommended_kind(&kind))
    }
}

/// The API for one object (namespaced or not, as discovery says).
pub fn api_for(
    client: &Client,
    ar: &ApiResource,
    caps: &ApiCapabilities,
    namespace: &str,
) -> Api<DynamicObject> {
    if caps.scope == Scope::Namespaced && !namespace.is_empty() {
        Api::namespaced_with(client.clone(), namespace, ar)
    } else {
        Api::all_with(client.clone(), ar)
    }
}

/// Attempts per request before giving up.
pub const ATTEMPTS: u32 = 6;

/// How long one HTTP request may wait for its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `f` until it succeeds, fails for good, or `ATTEMPTS` tries are spent. Retries 429 and
/// 5xx (honouring the server's `retryAfterSeconds`) and connection errors, backing off
/// 100 ms, 200 ms, ... up to 3 s.
pub async fn retry<T, F, Fut>(what: &str, f: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    retry_raw(what, f).await.map_err(|e| api_error(what, e))
}

/// [`retry`], keeping kube's error (to read a 409's status).
pub async fn retry_raw<T, F, Fut>(what: &str, mut f: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => match retry_delay(&e, attempt) {
                Some(delay) if attempt < ATTEMPTS => {
                    // Shown by default: a person waiting should see why nothing moves.
                    tracing::warn!(
                        "{what}: {e}; retrying in {delay:?} (attempt {attempt} of {ATTEMPTS})"
                    );
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(e),
            },
        }
    }
}

/// How long to wait before retrying `e`, or `None` when it must not be retried.
pub fn retry_delay(e: &kube::Error, attempt: u32) -> Option<Duration> {
    let backoff = Duration::from_millis(100u64 << attempt.min(5).saturating_sub(1))
        .min(Duration::from_secs(3));
    match e {
        kube::Error::Api(s) if s.code == 429 || (500..600).contains(&s.code) => {
            let server = s
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(u64::from(s).min(30)));
            Some(server.unwrap_or(backoff))
        }
        // "The object has been modified": optimistic concurrency, not a field-manager conflict.
        kube::Error::Api(s) if s.code == 409 && !is_field_conflict(s) => Some(backoff),
        kube::Error::Api(_) => None,
        // A TLS failure (an untrusted or wrong certificate) will not heal by retrying.
        kube::Error::HyperError(_) | kube::Error::Service(_) if is_tls_failure(e) => None,
        kube::Error::HyperError(_) | kube::Error::Service(_) => Some(backoff),
        _ => None,
    }
}

/// The errors `e` wraps, outermost first.
fn chain(e: &kube::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |c| c.source())
}

/// A TLS handshake failure: rustls's error ("invalid peer certificate: UnknownIssuer", ...)
/// somewhere in the chain, as text: hyper's connector boxes it in types we do not name.
fn is_tls_failure(e: &kube::Error) -> bool {
    chain(e).any(|c| {
        let text = c.to_string();
        text.contains("peer certificate") || text.contains("certificate verify")
    })
}

/// `e` with every cause, `a: b: c`, skipping causes already contained in the text.
fn describe(e: &kube::Error) -> String {
    let mut text = e.to_string();
    for cause in chain(e) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    if is_tls_failure(e) {
        text.push_str(
            " (the API server's certificate is not trusted: check the kubeconfig's server and \
             certificate-authority-data)",
        );
    }
    text
}

/// A 409 that names fields owned by other managers (server-side apply), never retried.
pub fn is_field_conflict(s: &kube::core::Status) -> bool {
    let named = s.details.as_ref().is_some_and(|d| {
        d.causes
            .iter()
            .any(|c| c.reason == "FieldManagerConflict" || !c.field.is_empty())
    });
    named || s.message.starts_with("Apply failed with")
}

/// A kube error as ours, naming the object.
pub fn api_error(what: &str, e: kube::Error) -> Error {
    let message = match &e {
        kube::Error::Api(s) => format!("{} ({} {})", s.message, s.code, s.reason),
        other => describe(other),
    };
    Error::Api {
        object: what.to_string(),
        message,
    }
}

/// Group-kinds of some object refs.
pub fn group_kinds<'a>(refs: impl IntoIterator<Item = &'a ObjectRef>) -> BTreeSet<String> {
    refs.into_iter().map(ObjectRef::group_kind).collect()
}

/// Objects by step (the key: lower first), in step order.
pub fn steps<K: Ord + Copy, T: Clone>(items: &[(K, T)]) -> Vec<Vec<T>> {
    let mut by: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for (rank, t) in items {
        by.entry(*rank).or_default().push(t.clone());
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn api(code: u16, retry_after: u32) -> kube::Error {
        let mut s = Status::failure("x", "y");
        s.code = code;
        if retry_after > 0 {
            s.details = serde_json::from_value(serde_json::json!({
                "retryAfterSeconds": retry_after
            }))
            .ok();
        }
        kube::Error::Api(Box::new(s))
    }

    #[test]
    fn retries_transient_errors_only() {
        assert_eq!(retry_delay(&api(429, 2), 1), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_delay(&api(500, 0), 1),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            retry_delay(&api(503, 0), 3),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            retry_delay(&api(500, 0), 9),
            Some(Duration::from_millis(1600))
        );
        // A 409 without field-manager causes is optimistic concurrency: retried.
        assert_eq!(
            retry_delay(&api(409, 0), 1),
            Some(Duration::from_millis(100))
        );
        assert_eq!(retry_delay(&api(404, 0), 1), None);
        assert_eq!(
            retry_delay(&api(429, 600), 1),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn field_conflicts_are_not_retried() {
        let s: Status = serde_json::from_value(serde_json::json!({
            "code": 409, "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas",
            "details": {"causes": [{"reason": "FieldManagerConflict", "field": ".spec.replicas"}]}
        }))
        .expect("a Status");
        assert_eq!(retry_delay(&kube::Error::Api(Box::new(s)), 1), None);
    }

    #[test]
    fn tls_failures_are_not_retried_and_say_what_to_check() {
        let tls = kube::Error::Service(Box::new(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "invalid peer certificate: UnknownIssuer",
        )));
        assert_eq!(retry_delay(&tls, 1), None);
        let text = api_error("x", tls).to_string();
        assert!(text.contains("UnknownIssuer"), "{text}");
        assert!(text.contains("certificate-authority-data"), "{text}");
        let refused = kube::Error::Service(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(retry_delay(&refused, 1), Some(Duration::from_millis(100)));
    }

    #[test]
    fn steps_keep_rank_order() {
        let s = steps(&[(7, "d"), (1, "ns"), (7, "e"), (3, "pvc")]);
        assert_eq!(s, vec![vec!["ns"], vec!["pvc"], vec!["d", "e"]]);
    }
}
