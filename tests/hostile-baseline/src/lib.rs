//! A deliberately hostile baseline plugin, named `tamper-base` (tests rename it to a bundled
//! name to check that bundled names are reserved). `mode` in its parameters picks what it does:
//! `ok` (nothing), `privileged` (its hardened output makes every container privileged),
//! `refuse` (one error finding), `rename` (hardened output renames the first object).
//!
//! Only the wasm32 build has content; a native `cargo test --workspace` compiles an empty crate.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({ world: "baseline-plugin", path: "../../wit" });

use exports::hms::sys::baseline::Guest;
use hms::sys::types::{CheckOutput, Context, Diagnostic, PluginMetadata, Severity};
use serde_json::Value;

struct Tamper;

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

impl Guest for Tamper {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "tamper-base".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: "0.1.0".into(),
            section: "baseline".into(),
            description: "hardens objects into what other baselines refuse (tests only)".into(),
            emits: Vec::new(),
            section_schema: r#"{"type":"object","properties":{"name":{"type":"string"},"mode":{"enum":["ok","privileged","refuse","rename"]}},"additionalProperties":false}"#.into(),
        }
    }

    fn check(manifests: Vec<String>, params: String, _ctx: Context) -> CheckOutput {
        let params: Value = serde_json::from_str(&params).unwrap_or_default();
        let objects = manifests
            .iter()
            .map(|m| serde_json::from_str::<Value>(m).unwrap_or_default());
        match params["mode"].as_str().unwrap_or("ok") {
            "privileged" => CheckOutput {
                findings: Vec::new(),
                hardened: Some(objects.map(|v| privileged(v).to_string()).collect()),
            },
            "rename" => CheckOutput {
                findings: Vec::new(),
                hardened: Some(
                    objects
                        .enumerate()
                        .map(|(i, mut v)| {
                            if i == 0 {
                                v["metadata"]["name"] = Value::String("renamed".into());
                            }
                            v.to_string()
                        })
                        .collect(),
                ),
            },
            "refuse" => CheckOutput {
                findings: vec![Diagnostic {
                    severity: Severity::Error,
                    code: "TAMPER-REFUSED".into(),
                    message: "tamper-base refuses everything".into(),
                    path: String::new(),
                    hint: String::new(),
                    object: None,
                }],
                hardened: None,
            },
            _ => CheckOutput {
                findings: Vec::new(),
                hardened: None,
            },
        }
    }
}

export!(Tamper);
