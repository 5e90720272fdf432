//! The OCI distribution client: oci-client (reqwest, rustls on ring, the crypto provider the
//! Kubernetes client uses) behind a small blocking API, with the retry and timeout rules of a
//! registry and docker's credentials.
//!
//! **Invariants:**
//! - Every request has `Options::timeout` to answer (a blob's whole download ten times that);
//!   a connection failure, a timeout, 429 and 5xx are retried (`Options::attempts` in all,
//!   backing off from 250 ms), anything else is not.
//! - Credentials come from the docker config file (`$DOCKER_CONFIG/config.json`, else
//!   `~/.docker/config.json`, credential helpers included); none is anonymous.
//! - Plain HTTP only when asked (`--plain-http`).
//! - Pulled content goes into the store through [`Store::writer`]: checked against its digest
//!   before it is renamed into place; a manifest is stored after its blobs.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

use crate::artifact::{
    Artifact, Descriptor, MAX_MANIFEST_BYTES, Manifest, OCI_INDEX, OCI_MANIFEST, signature_tag,
};
use crate::store::{MAX_BLOB_BYTES, Store};
use crate::{Error, ErrorKind, RegistryRef, Result, digest_of};

/// How to talk to registries.
#[derive(Clone, Debug)]
pub struct Options {
    pub plain_http: bool,
    /// For one request to answer.
    pub timeout: Duration,
    /// Tries of one request, the first included.
    pub attempts: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            plain_http: false,
            timeout: Duration::from_secs(30),
            attempts: 4,
        }
    }
}

/// A registry client.
pub struct Registry {
    client: Client,
    rt: tokio::runtime::Runtime,
    opts: Options,
}

/// What a pull brought.
#[derive(Debug)]
pub struct Pulled {
    pub digest: String,
    /// Signature layers found under `sha256-<hex>.sig`.
    pub signatures: usize,
    /// Blobs fetched (the rest were in the store already).
    pub fetched: usize,
}

impl Registry {
    pub fn new(opts: Options) -> Result<Self> {
        // reqwest's rustls is built without a provider: ring, as kube's, process-wide.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the network runtime", e))?;
        let config = ClientConfig {
            protocol: if opts.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            read_timeout: Some(opts.timeout),
            connect_timeout: Some(opts.timeout),
            platform_resolver: None,
            user_agent: concat!("hms-sys/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        Ok(Registry {
            client: Client::new(config),
            rt,
            opts,
        })
    }

    fn reference(r: &RegistryRef, tag_or_digest: &str) -> Reference {
        if tag_or_digest.starts_with("sha256:") {
            Reference::with_digest(
                r.registry.clone(),
                r.repository.clone(),
                tag_or_digest.to_string(),
            )
        } else {
            Reference::with_tag(
                r.registry.clone(),
                r.repository.clone(),
                tag_or_digest.to_string(),
            )
        }
    }

    /// Runs one request with the timeout and retry rules; `what` names it in errors.
    fn retry<T, F, Fut>(&self, r: &RegistryRef, what: &str, limit: Duration, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, Failure>>,
    {
        let mut backoff = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            let outcome = self
                .rt
                .block_on(async { tokio::time::timeout(limit, f()).await });
            let failure = match outcome {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => e,
                Err(_) => Failure::TimedOut(limit),
            };
            if failure.transient() && attempt < self.opts.attempts {
                tracing::warn!(
                    registry = r.registry,
                    attempt,
                    "{what}: {}; retrying in {} ms",
                    failure.describe(),
                    backoff.as_millis()
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(4));
                attempt += 1;
                continue;
            }
            return Err(failure.into_error(r, what, attempt, self.opts.plain_http, limit));
        }
    }

    async fn authenticate(
        &self,
        image: &Reference,
        op: RegistryOperation,
    ) -> std::result::Result<(), Failure> {
        let auth = credentials(image.registry());
        self.client
            .auth(image, &auth, op)
            .await
            .map(|_| ())
            .map_err(Failure::Oci)
    }

