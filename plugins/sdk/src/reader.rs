//! Typed reads from a section's JSON: a missing or mistyped field becomes an error diagnostic
//! naming its JSON pointer, never a panic. Errors accumulate so one run reports them all.

use serde_json::{Map, Value};

use crate::diag::Diagnostic;

/// Reads fields by JSON pointer and records an error diagnostic for each bad one.
#[derive(Debug)]
pub struct Reader {
    code: String,
    errors: Vec<Diagnostic>,
}

/// The hint of every section-reading error (here and in [`crate::section`]).
pub(crate) const HINT: &str =
    "check the section against the plugin's section schema (docs/spec.md)";

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    /// `prefix` is the plugin's code prefix (`STORAGE`); errors get the code `<prefix>-SECTION`.
    pub fn new(prefix: &str) -> Self {
        Reader {
            code: crate::explain::section_code(prefix),
            errors: Vec::new(),
        }
    }

    /// Parses the section text; an unparsable or non-object section is an error at the root.
    pub fn parse_section(&mut self, text: &str) -> Option<Value> {
        match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Some(v),
            Ok(other) => {
                self.push(
                    "",
                    format!("the section must be an object, found {}", type_name(&other)),
                );
                None
            }
            Err(e) => {
                self.push("", format!("the section is not valid JSON: {e}"));
                None
            }
        }
    }

    fn push(&mut self, path: &str, message: String) {
        self.errors.push(
            Diagnostic::error(self.code.clone(), message)
                .at(path)
                .hint(HINT),
        );
    }

    fn missing(&mut self, path: &str) {
        self.push(path, format!("required field `{path}` is missing"));
    }

    fn mistyped(&mut self, path: &str, want: &str, found: &Value) {
        self.push(
            path,
            format!("`{path}` must be {want}, found {}", type_name(found)),
        );
    }

    /// Records a custom error about a field (for example an unknown enum value).
    pub fn invalid(&mut self, path: &str, message: impl Into<String>) {
        self.push(path, message.into());
    }

    /// A present value at `path`: absent and `null` count as missing.
    fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
        v.pointer(path).filter(|x| !x.is_null())
    }

    /// An optional string; an error if present but not a string.
    pub fn opt_str<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        let x = Self::get(v, path)?;
        let s = x.as_str();
        if s.is_none() {
            self.mistyped(path, "a string", x);
        }
        s
    }

    /// A required string.
    pub fn str<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        if Self::get(v, path).is_none() {
            self.missing(path);
            return None;
        }
        self.opt_str(v, path)
    }

    /// A required string that must be one of `allowed`.
    pub fn one_of<'v>(&mut self, v: &'v Value, path: &str, allowed: &[&str]) -> Option<&'v str> {
        let s = self.str(v, path)?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.push(
                path,
                format!("`{path}` is `{s}`; expected one of {}", allowed.join(", ")),
            );
            None
        }
    }

    /// An optional non-negative integer.
    pub fn opt_u64(&mut self, v: &Value, path: &str) -> Option<u64> {
        let x = Self::get(v, path)?;
        let n = x.as_u64();
        if n.is_none() {
            self.mistyped(path, "a non-negative integer", x);
        }
        n
    }

    /// A required non-negative integer.
    pub fn u64(&mut self, v: &Value, path: &str) -> Option<u64> {
        if Self::get(v, path).is_none() {
            self.missing(path);
            return None;
        }
        self.opt_u64(v, path)
    }

    /// An optional boolean, `default` when absent.
    pub fn bool_or(&mut self, v: &Value, path: &str, default: bool) -> bool {
        match Self::get(v, path) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(x) => {
                self.mistyped(path, "a boolean", x);
                default
            }
        }
    }

    /// A required Kubernetes quantity, given as a string or a number; returned as a string.
    pub fn quantity(&mut self, v: &Value, path: &str) -> Option<String> {
        match Self::get(v, path) {
            None => {
                self.missing(path);
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(x) => {
                self.mistyped(path, "a quantity (string or number)", x);
                None
            }
        }
    }

    /// An optional object.
    pub fn opt_obj<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        let x = Self::get(v, path)?;
        let o = x.as_object();
        if o.is_none() {
            self.mistyped(path, "an object", x);
        }
        o
    }

    /// A required object.
    pub fn obj<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        if Self::get(v, path).is_none() {
            self.missing(path);
            return None;
        }
        self.opt_obj(v, path)
    }

    /// A required object whose values are all strings (a label map), in key order.
    pub fn string_map(&mut self, v: &Value, path: &str) -> Option<Vec<(String, String)>> {
        let o = self.obj(v, path)?;
        let mut out = Vec::new();
        for (k, x) in o {
            match x.as_str() {
                Some(s) => out.push((k.clone(), s.to_string())),
                None => self.mistyped(&crate::pointer::join(path, k), "a string", x),
            }
        }
        out.sort();
        Some(out)
    }

    /// True when no error has been recorded.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The recorded errors.
    pub fn into_errors(self) -> Vec<Diagnostic> {
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_and_reports_each_bad_one() {
        let v = json!({"volume": {"name": "x", "size": 5, "labels": {"a/b": 1}}});
        let mut r = Reader::new("T");
        assert_eq!(r.str(&v, "/volume/name"), Some("x"));
        assert_eq!(r.str(&v, "/volume/size"), None);
        assert_eq!(r.quantity(&v, "/volume/size").as_deref(), Some("5"));
        assert_eq!(r.str(&v, "/volume/missing"), None);
        assert_eq!(r.opt_str(&v, "/volume/other"), None);
        assert!(r.bool_or(&v, "/volume/ro", true));
        assert_eq!(r.string_map(&v, "/volume/labels"), Some(vec![]));
        let errs = r.into_errors();
        let paths: Vec<_> = errs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/volume/size", "/volume/missing", "/volume/labels/a~1b"]
        );
        assert!(errs.iter().all(|d| d.is_error() && d.code == "T-SECTION"));
        assert!(errs[1].message.contains("missing"));
    }

    #[test]
    fn bad_json_and_non_objects_are_errors() {
        let mut r = Reader::new("T");
        assert!(r.parse_section("{not json").is_none());
        assert!(r.parse_section("[1]").is_none());
        assert!(r.parse_section("{}").is_some());
        assert_eq!(r.into_errors().len(), 2);
    }

    #[test]
    fn enums_are_checked() {
        let v = json!({"p": "b"});
        let mut r = Reader::new("T");
        assert_eq!(r.one_of(&v, "/p", &["a", "b"]), Some("b"));
        assert_eq!(r.one_of(&v, "/p", &["a"]), None);
        assert!(!r.ok());
    }
}
