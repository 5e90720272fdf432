//! JSON pointer (RFC 6901) helpers: diagnostic paths, and defaults filled into a section.

use serde_json::{Map, Value};

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

/// Sets the value at `pointer` to `default` when it is absent or `null` (as a YAML key without
/// a value is), creating the objects on the way. Nothing changes where the way is blocked by
/// a value that is not an object: the section's schema reports that one.
pub fn set_default(v: &mut Value, pointer: &str, default: Value) {
    let mut at = v;
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, way)) = tokens.split_last() else {
        return;
    };
    for token in way {
        if at.is_null() {
            *at = Value::Object(Map::new());
        }
        let Some(m) = at.as_object_mut() else {
            return;
        };
        at = m.entry(token.clone()).or_insert(Value::Null);
    }
    if at.is_null() {
        *at = Value::Object(Map::new());
    }
    if let Some(m) = at.as_object_mut() {
        let slot = m.entry(last.clone()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = default;
        }
    }
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
    fn defaults_fill_only_what_is_missing() {
        let mut v = serde_json::json!({"volume": {"name": "a", "provider": null}, "x": 1});
        set_default(&mut v, "/volume/provider", "cephfs".into());
        set_default(&mut v, "/volume/name", "b".into());
        set_default(&mut v, "/volume/ceph/pool", "p".into());
        set_default(&mut v, "/x/y", "blocked".into());
        set_default(&mut v, "/a~1b", 2.into());
        assert_eq!(
            v,
            serde_json::json!({
                "volume": {"name": "a", "provider": "cephfs", "ceph": {"pool": "p"}},
                "x": 1,
                "a/b": 2
            })
        );
    }

    #[test]
    fn pointer_round_trips_through_serde_json() {
        let v = serde_json::json!({"labels": {"hms.io/pool": "x"}});
        let p = join("/labels", "hms.io/pool");
        assert_eq!(v.pointer(&p), Some(&serde_json::json!("x")));
    }
}
