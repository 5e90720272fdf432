//! The trust policy: which keys must have signed which plugins. A site file (YAML), named by
//! `--trust-policy FILE` or `HMS_TRUST_POLICY`:
//!
//! ```yaml
//! keys:                       # name: PEM public key file (relative to this file)
//!   agency-release: keys/agency-release.pub
//! plugins:                    # the first rule that matches a plugin decides
//!   - match: oci://registry.agency.example/plugins/*
//!     keys: [agency-release]  # signed by at least one of these
//!   - match: ./dev/*          # local files under development
//!     unsigned: true
//! ```
//!
//! A pattern is a reference without its pin (`oci://REGISTRY/REPOSITORY`, or a file path as the
//! spec or `--plugin` writes it); a trailing `*` matches any rest. Under a policy, a plugin no
//! rule matches is refused. Bundled plugins are part of the binary and are not judged here.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::artifact::MAX_MANIFEST_BYTES;
use crate::sign::{Findings, PublicKey, verify_layer};
use crate::store::Store;
use crate::{Error, ErrorKind, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    keys: BTreeMap<String, String>,
    #[serde(default)]
    plugins: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(rename = "match")]
    pattern: String,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    unsigned: bool,
}

/// One rule: what it matches and what it requires.
#[derive(Clone, Debug)]
pub struct Rule {
    pub pattern: String,
    pub require: Require,
}

#[derive(Clone, Debug)]
pub enum Require {
    /// A signature by at least one of these keys.
    Keys(Vec<PublicKey>),
    /// Nothing: the rule lets unsigned plugins through.
    Unsigned,
}

/// A loaded policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub path: String,
    pub rules: Vec<Rule>,
}

