//! JSON pointer (RFC 6901) helpers for diagnostic paths.

/// Escapes one reference token: `~` becomes `~0`, `/` becomes `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Appends one (unescaped) token to a pointer: `join("/volume", "name")` is `/volume/name`.
pub fn join(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

/// Builds a pointer from unescaped tokens: `from_tokens(&["volume", "accessMode"])`.
pub fn from_tokens(tokens: &[&str]) -> String {
    tokens.iter().fold(String::new(), |acc, t| join(&acc, t))
}

/// The pointer's last token, unescaped (`""` for the root pointer).
pub fn last_token(pointer: &str) -> String {
    let raw = pointer.rsplit('/').next().unwrap_or_default();
    raw.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_joins() {
        assert_eq!(join("/labels", "hms.io/pool"), "/labels/hms.io~1pool");
        assert_eq!(from_tokens(&["volume", "accessMode"]), "/volume/accessMode");
        assert_eq!(escape("a~b/c"), "a~0b~1c");
        assert_eq!(last_token("/labels/hms.io~1pool"), "hms.io/pool");
        assert_eq!(last_token(""), "");
    }

    #[test]
    fn pointer_round_trips_through_serde_json() {
        let v = serde_json::json!({"labels": {"hms.io/pool": "x"}});
        let p = join("/labels", "hms.io/pool");
        assert_eq!(v.pointer(&p), Some(&serde_json::json!("x")));
    }
}
