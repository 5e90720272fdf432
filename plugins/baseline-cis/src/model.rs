//! Findings, parameters and the small JSON helpers every check shares.

use serde::Deserialize;
use serde_json::Value;

/// The plugin's name, also the only accepted value of `params.name`.
pub const NAME: &str = "cis-level-2";

/// Code of findings about the input itself (params or a manifest that cannot be judged).
pub const INPUT_CODE: &str = "BASELINE-INPUT";

/// A finding is the SDK's diagnostic with its object set; severity and object reference are
/// the SDK's too (they mirror the WIT records).
pub use hms_plugin_sdk::{Diagnostic as Finding, ObjectRef, Severity};

/// Collects findings about one object.
pub struct Sink<'a> {
    pub object: &'a ObjectRef,
    pub out: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    /// Records a finding about the sink's object.
    pub fn push(
        &mut self,
        severity: Severity,
        code: &str,
        path: String,
        message: String,
        hint: &str,
    ) {
        self.out.push(Finding {
            severity,
            code: code.to_string(),
            message,
            path,
            hint: hint.to_string(),
            object: Some(self.object.clone()),
        });
    }

    /// Records an error finding.
    pub fn error(&mut self, code: &str, path: String, message: String, hint: &str) {
        self.push(Severity::Error, code, path, message, hint);
    }

    /// Records a warning finding.
    pub fn warning(&mut self, code: &str, path: String, message: String, hint: &str) {
        self.push(Severity::Warning, code, path, message, hint);
    }
}

/// Pod Security Standards level to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Restricted,
    Baseline,
}

impl Profile {
    /// The level's name as Pod Security Admission spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Restricted => "restricted",
            Profile::Baseline => "baseline",
        }
    }
}

/// The baseline section after defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    pub profile: Profile,
    /// Only the Pod Security Standards checks, none of the other CIS or HMS checks.
    pub pod_security_only: bool,
    /// The node runtimes this profile approves (`fips-*` matches every name with that prefix);
    /// empty approves any ([`crate::runtime`]).
    pub runtimes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawParams {
    name: String,
    #[serde(default)]
    profile: Option<Profile>,
    #[serde(default)]
    pod_security_only: Option<bool>,
    #[serde(default)]
    runtimes: Option<Vec<String>>,
}

/// Parses the baseline section (`{"name":"cis-level-2","profile":...,"podSecurityOnly":...}`).
pub fn parse_params(text: &str) -> Result<Params, String> {
    let raw: RawParams =
        serde_json::from_str(text).map_err(|e| format!("invalid baseline params: {e}"))?;
    if raw.name != NAME {
        return Err(format!(
            "invalid baseline params: name is {:?}, this plugin is {NAME:?}",
            raw.name
        ));
    }
    Ok(Params {
        profile: raw.profile.unwrap_or_default(),
        pod_security_only: raw.pod_security_only.unwrap_or(false),
        runtimes: raw.runtimes.unwrap_or_default(),
    })
}

/// The JSON Schema (draft 2020-12) of the params object.
pub fn section_schema() -> Value {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cis-level-2 baseline",
        "description": "Pod Security Standards and CIS Kubernetes Benchmark section 5 checks over the rendered manifests.",
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": { "const": NAME },
            "profile": {
                "description": "Pod Security Standards level: restricted (default) or baseline.",
                "enum": ["restricted", "baseline"],
                "default": "restricted"
            },
            "podSecurityOnly": {
                "description": "Run only the Pod Security Standards checks.",
                "type": "boolean",
                "default": false
            },
            "runtimes": {
                "description": "The node runtimes this profile approves, e.g. [fips-*] for FIPS 140 validated nodes only (a trailing * matches a prefix); the spec's nodePool.runtime must be one. Absent: any runtime.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1
            }
        }
    })
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn ptr(base: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}

/// Appends an array index to a JSON pointer.
pub fn ptr_i(base: &str, index: usize) -> String {
    format!("{base}/{index}")
}

/// Follows object keys, treating JSON `null` as absent.
pub fn at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = value;
    for key in keys {
        cur = cur.as_object()?.get(*key)?;
    }
    if cur.is_null() { None } else { Some(cur) }
}

/// A string found by [`at`].
pub fn str_at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a str> {
    at(value, keys)?.as_str()
}

/// The elements of an array found by [`at`], empty when absent or not an array.
pub fn arr_at<'a>(value: &'a Value, keys: &[&str]) -> &'a [Value] {
    match at(value, keys) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// True only for JSON `true`.
pub fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
}

/// A string-valued field that may be absent: `Some("")` when absent or null, `Some(s)` for a
/// string, `None` for any other type (which Kubernetes would reject; checks treat it as bad).
pub fn text(value: Option<&Value>) -> Option<&str> {
    match value {
        None | Some(Value::Null) => Some(""),
        Some(Value::String(s)) => Some(s),
        Some(_) => None,
    }
}

/// Shows a JSON value in a message: strings bare, anything else as JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_defaults_and_errors() {
        assert_eq!(
            parse_params(r#"{"name":"cis-level-2"}"#),
            Ok(Params::default())
        );
        assert_eq!(
            parse_params(r#"{"name":"cis-level-2","profile":"baseline","podSecurityOnly":true}"#),
            Ok(Params {
                profile: Profile::Baseline,
                pod_security_only: true,
                runtimes: Vec::new(),
            })
        );
        assert_eq!(
            parse_params(r#"{"name":"cis-level-2","runtimes":["fips-*"]}"#).map(|p| p.runtimes),
            Ok(vec!["fips-*".to_string()])
        );
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"name":"other"}"#,
            r#"{"name":"cis-level-2","profile":"privileged"}"#,
            r#"{"name":"cis-level-2","podSecurityOnly":"yes"}"#,
            r#"{"name":"cis-level-2","extra":1}"#,
        ] {
            assert!(parse_params(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn pointer_escaping() {
        assert_eq!(
            ptr("/metadata/annotations", "a.io/b~c"),
            "/metadata/annotations/a.io~1b~0c"
        );
    }

    #[test]
    fn object_ref_group() {
        let obj = serde_json::json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","namespace":"ns"}});
        let r = ObjectRef::of(&obj);
        assert_eq!((r.group.as_str(), r.kind.as_str()), ("apps", "Deployment"));
        assert_eq!(
            ObjectRef::of(&serde_json::json!({"apiVersion":"v1"})).group,
            ""
        );
    }
}
