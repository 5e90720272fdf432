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

use crate::sign::PublicKey;
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