    /// A manifest by tag or digest: its bytes and digest, `None` when the registry has none.
    /// A digest is checked against the bytes.
    pub fn manifest(
        &self,
        r: &RegistryRef,
        tag_or_digest: &str,
    ) -> Result<Option<(Vec<u8>, String)>> {
        let image = Self::reference(r, tag_or_digest);
        let got = self.retry(
            r,
            &format!("fetching manifest {r}@{tag_or_digest}"),
            self.opts.timeout,
            || async {
                self.authenticate(&image, RegistryOperation::Pull).await?;
                match self
                    .client
                    .pull_manifest_raw(
                        &image,
                        &credentials(image.registry()),
                        &[OCI_MANIFEST, OCI_INDEX],
                    )
                    .await
                {
                    Ok((bytes, _)) => Ok(Some(bytes.to_vec())),
                    Err(e) if not_found(&e) => Ok(None),
                    Err(e) => Err(Failure::Oci(e)),
                }
            },
        )?;
        let Some(bytes) = got else { return Ok(None) };
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(Error::new(
                ErrorKind::Registry,
                format!("the manifest of {r} is larger than {MAX_MANIFEST_BYTES} bytes"),
            ));
        }
        let digest = digest_of(&bytes);
        if tag_or_digest.starts_with("sha256:") && digest != tag_or_digest {
            return Err(Error::new(
                ErrorKind::Digest,
                format!(
                    "{}: the registry served a manifest with digest {digest}; nothing was stored",
                    shown(r, tag_or_digest)
                ),
            )
            .hint("the registry altered the content; report it to the registry's operator"));
        }
        Ok(Some((bytes, digest)))
    }

    /// Fetches a blob into the store (skipped when the store has it).
    fn fetch_blob(&self, store: &Store, r: &RegistryRef, d: &Descriptor) -> Result<bool> {
        if store.has(&d.digest) {
            return Ok(false);
        }
        if d.size > MAX_BLOB_BYTES {
            return Err(Error::new(
                ErrorKind::Input,
                format!(
                    "{r}: blob {} is {} bytes, more than the {MAX_BLOB_BYTES} a plugin may have",
                    d.digest, d.size
                ),
            ));
        }
        let image = Self::reference(r, &d.digest);
        let desc = OciDescriptor {
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: d.size as i64,
            ..OciDescriptor::default()
        };
        self.retry(
            r,
            &format!("fetching blob {}", d.digest),
            self.opts.timeout * 10,
            || async {
                self.authenticate(&image, RegistryOperation::Pull).await?;
                let mut stream = self
                    .client
                    .pull_blob_stream(&image, &desc)
                    .await
                    .map_err(Failure::Oci)?;
                let mut w = store.writer(&d.digest, d.size).map_err(Failure::Local)?;
                while let Some(chunk) = stream.next().await {
                    // oci-client checks the digest as the blob streams in; so does our writer.
                    let chunk = chunk.map_err(|e| {
                        let m = e.to_string();
                        if m.contains("Invalid digest") {
                            Failure::BadDigest(m)
                        } else {
                            Failure::Stream(m)
                        }
                    })?;
                    std::io::Write::write_all(&mut w, &chunk)
                        .map_err(|e| Failure::Local(Error::io(format!("blob {}", d.digest), e)))?;
                }
                w.finish().map_err(Failure::Local)
            },
        )?;
        Ok(true)
    }

    /// Pulls a plugin (by tag or pin) and its signatures into the store.
    pub fn pull(&self, store: &Store, r: &RegistryRef, pin: Option<&str>) -> Result<Pulled> {
        let want = pin.or(r.tag.as_deref()).unwrap_or("latest").to_string();
        let (bytes, digest) = self.manifest(r, &want)?.ok_or_else(|| {
            Error::new(ErrorKind::Registry, format!("{r}: the registry has no manifest `{want}`"))
                .hint("check the repository, the tag or the digest (`skopeo list-tags docker://REPO` lists tags)")
        })?;
        let manifest = Manifest::parse(&bytes, &format!("the manifest of {r}@{digest}"))?;
        manifest.wasm_layer(&format!("{r}@{digest}"))?;
        let mut fetched = 0;
        for d in std::iter::once(&manifest.config).chain(&manifest.layers) {
            fetched += usize::from(self.fetch_blob(store, r, d)?);
        }
        let mut names = vec![format!("{}@{digest}", r.repository_ref())];
        if let Some(tag) = &r.tag {
            names.push(format!("{}:{tag}", r.repository_ref()));
        }
        for n in &names {
            store.put_manifest(&bytes, Some(n))?;
        }
        let signatures = self.pull_signatures(store, r, &digest)?;
        Ok(Pulled {
            digest,
            signatures,
            fetched,
        })
    }

    /// Pulls the signature manifest of `digest` (cosign's `sha256-<hex>.sig` tag) into the
    /// store; how many signatures it holds (0 when there is none).
    pub fn pull_signatures(&self, store: &Store, r: &RegistryRef, digest: &str) -> Result<usize> {
        let tag = signature_tag(digest);
        let Some((bytes, _)) = self.manifest(r, &tag)? else {
            return Ok(0);
        };
        let manifest = Manifest::parse(&bytes, &format!("the signatures of {r}@{digest}"))?;
        for d in std::iter::once(&manifest.config).chain(&manifest.layers) {
            self.fetch_blob(store, r, d)?;
        }
        store.put_manifest(&bytes, Some(&format!("{}:{tag}", r.repository_ref())))?;
        Ok(manifest.layers.len())
    }

    fn push_blob(&self, r: &RegistryRef, bytes: &[u8]) -> Result<()> {
        let digest = digest_of(bytes);
        let image = Self::reference(r, &digest);
        let data = bytes::Bytes::copy_from_slice(bytes);
        self.retry(
            r,
            &format!("pushing blob {digest}"),
            self.opts.timeout * 10,
            || async {
                self.authenticate(&image, RegistryOperation::Push).await?;
                if self
                    .client
                    .blob_exists(&image, &digest)
                    .await
                    .unwrap_or(false)
                {
                    return Ok(());
                }
                self.client
                    .push_blob(&image, data.clone(), &digest)
                    .await
                    .map(|_| ())
                    .map_err(Failure::Oci)
            },
        )
    }

    fn push_manifest(&self, r: &RegistryRef, tag_or_digest: &str, bytes: &[u8]) -> Result<()> {
        let image = Self::reference(r, tag_or_digest);
        let data = bytes::Bytes::copy_from_slice(bytes);
        self.retry(
            r,
            &format!("pushing manifest {r}:{tag_or_digest}"),
            self.opts.timeout,
            || async {
                self.authenticate(&image, RegistryOperation::Push).await?;
                self.client
                    .push_manifest_raw(
                        &image,
                        data.clone(),
                        http::HeaderValue::from_static(OCI_MANIFEST),
                    )
                    .await
                    .map(|_| ())
                    .map_err(Failure::Oci)
            },
        )
    }

    /// Pushes an artifact (blobs, then the manifest, under `r`'s tag or else its digest) and
    /// keeps it in the store too.
    pub fn push(&self, store: &Store, r: &RegistryRef, a: &Artifact) -> Result<String> {
        self.push_blob(r, &a.config)?;
        self.push_blob(r, &a.layer)?;
        let digest = a.digest();
        self.push_manifest(r, r.tag.as_deref().unwrap_or(&digest), &a.manifest_bytes)?;
        store_artifact(store, r, a)?;
        Ok(digest)
    }

    /// Adds a signature layer to the signature manifest of `digest` in the registry (keeping
    /// the signatures it holds, as cosign does) and stores the result.
    pub fn push_signature(
        &self,
        store: &Store,
        r: &RegistryRef,
        digest: &str,
        layer: Descriptor,
        payload: &[u8],
    ) -> Result<()> {
        let tag = signature_tag(digest);
        let mut layers = match self.manifest(r, &tag)? {
            Some((bytes, _)) => {
                Manifest::parse(&bytes, &format!("the signatures of {r}@{digest}"))?.layers
            }
            None => Vec::new(),
        };
        for d in &layers {
            self.fetch_blob(store, r, d)?;
        }
        if !layers.contains(&layer) {
            layers.push(layer);
        }
        self.push_blob(r, payload)?;
        store.put_blob(&digest_of(payload), payload)?;
        let (manifest, config) = crate::artifact::signature_manifest(layers);
        self.push_blob(r, &config)?;
        store.put_blob(&digest_of(&config), &config)?;
        let bytes = manifest.to_bytes();
        self.push_manifest(r, &tag, &bytes)?;
        store.put_manifest(&bytes, Some(&format!("{}:{tag}", r.repository_ref())))?;
        Ok(())
    }
}

