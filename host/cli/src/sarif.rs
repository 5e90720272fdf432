//! SARIF 2.1.0 (OASIS) for `hms-sys check -o sarif`: one run, the driver `hms-sys`, each
//! baseline a tool extension, one rule per control id, one result per finding. Written with
//! serde_json (no SARIF crate: nothing to build, and a test validates the output against the
//! official schema).

use serde_json::{Value, json};

use crate::findings::Finding;
use crate::pipeline::PluginUse;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF log of `findings`.
pub fn document(findings: &[Finding], plugins: &[PluginUse]) -> Value {
    let mut rules: Vec<(&str, &Finding)> = Vec::new();
    for f in findings {
        if !rules.iter().any(|(id, _)| *id == f.control) {
            rules.push((&f.control, f));
        }
    }
    let rule_list: Vec<Value> = rules
        .iter()
        .map(|(id, f)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": format!("{id} ({})", f.baseline) },
                "properties": {
                    "baseline": f.baseline,
                    "nist-800-53-rev5": f.nist,
                    "tags": f.nist.iter().map(|n| format!("NIST-SP-800-53-rev5:{n}")).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules
                .iter()
                .position(|(id, _)| *id == f.control)
                .unwrap_or(0);
            let mut text = f.message.clone();
            if !f.hint.is_empty() {
                text.push_str(&format!(" Hint: {}", f.hint));
            }
            let mut location = serde_json::Map::new();
            if let Some(l) = &f.location {
                let mut physical = json!({ "artifactLocation": { "uri": uri(&l.file) } });
                if l.line > 0 {
                    physical["region"] =
                        json!({ "startLine": l.line, "startColumn": l.column.max(1) });
                }
                location.insert("physicalLocation".into(), physical);
            }
            if let Some(o) = &f.object {
                location.insert(
                    "logicalLocations".into(),
                    json!([{
                        "fullyQualifiedName": format!("{o}{}", f.path),
                        "name": o.name,
                        "kind": "object",
                    }]),
                );
            }
            let mut result = json!({
                "ruleId": f.control,
                "ruleIndex": index,
                "level": level(f),
                "message": { "text": text },
                "properties": {
                    "baseline": f.baseline,
                    "nist-800-53-rev5": f.nist,
                    "path": f.path,
                },
            });
            if !location.is_empty() {
                result["locations"] = json!([Value::Object(location)]);
            }
            if let Some(e) = &f.excepted {
                let mut by = Vec::new();
                if let Some(a) = &e.approver {
                    by.push(format!("approved by {a}"));
                }
                if let Some(t) = &e.ticket {
                    by.push(format!("ticket {t}"));
                }
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} ({}; expires {})", e.justification, by.join(", "), e.expires),
                    "properties": { "exception": e.exception, "location": e.location, "expires": e.expires },
                }]);
            }
            result
        })
        .collect();
    let extensions: Vec<Value> = plugins
        .iter()
        .filter(|p| p.section == "baseline")
        .map(|p| json!({ "name": p.name, "version": p.version, "properties": { "digest": p.digest } }))
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "hms-sys",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rule_list,
                },
                "extensions": extensions,
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    })
}

fn level(f: &Finding) -> &'static str {
    match f.severity {
        hms_plugin::Severity::Error => "error",
        hms_plugin::Severity::Warning => "warning",
        hms_plugin::Severity::Info => "note",
    }
}

/// A file name as a relative URI reference: `/` separators, and every byte outside the
/// unreserved and path characters percent-encoded.
fn uri(file: &str) -> String {
    let file = file.replace('\\', "/");
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
