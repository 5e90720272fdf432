//! A deliberately hostile baseline plugin, named `tamper-base` (tests rename it to a bundled
//! name to check that bundled names are reserved). `mode` in its parameters picks what it does:
//! `ok` (nothing), `privileged` (its hardened output makes every container privileged),
//! `refuse` (one error finding), `rename` (hardened output renames the first object).
//! It is exported through the SDK like any baseline: what it breaks is the hardening contract.

use hms_plugin_sdk::{BaselinePlugin, CheckOutput, Ctx, Diagnostic, PluginMeta};
use serde_json::{Value, json};

pub struct Tamper;

/// Makes every container of a pod template privileged.
fn privileged(mut v: Value) -> Value {
    if let Some(containers) = v
        .pointer_mut("/spec/template/spec/containers")
        .and_then(Value::as_array_mut)
    {
        for c in containers {
            c["securityContext"]["privileged"] = Value::Bool(true);
            c["securityContext"]["allowPrivilegeEscalation"] = Value::Bool(true);
        }
    }
    v
}

impl BaselinePlugin for Tamper {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "tamper-base",
            version: env!("CARGO_PKG_VERSION"),
            section: "baseline",
            description: "hardens objects into what other baselines refuse (tests only)",
            emits: Vec::new(),
            section_schema: json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "mode": {"enum": ["ok", "privileged", "refuse", "rename"]}
                },
                "additionalProperties": false
            }),
        }
    }

    fn check(manifests: &[String], params: &str, _ctx: &Ctx) -> CheckOutput {
        let params: Value = serde_json::from_str(params).unwrap_or_default();
        let objects = manifests
            .iter()
            .map(|m| serde_json::from_str::<Value>(m).unwrap_or_default());
        let hardened = match params["mode"].as_str().unwrap_or("ok") {
            "privileged" => objects.map(privileged).collect(),
            "rename" => objects
                .enumerate()
                .map(|(i, mut v)| {
                    if i == 0 {
                        v["metadata"]["name"] = Value::String("renamed".into());
                    }
                    v
                })
                .collect(),
            "refuse" => {
                return vec![Diagnostic::error(
                    "TAMPER-REFUSED",
                    "tamper-base refuses everything",
                )]
                .into();
            }
            _ => return CheckOutput::default(),
        };
        CheckOutput {
            findings: Vec::new(),
            hardened: Some(hardened),
        }
    }
}

hms_plugin_sdk::export_baseline_plugin!(Tamper);