/// Keeps a built artifact in the store under its digest (and `r`'s tag).
pub fn store_artifact(store: &Store, r: &RegistryRef, a: &Artifact) -> Result<()> {
    store.put_blob(&a.manifest.config.digest, &a.config)?;
    store.put_blob(&a.manifest.layers[0].digest, &a.layer)?;
    let digest = a.digest();
    store.put_manifest(
        &a.manifest_bytes,
        Some(&format!("{}@{digest}", r.repository_ref())),
    )?;
    if let Some(tag) = &r.tag {
        store.put_manifest(
            &a.manifest_bytes,
            Some(&format!("{}:{tag}", r.repository_ref())),
        )?;
    }
    Ok(())
}

/// The docker credentials for `registry`, anonymous when there are none.
fn credentials(registry: &str) -> RegistryAuth {
    match docker_credential::get_credential(registry) {
        Ok(docker_credential::DockerCredential::UsernamePassword(u, p)) => {
            RegistryAuth::Basic(u, p)
        }
        Ok(docker_credential::DockerCredential::IdentityToken(t)) => RegistryAuth::Bearer(t),
        Err(_) => RegistryAuth::Anonymous,
    }
}

fn not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
            )
        }),
        OciDistributionError::ServerError { code: 404, .. } => true,
        _ => false,
    }
}

