//! Typed sections: a plugin declares its section as a Rust type deriving `Deserialize` and
//! [`JsonSchema`], so the fields it reads and the schema the host validates against come from
//! one definition and cannot drift.
//!
//! ```ignore
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields, rename_all = "camelCase")] // `additionalProperties: false`
//! #[schemars(title = "network")]
//! struct Network {
//!     #[schemars(extend("format" = "dns1123-label"))] // a named format the host checks
//!     name: String,
//!     #[serde(default)] // published as `"default": false`
//!     allow_dns: bool,
//! }
//! let schema = hms_plugin_sdk::section::schema::<Network>();
//! let network: Network = hms_plugin_sdk::section::parse(text, "NETWORK")?;
//! ```
//!
//! A plugin that does not depend on serde and schemars itself names the SDK's re-exports:
//! `#[serde(crate = "hms_plugin_sdk::serde")]`, `#[schemars(crate = "hms_plugin_sdk::schemars")]`.
//!
//! Defaults: a field with `#[serde(default)]` (or `default = "path"`) is published as `default`
//! in the schema, which the host shows in `hms-sys schema` and editors offer. A `null` is not
//! absent: serde refuses it, as the schema does.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::Diagnostic;
use crate::pointer;

/// The JSON Schema (draft 2020-12) of section type `T`, every subschema inline (no `$ref`,
/// so the host can place it inside the schema of a whole spec as it is); `$schema` and
/// `title` first, for people reading it (`hms-sys plugins inspect`).
pub fn schema<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    match generator.into_root_schema_for::<T>().to_value() {
        Value::Object(mut rest) => {
            let mut m = serde_json::Map::new();
            for key in ["$schema", "title"] {
                if let Some(v) = rest.remove(key) {
                    m.insert(key.into(), v);
                }
            }
            m.extend(rest);
            Value::Object(m)
        }
        other => other,
    }
}

/// Parses the section text into `T`. Every failure is one error diagnostic with code
/// `<prefix>-SECTION` at the JSON pointer of the offending field (a missing field's own
/// pointer), never a panic.
pub fn parse<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<T, Vec<Diagnostic>> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => from_value(v, prefix),
        Ok(other) => Err(vec![error(
            prefix,
            "",
            format!(
                "the section must be an object, found {}",
                crate::reader::type_name(&other)
            ),
        )]),
        Err(e) => Err(vec![error(
            prefix,
            "",
            format!("the section is not valid JSON: {e}"),
        )]),
    }
}

/// [`parse`] for a section already parsed as JSON.
pub fn from_value<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, Vec<Diagnostic>> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut at: String = e
            .path()
            .iter()
            .filter_map(|segment| {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => Some(index.to_string()),
                    Segment::Map { key } => Some(key.clone()),
                    Segment::Enum { .. } | Segment::Unknown => None,
                }
            })
            .fold(String::new(), |acc, token| pointer::join(&acc, &token));
        let message = e.inner().to_string();
        // serde names a missing field at its parent: point at the field itself.
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            at = pointer::join(&at, field);
            return vec![error(
                prefix,
                &at,
                format!("required field `{at}` is missing"),
            )];
        }
        let whole = if at.is_empty() { "the section" } else { &at };
        vec![error(prefix, &at, format!("`{whole}`: {message}"))]
    })
}

fn error(prefix: &str, at: &str, message: String) -> Diagnostic {
    Diagnostic::error(crate::explain::section_code(prefix), message)
        .at(at)
        .hint(crate::reader::HINT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[schemars(title = "t")]
    struct Section {
        inner: Inner,
        #[serde(default)]
        items: Vec<u32>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Inner {
        #[schemars(extend("format" = "dns1123-label"))]
        name: String,
        #[serde(default)]
        mode: Mode,
        #[serde(default = "three")]
        count: u32,
        #[serde(rename = "a/b", default)]
        slashed: bool,
    }

    fn three() -> u32 {
        3
    }

    #[derive(Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
    enum Mode {
        #[default]
        #[serde(rename = "deny-all")]
        DenyAll,
        #[serde(rename = "allow-all")]
        AllowAll,
    }

    fn parsed(v: Value) -> Result<Section, Vec<Diagnostic>> {
        parse(&v.to_string(), "T")
    }

    #[test]
    fn schema_is_inline_with_defaults_and_formats() {
        let s = schema::<Section>();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let first: Vec<_> = s
            .as_object()
            .map(|o| o.keys().take(2).cloned().collect())
            .unwrap_or_default();
        assert_eq!(first, ["$schema", "title"]);
        assert_eq!(s["title"], "t");
        assert_eq!(s["additionalProperties"], false);
        assert!(s.get("$defs").is_none(), "{s:#}");
        let inner = &s["properties"]["inner"];
        assert_eq!(inner["additionalProperties"], false);
        assert_eq!(inner["required"], serde_json::json!(["name"]));
        let p = &inner["properties"];
        assert_eq!(p["name"]["format"], "dns1123-label");
        assert_eq!(p["mode"]["default"], "deny-all");
        assert_eq!(
            p["mode"]["enum"],
            serde_json::json!(["deny-all", "allow-all"])
        );
        assert_eq!(p["count"]["default"], 3);
        assert_eq!(s["properties"]["items"]["default"], serde_json::json!([]));
    }

    #[test]
    fn parses_with_defaults() {
        let s = parsed(serde_json::json!({"inner": {"name": "x"}})).expect("valid");
        assert_eq!((s.inner.name.as_str(), s.inner.count), ("x", 3));
        assert_eq!(s.inner.mode, Mode::DenyAll);
        assert!(s.items.is_empty() && !s.inner.slashed);
    }

    #[test]
    fn errors_point_at_the_field() {
        let at = |v: Value| {
            let e = parsed(v).expect_err("invalid");
            assert_eq!(e.len(), 1);
            assert!(e[0].is_error() && e[0].code == "T-SECTION", "{e:?}");
            (e[0].path.clone(), e[0].message.clone())
        };
        let (path, message) = at(serde_json::json!({"inner": {}}));
        assert_eq!(path, "/inner/name");
        assert_eq!(message, "required field `/inner/name` is missing");
        let (path, message) = at(serde_json::json!({"inner": {"name": 7}}));
        assert_eq!(path, "/inner/name");
        assert!(message.contains("expected a string"), "{message}");
        let (path, message) = at(serde_json::json!({"inner": {"name": "x", "mode": "no"}}));
        assert_eq!(path, "/inner/mode");
        assert!(message.contains("unknown variant `no`"), "{message}");
        let (path, _) = at(serde_json::json!({"inner": {"name": "x", "a/b": 1}}));
        assert_eq!(path, "/inner/a~1b");
        let (path, _) = at(serde_json::json!({"inner": {"name": "x"}, "items": [1, "2"]}));
        assert_eq!(path, "/items/1");
        let (path, message) = at(serde_json::json!({"inner": {"name": "x"}, "extra": 1}));
        assert_eq!(path, "/extra");
        assert!(
            message.starts_with("`/extra`: unknown field `extra`"),
            "{message}"
        );
    }

    #[test]
    fn bad_text_is_an_error_at_the_root() {
        for text in ["{nope", "[1]"] {
            let e = parse::<Section>(text, "T").expect_err("invalid");
            assert_eq!((e[0].path.as_str(), e[0].code.as_str()), ("", "T-SECTION"));
        }
    }
}
