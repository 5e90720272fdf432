//! OCI image references (`registry/repository:tag@digest`), parsed with the distribution
//! grammar.
//!
//! The grammar is the one of the distribution project's `reference` package, compiled with
//! ASCII-only classes: oci-spec's Unicode version of the same expression took ~70 ms to
//! compile on every run, more than the rest of `hms-sys render` together.

use std::sync::OnceLock;

use regex::Regex;

/// The longest name (registry and repository) a registry accepts.
const NAME_MAX: usize = 255;

const REFERENCE: &str = concat!(
    r"(?-u)^(",
    // optional registry: host components separated by dots, optional port
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])",
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?",
    // repository path components: lowercase alphanumerics joined by separators
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*",
    r")",
    r"(?::([\w][\w.-]{0,127}))?",
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$",
);

fn reference() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // The expression is a constant that the tests compile; a failure here is impossible.
    RE.get_or_init(|| Regex::new(REFERENCE).unwrap_or_else(|_| Regex::new("^$").expect("trivial")))
}

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry and repository, e.g. `ghcr.io/hms/dcaa-audit`.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// The last path part of the repository (`dcaa-audit`).
    pub fn last_part(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

/// Parses `s`, or says why it is not an image reference.
pub fn parse(s: &str) -> Result<ImageRef, String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    let Some(caps) = reference().captures(s) else {
        return Err(reason(s));
    };
    let name = caps.get(1).map_or("", |m| m.as_str()).to_string();
    if name.len() > NAME_MAX {
        return Err(format!(
            "the repository name is longer than {NAME_MAX} characters"
        ));
    }
    let digest = caps.get(3).map(|m| m.as_str().to_string());
    if let Some((algorithm, hex)) = digest.as_deref().and_then(|d| d.split_once(':')) {
        let want = match algorithm {
            "sha256" => Some(64),
            "sha384" => Some(96),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(want) = want.filter(|w| *w != hex.len()) {
            return Err(format!(
                "invalid checksum digest length: {algorithm} needs {want} hex digits, got {}",
                hex.len()
            ));
        }
    }
    Ok(ImageRef {
        name,
        tag: caps.get(2).map(|m| m.as_str().to_string()),
        digest,
    })
}

/// The most likely reason a reference did not match.
fn reason(s: &str) -> String {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest
        && !d
            .split_once(':')
            .is_some_and(|(_, hex)| hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return format!("`{d}` is not a digest like sha256:<64 hex digits>");
    }
    // A `:` after the last `/` starts the tag; one before it is a registry port.
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    let path = name.split_once('/').map_or(name, |(first, path)| {
        if first.contains(['.', ':']) || first == "localhost" {
            path
        } else {
            name
        }
    });
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return "repository name must be lowercase".into();
    }
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return format!(
                "tag `{t}` must be 1-128 of letters, digits, '_', '.', '-', not starting with '.' or '-'"
            );
        }
    }
    "invalid reference format: repository path parts are lowercase letters and digits separated by '.', '_', '__' or '-'".into()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_real_references() {
        let r = parse("ghcr.io/hms/dcaa-audit:v1.0").expect("valid");
        assert_eq!(
            (r.name.as_str(), r.tag.as_deref(), r.last_part()),
            ("ghcr.io/hms/dcaa-audit", Some("v1.0"), "dcaa-audit")
        );
        for ok in [
            "nginx",
            "library/nginx:1.27",
            "localhost:5000/a/b",
            "registry.k8s.io/pause:3.10",
            "example.org/hostile/loop:v1",
            "a__b/c-d.e_f:tag_1.2-x",
            "ghcr.io/hms/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ghcr.io/hms/app:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_references_with_a_reason() {
        for (bad, why) in [
            ("ghcr.io/HMS/dcaa-audit:v1.0", "lowercase"),
            ("ghcr.io/hms/app@sha256:abc", "not a digest"),
            (
                "ghcr.io/hms/app@sha256:0123456789abcdef0123456789abcdef01234567",
                "needs 64 hex digits",
            ),
            ("ghcr.io/hms/app:-bad", "tag `-bad`"),
            ("ghcr.io/hms/app name", "whitespace"),
            ("", "empty"),
            ("ghcr.io//app", "invalid reference format"),
            ("app:", "tag ``"),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_expression_compiles() {
        assert!(regex::Regex::new(super::REFERENCE).is_ok());
    }
}
