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