impl Policy {
    /// Reads a policy file and every key it names.
    pub fn load(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read(path)
            .map_err(|e| Error::io(format!("cannot read the trust policy {shown}"), e))?;
        let bad = |why: String| {
            Error::new(ErrorKind::Input, format!("trust policy {shown}: {why}")).hint(
                "a trust policy has `keys:` (name: public key file) and `plugins:` (a list of `match:` with `keys: [names]` or `unsigned: true`); see README, \"Signing and trust\"",
            )
        };
        let file: File = serde_yaml_ng::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut keys = BTreeMap::new();
        for (name, file) in &file.keys {
            let mut key = PublicKey::from_file(&base.join(file))?;
            key.name = name.clone();
            keys.insert(name.clone(), key);
        }
        let mut rules = Vec::new();
        for (i, r) in file.plugins.into_iter().enumerate() {
            let at = format!("plugins[{i}] (`{}`)", r.pattern);
            let require = match (r.unsigned, r.keys.is_empty()) {
                (true, true) => Require::Unsigned,
                (true, false) => {
                    return Err(bad(format!("{at} has both `keys` and `unsigned: true`")));
                }
                (false, true) => {
                    return Err(bad(format!(
                        "{at} names no keys: give `keys: [NAME]`, or `unsigned: true` to let unsigned plugins through"
                    )));
                }
                (false, false) => Require::Keys(
                    r.keys
                        .iter()
                        .map(|k| {
                            keys.get(k).cloned().ok_or_else(|| {
                                bad(format!(
                                    "{at} names the key `{k}`, which `keys:` does not define"
                                ))
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
            };
            rules.push(Rule {
                pattern: r.pattern,
                require,
            });
        }
        Ok(Policy { path: shown, rules })
    }

    /// The rule that decides for `reference` (written without its pin).
    pub fn rule_for(&self, reference: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| matches(&r.pattern, reference))
    }
}

fn matches(pattern: &str, reference: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => reference.starts_with(prefix),
        None => pattern == reference,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns() {
        assert!(super::matches("*", "oci://x.io/a"));
        assert!(super::matches(
            "oci://x.io/plugins/*",
            "oci://x.io/plugins/a"
        ));
        assert!(!super::matches("oci://x.io/plugins/*", "oci://x.io/other"));
        assert!(super::matches("./p.wasm", "./p.wasm"));
        assert!(!super::matches("./p.wasm", "./p.wasm2"));
    }
}

/// How a plugin passed the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by this key (its name in the policy).
    Signed(String),
    /// A rule lets it through unsigned.
    Unsigned,
}

impl Policy {
    /// Judges a plugin: `reference` without its pin (for the rules), and for a registry
    /// artifact its manifest digest, whose signatures are looked up in `store`. Called before
    /// the plugin is compiled; the error says which check failed and what to do.
    pub fn judge(
        &self,
        store: Option<&Store>,
        reference: &str,
        digest: Option<&str>,
    ) -> Result<Verdict> {
        let policy = &self.path;
        let Some(rule) = self.rule_for(reference) else {
            return Err(Error::new(
                ErrorKind::Trust,
                format!("{reference}: the trust policy {policy} has no rule for this plugin"),
            )
            .hint(format!(
                "add a rule to {policy} (`- match: {reference}` with `keys: [...]`), or use a plugin the policy covers"
            )));
        };
        let keys = match &rule.require {
            Require::Unsigned => return Ok(Verdict::Unsigned),
            Require::Keys(keys) => keys,
        };
        let names = keys
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let Some(digest) = digest else {
            return Err(Error::new(
                ErrorKind::Trust,
                format!(
                    "{reference}: the trust policy {policy} requires a signature by {names} (rule `{}`), and a local file carries none",
                    rule.pattern
                ),
            )
            .hint("push it (`hms-sys plugin push`), sign it (`hms-sys plugin sign`) and name it in the spec as `oci://REGISTRY/REPO@sha256:...`; for development, a rule with `unsigned: true` lets local files through"));
        };
        let store = store.ok_or_else(|| {
            Error::new(
                ErrorKind::Missing,
                "there is no plugin store (set HMS_SYS_STORE_DIR or HOME)",
            )
        })?;
        match verify_stored(store, digest, keys) {
            Ok(key) => Ok(Verdict::Signed(key.name.clone())),
            Err(f) => Err(refusal(reference, digest, policy, &names, &f)),
        }
    }
}

fn refusal(reference: &str, digest: &str, policy: &str, names: &str, f: &Findings) -> Error {
    let (what, hint) = if f.signatures == 0 {
        (
            "is not signed: the plugin store holds no signature for it".to_string(),
            format!(
                "sign it (`hms-sys plugin sign --key KEY {reference}@{digest}`), or if it is signed in its registry, `hms-sys plugin pull {reference}@{digest}` fetches the signatures (`plugin load` brings them from a tarball)"
            ),
        )
    } else if f.other_subject == f.signatures {
        (
            format!(
                "has {} signature(s), none of them for this digest: the plugin was altered or the signatures belong to other content",
                f.signatures
            ),
            "do not use this plugin; get the artifact its signer published and check its digest"
                .to_string(),
        )
    } else {
        (
            format!(
                "is signed ({} signature(s)), but by no key the policy accepts for it",
                f.signatures
            ),
            format!(
                "it may be signed by someone the site does not trust: check who signed it; if that key should be trusted, add it to {policy}"
            ),
        )
    };
    Error::new(
        ErrorKind::Trust,
        format!(
            "{reference}@{digest} {what}; the trust policy {policy} requires a signature by {names}"
        ),
    )
    .hint(hint)
}

/// Finds, among the signatures stored for `digest`, one that a key of `keys` verifies.
pub fn verify_stored<'k>(
    store: &Store,
    digest: &str,
    keys: &'k [PublicKey],
) -> std::result::Result<&'k PublicKey, Findings> {
    let mut findings = Findings::default();
    for sig in store.signature_manifests(digest).unwrap_or_default() {
        let Ok((manifest, _)) = store.manifest(&sig) else {
            continue;
        };
        for layer in &manifest.layers {
            let Ok(payload) = store.read_blob(&layer.digest, MAX_MANIFEST_BYTES) else {
                continue;
            };
            if let Some(k) = verify_layer(layer, &payload, digest, keys, &mut findings) {
                return Ok(k);
            }
        }
    }
    Err(findings)
}

/// What [`verify_stored`] found, said for people.
pub fn describe_failure(reference: &str, digest: &str, keys: &[PublicKey], f: &Findings) -> Error {
    let names = keys
        .iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    refusal(reference, digest, "(--key)", &names, f)
}
