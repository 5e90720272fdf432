//! Kubernetes name rules (DNS-1123 label and subdomain) and "did you mean" suggestions.

/// Why `s` is not a DNS-1123 label (`None` when it is one).
pub fn dns1123_label_reason(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 63 {
        return Some(format!("must be at most 63 characters, got {}", s.len()));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(if c.is_ascii_uppercase() {
            "must be lowercase".into()
        } else {
            format!("must contain only lowercase letters, digits and '-', found {c:?}")
        });
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("must start and end with a letter or digit".into());
    }
    None
}

/// Whether `s` is a DNS-1123 label: at most 63 characters of lowercase letters, digits and
/// `-`, starting and ending with a letter or digit.
pub fn is_dns1123_label(s: &str) -> bool {
    dns1123_label_reason(s).is_none()
}

/// Whether `s` is a DNS-1123 subdomain: at most 253 characters, dot-separated parts made of
/// lowercase letters, digits and `-`, each starting and ending with a letter or digit.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// The candidate closest to `word`, when it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| {
            let score = strsim::normalized_damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            (score, *c)
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `` `a`, `b`, `c` `` for a list of names.
pub fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A hint for a value that is not one of `allowed`: "did you mean" when close, else the list.
pub fn choice_hint(word: &str, allowed: &[&str], what: &str) -> String {
    match did_you_mean(word, allowed) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("valid {what}: {}", backticked(allowed)),
    }
}

/// Why `s` is not a Kubernetes kind (`None` when it is one): an ASCII letter or digit string
/// of at most 63 characters that starts with an uppercase letter, as `ConfigMap` or
/// `ClusterRoleBinding`. The one rule for kinds, in emitted objects and in grants.
pub fn kind_reason(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 63 {
        return Some(format!("must be at most 63 characters, got {}", s.len()));
    }
    if !s.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Some("must start with an uppercase letter".into());
    }
    s.chars()
        .find(|c| !c.is_ascii_alphanumeric())
        .map(|c| format!("must contain only ASCII letters and digits, found {c:?}"))
}

/// Why `s` is not an `apiVersion` (`None` when it is one): `VERSION` for the core group or
/// `GROUP/VERSION`, the group a DNS-1123 subdomain and the version a DNS-1123 label.
pub fn api_version_reason(s: &str) -> Option<String> {
    let (group, version) = match s.split_once('/') {
        Some((g, v)) => (Some(g), v),
        None => (None, s),
    };
    if let Some(g) = group
        && !is_dns1123_subdomain(g)
    {
        return Some(format!("the group `{g}` is not a DNS-1123 subdomain"));
    }
    dns1123_label_reason(version).map(|r| format!("the version {r}"))
}

/// Why `s` is not a kind reference as grants write them (`Kind` for the core group, or
/// `Kind.group` as kubectl writes resources: `ClusterRoleBinding.rbac.authorization.k8s.io`).
/// On success, the `(group, kind)` pair.
pub fn parse_kind_ref(s: &str) -> Result<(String, String), String> {
    let (kind, group) = s.split_once('.').unwrap_or((s, ""));
    if let Some(r) = kind_reason(kind) {
        return Err(format!("the kind `{kind}` {r}"));
    }
    if !group.is_empty() && !is_dns1123_subdomain(group) {
        return Err(format!("the group `{group}` is not a DNS-1123 subdomain"));
    }
    Ok((group.to_string(), kind.to_string()))
}
