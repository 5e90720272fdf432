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

#[cfg(test)]
mod tests {
    use super::pinned_by_digest;

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
