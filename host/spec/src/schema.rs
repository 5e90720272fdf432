//! The JSON Schema of a whole spec, for editors (`hms-sys schema`, yaml-language-server): the
//! envelope this crate owns (name, namespace, `plugins`, `baseline`, `grants`, which sections
//! exist) with, in each section's place, the schema of the plugin that serves it, and for each
//! known baseline its parameters' schema. The host itself never validates a spec against this
//! document: it checks the envelope in `validate.rs` and each section against its plugin's schema,
//! with located errors; this is the same contract written for an editor.

use serde_json::{Map, Value, json};

use crate::Section;

/// A DNS-1123 label as a pattern, for editors that do not know the host's named formats
/// (`names::dns1123_label_reason` is the rule; a test checks they agree).
pub const DNS1123_LABEL_PATTERN: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/// A grant's kind, `Kind` or `Kind.group` (`names::parse_kind_ref` is the rule).
const KIND_REF_PATTERN: &str = "^[A-Z][A-Za-z0-9]{0,62}(\\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$";

/// A plugin reference: a bundled name, or a `.wasm` path, optionally `@sha256:<hex>`
/// (`plugin_ref.rs` is the rule).
const PLUGIN_REF_DESCRIPTION: &str = "a bundled plugin's name, or a path to a .wasm component relative to the spec, optionally pinned: ./plugins/x.wasm@sha256:<64 hex digits>";

/// The keyword under which plugins publish explanations of their codes (not for editors).
const EXPLAIN_KEYWORD: &str = hms_plugin_sdk::explain::KEYWORD;

/// The whole spec's schema. `sections`: the schema of the plugin serving each section (a section
/// left out is not allowed); `baselines`: each known baseline's name and parameters' schema
/// (the entry without `plugin`, as the host passes it).
pub fn json_schema(sections: &[(Section, Value)], baselines: &[(String, Value)]) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "name".into(),
        json!({
            "description": "The spec's name: inventory, `hms-sys status NAME`, the hms.io/spec label. Default: nodePool.name, else the workload's name.",
            "type": "string", "format": "dns1123-label", "pattern": DNS1123_LABEL_PATTERN,
        }),
    );
    properties.insert(
        "namespace".into(),
        json!({
            "description": "Where every namespaced object goes. Default: the spec's name; `default` and `kube-*` are refused (CIS 5.7.4).",
            "type": "string", "format": "dns1123-label", "pattern": DNS1123_LABEL_PATTERN,
            "not": {"anyOf": [{"const": "default"}, {"pattern": "^kube-"}]},
        }),
    );
    let mut chosen = Map::new();
    for (section, schema) in sections {
        let key = section.key();
        let mut schema = embedded(schema.clone(), &format!("#/properties/{key}"));
        if *section == Section::NodePool
            && let Some(Value::Object(props)) = schema.get_mut("properties")
        {
            // The envelope's shorthand for the top-level `baseline:`.
            props.insert(
                "baseline".into(),
                json!({"description": "Shorthand for the top-level `baseline:` (one baseline's name).", "type": "string"}),
            );
        }
        properties.insert(key.into(), schema);
        chosen.insert(
            key.into(),
            json!({"type": "string", "description": PLUGIN_REF_DESCRIPTION}),
        );
    }
    properties.insert(
        "plugins".into(),
        json!({
            "description": "Which plugin serves a section (default: the bundled one).",
            "type": "object", "additionalProperties": false, "properties": chosen,
        }),
    );
    properties.insert(
        "baseline".into(),
        json!({
            "description": "The compliance baselines that must pass: a name, a mapping (name, optional plugin, parameters), or a list of them. Default: nodePool.baseline.",
            "anyOf": [
                {"$ref": "#/$defs/baselineEntry"},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/baselineEntry"}},
            ],
        }),
    );
    properties.insert(
        "grants".into(),
        json!({
            "description": "Kinds a plugin may emit beyond its section's allow-list: plugin name to a list of `Kind` or `Kind.group`.",
            "type": "object",
            "propertyNames": {"pattern": DNS1123_LABEL_PATTERN},
            "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": KIND_REF_PATTERN}},
        }),
    );
    let names: Vec<&str> = baselines.iter().map(|(n, _)| n.as_str()).collect();
    let mut per_baseline = Vec::new();
    for (name, schema) in baselines {
        let mut schema = embedded(schema.clone(), &format!("#/$defs/baselines/{name}"));
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.insert(
                "plugin".into(),
                json!({"type": "string", "description": PLUGIN_REF_DESCRIPTION}),
            );
        }
        per_baseline.push(json!({
            "if": {"type": "object", "required": ["name"], "properties": {"name": {"const": name}}},
            "then": schema,
        }));
    }
    let entry = json!({
        "anyOf": [
            {"type": "string", "pattern": DNS1123_LABEL_PATTERN, "examples": names},
            {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": DNS1123_LABEL_PATTERN, "examples": names},
                    "plugin": {"type": "string", "description": PLUGIN_REF_DESCRIPTION},
                },
                "allOf": per_baseline,
            },
        ],
    });
    let present: Vec<Value> = sections
        .iter()
        .map(|(s, _)| json!({"required": [s.key()]}))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "hms-sys spec",
        "description": "One hms-sys cluster spec (docs/spec.md). Generated by `hms-sys schema`: the envelope and the schemas of the plugins that serve each section.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "anyOf": present,
        "$defs": {"baselineEntry": entry},
    })
}

/// A plugin's schema as a subschema of the spec's: without `$schema` (only a document root has
/// one) and the explanations, and with its local `$ref`s (`#/...`) made relative to `at`.
fn embedded(mut schema: Value, at: &str) -> Value {
    if let Value::Object(m) = &mut schema {
        m.remove("$schema");
        m.remove(EXPLAIN_KEYWORD);
    }
    rebase_refs(&mut schema, at);
    schema
}

fn rebase_refs(v: &mut Value, at: &str) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match child {
                    Value::String(r) if k == "$ref" && (r == "#" || r.starts_with("#/")) => {
                        *r = format!("{at}{}", &r[1..]);
                    }
                    _ => rebase_refs(child, at),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rebase_refs(c, at)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_pattern_is_the_label_rule() {
        let re = regex::Regex::new(DNS1123_LABEL_PATTERN).expect("pattern");
        let long = "a".repeat(63);
        let too_long = "a".repeat(64);
        for s in [
            "a",
            "dcaa-secure",
            "a1",
            "1a",
            "-a",
            "a-",
            "A",
            "a_b",
            "",
            &long,
            &too_long,
            "a.b",
        ] {
            assert_eq!(
                re.is_match(s),
                crate::is_dns1123_label(s),
                "{s:?}: the pattern and the rule disagree"
            );
        }
    }

    #[test]
    fn sections_are_embedded_with_their_refs_rebased() {
        let section = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "x-hms-explain": {"X-Y": {}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"type": "string"}},
        });
        let s = json_schema(&[(Section::Storage, section)], &[]);
        let storage = &s["properties"]["storage"];
        assert!(storage.get("$schema").is_none() && storage.get("x-hms-explain").is_none());
        assert_eq!(
            storage["properties"]["a"]["$ref"],
            "#/properties/storage/$defs/a"
        );
        assert_eq!(s["anyOf"], json!([{"required": ["storage"]}]));
    }
}
