//! Container image references, as plugins judge them.

/// Whether `image` is pinned by a sha256 digest (`repo[:tag]@sha256:<64 hex digits>`): the one
/// definition of "pinned" for every plugin (the workload's pull policy, the baseline's NIST SI-7
/// finding).
pub fn pinned_by_digest(image: &str) -> bool {
    match image.split_once("@sha256:") {
        Some((_, digest)) => digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// The name a workload running `image` gets when none is given: the last path part of the
/// repository, without tag or digest (`ghcr.io/hms/dcaa-audit:v1.0` gives `dcaa-audit`). The one
/// definition for the workload plugin's default name and the host's spec name taken from it.
/// `image` should be a valid reference; for any other text the result is still a substring of it.
pub fn default_name(image: &str) -> &str {
    let repository = image.split('@').next().unwrap_or(image);
    let last = repository.rsplit('/').next().unwrap_or(repository);
    last.split(':').next().unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::{default_name, pinned_by_digest};

    #[test]
    fn default_names() {
        let d = "a".repeat(64);
        for (image, name) in [
            ("ghcr.io/hms/dcaa-audit:v1.0", "dcaa-audit"),
            ("nginx", "nginx"),
            ("localhost:5000/a/b", "b"),
            ("localhost:5000", "localhost"),
            (&format!("ghcr.io/x/app:v2@sha256:{d}"), "app"),
            (&format!("ghcr.io/x/app@sha256:{d}"), "app"),
            ("", ""),
        ] {
            assert_eq!(default_name(image), name, "{image}");
        }
    }

    #[test]
    fn digest_pinning() {
        let d = "a".repeat(64);
        assert!(pinned_by_digest(&format!("ghcr.io/x/y@sha256:{d}")));
        assert!(pinned_by_digest(&format!("ghcr.io/x/y:1.0@sha256:{d}")));
        assert!(!pinned_by_digest("ghcr.io/x/y:1.0"));
        assert!(!pinned_by_digest("ghcr.io/x/y@sha256:abc"));
        assert!(!pinned_by_digest(&format!("ghcr.io/x/y@sha512:{d}")));
    }
}