/// Why one request failed.
enum Failure {
    Oci(OciDistributionError),
    Stream(String),
    TimedOut(Duration),
    BadDigest(String),
    Local(Error),
}

impl Failure {
    fn transient(&self) -> bool {
        match self {
            Failure::Oci(OciDistributionError::ServerError { code, .. }) => {
                *code == 429 || *code >= 500
            }
            Failure::Oci(OciDistributionError::RequestError(e)) => {
                e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()
            }
            Failure::Oci(_) => false,
            Failure::Stream(_) | Failure::TimedOut(_) => true,
            Failure::Local(_) | Failure::BadDigest(_) => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Failure::Oci(OciDistributionError::ServerError { code, .. }) => format!("HTTP {code}"),
            Failure::Oci(OciDistributionError::RequestError(e)) => error_chain(e),
            Failure::Oci(e) => e.to_string(),
            Failure::Stream(e) => format!("the download broke off: {e}"),
            Failure::TimedOut(d) => format!("no answer within {} s", d.as_secs_f32()),
            Failure::Local(e) => e.message.clone(),
            Failure::BadDigest(m) => m.clone(),
        }
    }

    fn into_error(
        self,
        r: &RegistryRef,
        what: &str,
        attempts: u32,
        plain: bool,
        limit: Duration,
    ) -> Error {
        // reqwest's own read or connect timeout is the same limit.
        let this = match self {
            Failure::Oci(OciDistributionError::RequestError(e)) if e.is_timeout() => {
                Failure::TimedOut(limit)
            }
            other => other,
        };
        let tries = if attempts > 1 {
            format!(" (after {attempts} attempts)")
        } else {
            String::new()
        };
        let reg = &r.registry;
        match this {
            Failure::Local(e) => e,
            Failure::BadDigest(m) => Error::new(
                ErrorKind::Digest,
                format!("{what}: registry {reg} served content that does not match its digest ({m}); nothing was stored"),
            )
            .hint("the registry or something between altered the content; try again, and report it to the registry's operator if it persists"),
            Failure::Oci(OciDistributionError::UnauthorizedError { .. }) => Error::new(
                ErrorKind::Registry,
                format!("{what}: registry {reg} refused access"),
            )
            .hint(format!("log in with `docker login {reg}` (hms-sys reads $DOCKER_CONFIG/config.json, else ~/.docker/config.json), and check that the account may use {}", r.repository)),
            Failure::Oci(OciDistributionError::ServerError { code: 429, .. }) => Error::new(
                ErrorKind::Registry,
                format!("{what}: registry {reg} is limiting requests (HTTP 429){tries}"),
            )
            .hint("wait and run the command again; nothing half-done was kept"),
            Failure::Oci(OciDistributionError::ServerError { code, .. }) if code >= 500 => Error::new(
                ErrorKind::Registry,
                format!("{what}: registry {reg} failed (HTTP {code}){tries}"),
            )
            .hint("the registry has a problem of its own; try again later, or ask its operator. Nothing half-done was kept"),
            Failure::Oci(OciDistributionError::DigestError(e)) => Error::new(
                ErrorKind::Digest,
                format!("{what}: registry {reg} served content that does not match its digest ({e}); nothing was stored"),
            ),
            Failure::Oci(OciDistributionError::RequestError(e)) if e.is_connect() => Error::new(
                ErrorKind::Registry,
                format!("{what}: cannot reach registry {reg}{tries}: {}", error_chain(&e)),
            )
            .hint(if plain {
                "check the registry's address and that it is up".to_string()
            } else {
                "check the registry's address and that it is up; a registry without TLS needs --plain-http".to_string()
            }),
            Failure::TimedOut(d) => Error::new(
                ErrorKind::Registry,
                format!("{what}: registry {reg} did not answer within {} s{tries}", d.as_secs_f32()),
            )
            .hint("the registry is slow or unreachable; try again, or raise --timeout. Nothing half-done was kept"),
            other => Error::new(
                ErrorKind::Registry,
                format!("{what}: registry {reg}: {}{tries}", other.describe()),
            )
            .hint(if plain {
                "check the reference and the registry".to_string()
            } else {
                "check the reference and the registry; a registry without TLS needs --plain-http".to_string()
            }),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// `registry/repository:tag` or `registry/repository@digest`.
fn shown(r: &RegistryRef, tag_or_digest: &str) -> String {
    let sep = if tag_or_digest.starts_with("sha256:") {
        '@'
    } else {
        ':'
    };
    format!("{}{sep}{tag_or_digest}", r.repository_ref())
}
