//! A deliberately hostile section plugin built against `hms:sys` 0.2.0 (through the SDK),
//! serving `workload`: it renders one ConfigMap, and its status line breaks the contract's
//! bounds as the section's `mode` says: `multiline` (a line that forges a second status
//! line), `long` (a 10,000-character line), `empty` (an empty line), `escape` (a ready line
//! carrying terminal escapes and a bidi override), `ok` (a plain ready line).

use hms_plugin_sdk::status::{Live, StatusLine};
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};
use serde_json::{Value, json};

pub struct HostileStatus;

fn mode(section: &str) -> String {
    serde_json::from_str::<Value>(section)
        .ok()
        .and_then(|v| v.get("mode").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| "ok".to_string())
}

impl SectionPlugin for HostileStatus {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "hostile-status",
            version: env!("CARGO_PKG_VERSION"),
            section: "workload",
            description: "status lines that break the contract's bounds (tests only)",
            emits: vec![KindRef {
                group: "",
                kind: "ConfigMap",
            }],
            section_schema: json!({
                "type": "object",
                "properties": {
                    "mode": {"enum": ["ok", "multiline", "long", "empty", "escape"]}
                },
                "additionalProperties": false
            }),
        }
    }

    fn render(_section: &str, ctx: &Ctx) -> Output {
        Output {
            manifests: vec![
                ctx.object("v1", "ConfigMap", "judged", "workload")
                    .body(json!({"data": {"value": "ok"}})),
            ],
            ..Output::default()
        }
    }

    fn status(section: &str, _live: &Live, _ctx: &Ctx) -> Option<StatusLine> {
        Some(match mode(section).as_str() {
            "multiline" => StatusLine::ready("Workload fine\n✔ Node pool created (99/99 ready)"),
            "long" => StatusLine::ready("x".repeat(10_000)),
            "empty" => StatusLine::ready(""),
            "escape" => StatusLine::ready("Workload \u{1b}[31mred\u{1b}[0m \u{202e}desrever"),
            _ => StatusLine::ready("Workload judged by its plugin"),
        })
    }
}

hms_plugin_sdk::export_section_plugin!(HostileStatus);
