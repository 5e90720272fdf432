//! OSCAL 1.1.2 assessment results for `hms-sys check -o oscal`: one result per run; one
//! observation per finding (the control id, the baseline, the object, the field and where it was
//! written); one OSCAL finding per NIST SP 800-53 rev5 control the findings map to, `satisfied`
//! unless an error finding maps to it, naming its observations. UUIDs are derived from the
//! content (a name-based, version-5-shaped UUID over sha256), so the same input gives the same
//! document but for its timestamps. An error finding an exception accepts is an observation
//! that names the exception (who, until when, why) and does not make its controls unsatisfied.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::findings::Finding;
use crate::pipeline::PluginUse;

const OSCAL_VERSION: &str = "1.1.2";

/// The assessment-results document of `findings`.
pub fn document(findings: &[Finding], plugins: &[PluginUse], objects: usize) -> Value {
    let now = rfc3339(SystemTime::now());
    let baselines: Vec<String> = plugins
        .iter()
        .filter(|p| p.section == "baseline")
        .map(|p| format!("{} {} ({})", p.name, p.version, p.digest))
        .collect();
    let seed = serde_json::to_string(findings).unwrap_or_default();
    let observations: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let object = f
                .object
                .as_ref()
                .map_or_else(String::new, |o| format!(" in {o}{}", f.path));
            let mut description = format!("{}{object}: {}", f.control, f.message);
            if !f.nist.is_empty() {
                description.push_str(&format!(" (NIST SP 800-53 rev5: {})", f.nist.join(", ")));
            }
            if !f.hint.is_empty() {
                description.push_str(&format!(" To do: {}", f.hint));
            }
            if let Some(e) = &f.excepted {
                let by = [e.approver.as_deref(), e.ticket.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                description.push_str(&format!(
                    " Accepted risk: exception {} at {} ({by}), until {}: {}",
                    e.exception, e.location, e.expires, e.justification
                ));
            }
            let mut o = json!({
                "uuid": uuid(&format!("observation {i} {seed}")),
                "title": format!(
                    "{} ({}, {}{})",
                    f.control,
                    f.baseline,
                    severity(f),
                    if f.excepted.is_some() { ", accepted by an exception" } else { "" }
                ),
                "description": description,
                "methods": ["TEST"],
                "types": ["finding"],
                "collected": now,
            });
            if let Some(l) = &f.location {
                o["relevant-evidence"] = json!([{
                    "href": format!("{}#L{}", l.file, l.line.max(1)),
                    "description": format!("{}:{}:{}", l.file, l.line, l.column),
                }]);
            }
            o
        })
        .collect();
    let mut controls: Vec<&str> = findings
        .iter()
        .flat_map(|f| f.nist.iter().map(String::as_str))
        .collect();
    controls.sort_unstable();
    controls.dedup();
    let oscal_findings: Vec<Value> = controls
        .iter()
        .map(|c| {
            let related: Vec<usize> = (0..findings.len())
                .filter(|&i| findings[i].nist.iter().any(|n| n == c))
                .collect();
            let failing = related.iter().filter(|&&i| findings[i].is_error()).count();
            let state = if failing > 0 {
                "not-satisfied"
            } else {
                "satisfied"
            };
            json!({
                "uuid": uuid(&format!("finding {c} {seed}")),
                "title": format!("NIST SP 800-53 rev5 {}", c.to_uppercase()),
                "description": format!(
                    "{} finding(s) of the baselines support this control, {failing} of them errors",
                    related.len()
                ),
                "target": {
                    "type": "statement-id",
                    "target-id": format!("{c}_smt"),
                    "status": { "state": state },
                },
                "related-observations": related
                    .iter()
                    .map(|&i| json!({ "observation-uuid": observations[i]["uuid"] }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let selection = if controls.is_empty() {
        json!({ "include-all": {} })
    } else {
        json!({ "include-controls": controls.iter().map(|c| json!({ "control-id": c })).collect::<Vec<_>>() })
    };
    let mut result = json!({
        "uuid": uuid(&format!("result {seed}")),
        "title": "hms-sys check",
        "description": format!(
            "{objects} Kubernetes objects checked by {}: {} findings, {} errors",
            if baselines.is_empty() { "no baseline".to_string() } else { baselines.join(", ") },
            findings.len(),
            findings.iter().filter(|f| f.is_error()).count()
        ),
        "start": now,
        "end": now,
        "reviewed-controls": { "control-selections": [selection] },
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if !oscal_findings.is_empty() {
        result["findings"] = Value::Array(oscal_findings);
    }
    json!({
        "assessment-results": {
            "uuid": uuid(&format!("assessment-results {seed}")),
            "metadata": {
                "title": "hms-sys check: compliance baseline findings",
                "last-modified": now,
                "version": env!("CARGO_PKG_VERSION"),
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": { "href": "#" },
            "results": [result],
        }
    })
}

fn severity(f: &Finding) -> &'static str {
    match f.severity {
        hms_plugin::Severity::Error => "error",
        hms_plugin::Severity::Warning => "warning",
        hms_plugin::Severity::Info => "info",
    }
}

/// A UUID (version 5 layout) from the sha256 of `name`.
fn uuid(name: &str) -> String {
    let digest = hms_plugin::digest_of(name.as_bytes());
    let hex: Vec<u8> = digest
        .trim_start_matches("sha256:")
        .bytes()
        .take(32)
        .collect();
    let mut h = String::from_utf8(hex).unwrap_or_default();
    // Version nibble 5, variant 10xx.
    h.replace_range(12..13, "5");
    let variant = u8::from_str_radix(&h[16..17], 16).unwrap_or(0) & 0x3 | 0x8;
    h.replace_range(16..17, &format!("{variant:x}"));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `2026-12-03T13:05:00Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
