//! Longer explanations of a plugin's diagnostic codes, for `hms-sys explain CODE`.
//!
//! The WIT types of a released version never change, so a plugin publishes its explanations in
//! the JSON Schema it already returns in its metadata: the top-level annotation keyword
//! [`KEYWORD`] (`x-hms-explain`), an object from each code to `{summary, why, control, fix}`
//! (strings; `control` may be empty). JSON Schema ignores keywords it does not know, so
//! validation is unchanged. Any plugin, in any language, can do the same.

use serde_json::{Map, Value, json};

/// The top-level schema keyword that carries the explanations.
pub const KEYWORD: &str = "x-hms-explain";

/// One code's explanation.
#[derive(Debug, Clone, Copy)]
pub struct Explanation {
    /// The diagnostic code, e.g. `STORAGE-CEPH-PASSPHRASE`.
    pub code: &'static str,
    /// What the check means, in one sentence.
    pub summary: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// The CIS Benchmark or NIST SP 800-53 control it serves; empty when there is none.
    pub control: &'static str,
    /// How to fix it (or that nothing needs fixing).
    pub fix: &'static str,
}

/// `schema` with `list` under [`KEYWORD`] (a schema that is not an object is returned as is).
pub fn annotate(mut schema: Value, list: &[Explanation]) -> Value {
    if let Some(m) = schema.as_object_mut() {
        let mut all = Map::new();
        for e in list {
            all.insert(
                e.code.to_string(),
                json!({"summary": e.summary, "why": e.why, "control": e.control, "fix": e.fix}),
            );
        }
        m.insert(KEYWORD.to_string(), Value::Object(all));
    }
    schema
}

/// The code of the errors [`crate::Reader`] reports for a plugin with code prefix `prefix`.
pub fn section_code(prefix: &str) -> String {
    format!("{prefix}-SECTION")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotates_the_schema_top_level() {
        let e = Explanation {
            code: "X-Y",
            summary: "s",
            why: "w",
            control: "",
            fix: "f",
        };
        let s = annotate(json!({"type": "object"}), &[e]);
        assert_eq!(s[KEYWORD]["X-Y"]["fix"], "f");
        assert_eq!(s["type"], "object");
    }
}
