//! `{{name}}`: an hms-sys compliance baseline, composed with `cis-level-2` in a spec:
//!
//! ```yaml
//! baseline:
//!   - cis-level-2
//!   - name: {{name}}
//!     plugin: ./plugins/{{name}}.wasm
//!     forbiddenKinds: [Secret]
//! ```
//!
//! Rule `{{code}}-FORBIDDEN-KIND`: no rendered object is of a kind in `forbiddenKinds`.

use hms_plugin_sdk::{BaselinePlugin, CheckOutput, Ctx, Diagnostic, ObjectRef, PluginMeta};
use serde_json::{Value, json};

/// The code of this baseline's one finding.
pub const FORBIDDEN: &str = "{{code}}-FORBIDDEN-KIND";

/// The JSON Schema of the spec's baseline entry (without `plugin`), checked by the host.
fn params_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "baseline {{name}}",
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": {"const": "{{name}}"},
            "forbiddenKinds": {
                "description": "kinds no rendered object may have",
                "type": "array",
                "items": {"type": "string"},
                "default": ["Secret"]
            }
        },
        "x-hms-explain": {
            FORBIDDEN: {
                "summary": "The spec renders an object of a kind this baseline forbids.",
                "why": "The agency keeps these kinds out of specs (`forbiddenKinds`).",
                "control": "",
                "fix": "Remove the object from the spec, or the kind from `forbiddenKinds`."
            }
        }
    })
}

/// The plugin, exported below as the WIT world `baseline-plugin`.
pub struct Plugin;

impl BaselinePlugin for Plugin {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "{{name}}",
            version: env!("CARGO_PKG_VERSION"),
            section: "baseline",
            description: "{{description}}",
            emits: Vec::new(),
            section_schema: params_schema(),
        }
    }

    fn check(manifests: &[String], params: &str, _ctx: &Ctx) -> CheckOutput {
        let params: Value = serde_json::from_str(params).unwrap_or_default();
        let forbidden: Vec<&str> = match params.get("forbiddenKinds").and_then(Value::as_array) {
            Some(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
            None => vec!["Secret"],
        };
        let mut findings = Vec::new();
        for text in manifests {
            let Ok(object) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let kind = object["kind"].as_str().unwrap_or_default();
            if forbidden.contains(&kind) {
                findings.push(
                    Diagnostic::error(FORBIDDEN, format!("the spec renders a {kind}, a kind this baseline forbids"))
                        .at("/kind")
                        .hint("remove it from the spec, or the kind from forbiddenKinds")
                        .on(ObjectRef::of(&object)),
                );
            }
        }
        findings.into()
    }
}

hms_plugin_sdk::export_baseline_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use hms_plugin_sdk::testing;
    use serde_json::json;

    use super::{FORBIDDEN, Plugin};

    #[test]
    fn a_forbidden_kind_is_an_error_finding() {
        let ctx = testing::ctx().build();
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "test"}});
        let config = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "test"}});
        let out = testing::check::<Plugin>(&[secret, config], json!({"name": "{{name}}"}), &ctx);
        assert_eq!(out.codes(), [FORBIDDEN]);
    }
}
