//! Plugin references as a spec writes them: which plugin serves a section or a baseline.
//!
//! `NAME` is a bundled plugin (`storage-csi`); a path (`./plugins/trident.wasm`, anything with a
//! `/` or ending in `.wasm`) is a component file, relative to the spec's directory. Either may be
//! pinned with `@sha256:<64 hex digits>`: the plugin is refused before it is compiled when its
//! digest differs. `oci://REGISTRY/REPOSITORY[:TAG]@sha256:<hex>` is a plugin artifact in an OCI
//! registry, pinned by its manifest digest (a tag alone is refused: it can move). This module
//! owns the grammar of a registry reference ([`RegistryRef`]); the CLI's `plugin push/pull/...`
//! read theirs with the same parser, where the `oci://` prefix and the pin are optional.

use std::fmt;

use crate::names::dns1123_label_reason;

/// Where a plugin comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginLocation {
    /// A plugin compiled into hms-sys, by its name.
    Bundled(String),
    /// A component file, as written (relative paths are relative to the spec's directory).
    File(String),
    /// A plugin artifact in an OCI registry (the pin, its manifest digest, is required).
    Registry(RegistryRef),
}

/// A repository in an OCI registry, and optionally a tag: `ghcr.io/agency/trident:1.0`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryRef {
    /// `host[:port]`: it has a `.` or a `:`, or is `localhost`.
    pub registry: String,
    /// Lower-case path components separated by `/`.
    pub repository: String,
    pub tag: Option<String>,
}

impl RegistryRef {
    /// Parses `[oci://]REGISTRY/REPOSITORY[:TAG][@sha256:<hex>]`: the reference and its pin.
    pub fn parse(s: &str) -> Result<(RegistryRef, Option<String>), String> {
        let s = s.trim();
        let s = s.strip_prefix("oci://").unwrap_or(s);
        let (place, digest) = match s.rsplit_once('@') {
            Some((place, pin)) => (place, Some(parse_pin(pin)?)),
            None => (s, None),
        };
        let Some((registry, path)) = place.split_once('/') else {
            return Err(format!(
                "`{place}` is not a registry reference: write REGISTRY/REPOSITORY, such as `ghcr.io/agency/trident`"
            ));
        };
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost")
            || registry.is_empty()
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        {
            return Err(format!(
                "`{registry}` is not a registry host: write the registry in full (`ghcr.io/...`, `registry.example:5000/...`, `localhost:5000/...`)"
            ));
        }
        let last = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last..].split_once(':') {
            Some((_, tag)) => (
                &path[..last + path[last..].len() - tag.len() - 1],
                Some(tag),
            ),
            None => (path, None),
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        };
        if repository.is_empty() || !repository.split('/').all(component_ok) {
            return Err(format!(
                "`{repository}` is not a repository name: lower-case letters, digits and `._-` between `/`, each part starting and ending with a letter or digit"
            ));
        }
        if let Some(tag) = tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag.as_bytes()[0] != b'.'
                && tag.as_bytes()[0] != b'-'
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                return Err(format!(
                    "`{tag}` is not a tag: at most 128 letters, digits and `._-`, not starting with `.` or `-`"
                ));
            }
        }
        Ok((
            RegistryRef {
                registry: registry.to_string(),
                repository: repository.to_string(),
                tag: tag.map(str::to_string),
            },
            digest,
        ))
    }

    /// `registry/repository`, as a signature's `docker-reference` names it.
    pub fn repository_ref(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match &self.tag {
            Some(t) => write!(f, ":{t}"),
            None => Ok(()),
        }
    }
}

/// A plugin reference: where, and optionally the digest it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRef {
    pub location: PluginLocation,
    /// `sha256:<hex>`, the form `hms_plugin::digest_of` writes.
    pub digest: Option<String>,
}

