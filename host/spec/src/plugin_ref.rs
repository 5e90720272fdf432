//! Plugin references as a spec writes them: which plugin serves a section or a baseline.
//!
//! `NAME` is a bundled plugin (`storage-csi`); a path (`./plugins/trident.wasm`, anything with a
//! `/` or ending in `.wasm`) is a component file, relative to the spec's directory. Either may be
//! pinned with `@sha256:<64 hex digits>`: the plugin is refused before it is compiled when its
//! digest differs. A registry reference pinned by digest
//! (`oci://ghcr.io/agency/trident@sha256:...`) has the same shape and is refused with a clear
//! message until registries are supported.

use std::fmt;

use crate::names::dns1123_label_reason;

/// Where a plugin comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginLocation {
    /// A plugin compiled into hms-sys, by its name.
    Bundled(String),
    /// A component file, as written (relative paths are relative to the spec's directory).
    File(String),
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
        }
        match &self.digest {
            Some(d) => write!(f, "@{d}"),
            None => Ok(()),
        }
    }
}

/// The hint every malformed reference gets.
pub const REF_HINT: &str = "write a bundled plugin's name (`hms-sys plugins list`), or a path to a .wasm component such as `./plugins/x.wasm`, optionally pinned as `@sha256:<64 hex digits>`";

impl PluginRef {
    /// Parses a reference; the error says what is wrong with it (see [`REF_HINT`]).
    pub fn parse(s: &str) -> Result<PluginRef, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the plugin reference is empty".into());
        }
        let (place, digest) = match s.rsplit_once('@') {
            Some((place, pin)) => (place, Some(parse_pin(pin)?)),
            None => (s, None),
        };
        if let Some((scheme, _)) = place.split_once("://") {
            return Err(format!(
                "`{scheme}://` references are not supported yet: name a bundled plugin or a local .wasm file"
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
        ] {
            assert!(PluginRef::parse(bad).is_err(), "{bad:?}");
        }
        let oci = format!("oci://ghcr.io/a/b@sha256:{hex}");
        let err = PluginRef::parse(&oci).expect_err("a registry reference");
        assert!(err.contains("not supported yet"), "{err}");
    }
}