impl fmt::Display for PluginRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            PluginLocation::Bundled(n) => f.write_str(n)?,
            PluginLocation::File(p) => f.write_str(p)?,
            PluginLocation::Registry(r) => write!(f, "oci://{r}")?,
        }
        match &self.digest {
            Some(d) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

/// The hint every malformed reference gets.
pub const REF_HINT: &str = "write a bundled plugin's name (`hms-sys plugins list`), a path to a .wasm component such as `./plugins/x.wasm`, optionally pinned as `@sha256:<64 hex digits>`, or a registry artifact pinned by digest, `oci://ghcr.io/agency/x@sha256:<64 hex digits>`";

impl PluginRef {
    /// Parses a reference; the error says what is wrong with it (see [`REF_HINT`]).
    pub fn parse(s: &str) -> Result<PluginRef, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the plugin reference is empty".into());
        }
        if s.starts_with("oci://") {
            let (r, digest) = RegistryRef::parse(s)?;
            if digest.is_none() {
                return Err(format!(
                    "`{s}` is not pinned: a registry plugin is named by its digest, `oci://{}@sha256:<64 hex digits>` (a tag can move; `hms-sys plugin pull {r}` prints the digest)",
                    r.repository_ref()
                ));
            }
            return Ok(PluginRef {
                location: PluginLocation::Registry(r),
                digest,
            });
        }
        let (place, digest) = match s.rsplit_once('@') {
            Some((place, pin)) => (place, Some(parse_pin(pin)?)),
            None => (s, None),
        };
        if let Some((scheme, _)) = place.split_once("://") {
            return Err(format!(
                "`{scheme}://` references are not supported: name a bundled plugin, a local .wasm file or an `oci://` artifact"
            ));
        }
        let location = if place.contains('/') || place.ends_with(".wasm") {
            PluginLocation::File(place.to_string())
        } else {
            if let Some(reason) = dns1123_label_reason(place) {
                return Err(format!(
                    "`{place}` is neither a plugin name ({reason}) nor a path"
                ));
            }
            PluginLocation::Bundled(place.to_string())
        };
        Ok(PluginRef { location, digest })
    }
}

fn parse_pin(pin: &str) -> Result<String, String> {
    let hex = pin.strip_prefix("sha256:").ok_or_else(|| {
        format!("the pin `{pin}` is not a digest: write `@sha256:` and 64 hex digits")
    })?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "the pin `{pin}` is not a sha256 digest: it needs exactly 64 hex digits, got {}",
            hex.len()
        ));
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let hex = "ab".repeat(32);
        assert_eq!(
            PluginRef::parse("storage-csi"),
            Ok(PluginRef {
                location: PluginLocation::Bundled("storage-csi".into()),
                digest: None
            })
        );
        let r = PluginRef::parse(&format!("./p/trident.wasm@sha256:{}", hex.to_uppercase()))
            .expect("a pinned file");
        assert_eq!(r.location, PluginLocation::File("./p/trident.wasm".into()));
        assert_eq!(r.digest.as_deref(), Some(format!("sha256:{hex}").as_str()));
        assert_eq!(
            PluginRef::parse("trident.wasm").map(|r| r.location),
            Ok(PluginLocation::File("trident.wasm".into()))
        );
        for bad in [
            "",
            "Storage",
            "x.wasm@sha256:abc",
            "x.wasm@md5:00",
            "oci://ghcr.io/a/b@sha256:0",
            "oci://ghcr.io/a/b:1.0",
            "oci://ghcr/a/b@sha256:0",
            "https://x/y.wasm",
        ] {
            assert!(PluginRef::parse(bad).is_err(), "{bad:?}");
        }
        let err = PluginRef::parse("oci://ghcr.io/a/b:1.0").expect_err("a tag");
        assert!(err.contains("not pinned"), "{err}");
        let oci = format!("oci://localhost:5000/a/b:1.0@sha256:{hex}");
        let r = PluginRef::parse(&oci).expect("a registry reference");
        assert_eq!(r.to_string(), oci);
        let PluginLocation::Registry(reg) = &r.location else {
            panic!("{r:?}")
        };
        assert_eq!(reg.registry, "localhost:5000");
        assert_eq!(reg.repository, "a/b");
        assert_eq!(reg.tag.as_deref(), Some("1.0"));
        for bad in [
            "x",
            "ghcr.io",
            "ghcr.io/A",
            "ghcr.io/a/:t",
            "ghcr.io/a:-t",
            "a/b",
        ] {
            assert!(RegistryRef::parse(bad).is_err(), "{bad:?}");
        }
        let (r, d) = RegistryRef::parse("ghcr.io/a/b-c").expect("no tag");
        assert_eq!((r.tag, d), (None, None));
    }
}
