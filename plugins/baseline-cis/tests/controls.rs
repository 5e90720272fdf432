//! The mapping of finding codes to controls: every NIST SP 800-53 id exists in the official rev5
//! baselines (OSCAL), and every code the plugin's source emits has a row.

use std::collections::BTreeSet;
use std::path::Path;

use hms_plugin_baseline_cis::controls::{CONTROLS, control};

/// The control ids of the official NIST SP 800-53 rev5 MODERATE and HIGH baselines.
fn rev5_baseline_ids() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/oscal");
    let mut ids = BTreeSet::new();
    for level in ["MODERATE", "HIGH"] {
        let path = dir.join(format!(
            "NIST_SP-800-53_rev5_{level}-baseline_profile-min.json"
        ));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let profile: serde_json::Value = serde_json::from_str(&text).expect("OSCAL JSON");
        let with_ids = profile["profile"]["imports"][0]["include-controls"][0]["with-ids"]
            .as_array()
            .expect("with-ids");
        ids.extend(with_ids.iter().map(|v| v.as_str().expect("id").to_string()));
    }
    assert!(ids.len() > 300, "{} ids", ids.len());
    ids
}

#[test]
fn every_mapped_nist_id_is_in_the_rev5_baselines() {
    let ids = rev5_baseline_ids();
    let mut missing = Vec::new();
    for c in CONTROLS {
        for id in c.nist {
            if !ids.contains(*id) {
                missing.push(format!("{}: {id}", c.code));
            }
        }
    }
    assert!(missing.is_empty(), "not in the rev5 baselines: {missing:?}");
}

#[test]
fn every_emitted_code_has_a_row() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut codes = BTreeSet::new();
    for entry in std::fs::read_dir(&src).expect("src") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "controls.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        for prefix in ["\"CIS-", "\"PSS-", "\"HMS-"] {
            for (i, _) in text.match_indices(prefix) {
                let rest = &text[i + 1..];
                let end = rest.find('"').expect("closing quote");
                codes.insert(rest[..end].to_string());
            }
        }
    }
    assert!(codes.len() > 25, "{codes:?}");
    let missing: Vec<&String> = codes.iter().filter(|c| control(c).is_none()).collect();
    assert!(
        missing.is_empty(),
        "codes without a mapping row: {missing:?}"
    );
}

/// docs/compliance.md reproduces the table: one row per code, with the same NIST ids.
#[test]
fn the_docs_list_every_row() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/compliance.md");
    let docs = std::fs::read_to_string(&path).expect("docs/compliance.md");
    for c in CONTROLS {
        let start = format!("| `{}` |", c.code);
        let line = docs
            .lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or_else(|| panic!("docs/compliance.md has no row for {}", c.code));
        let cells: Vec<&str> = line.split(" | ").collect();
        assert_eq!(
            cells.get(3).copied(),
            Some(c.nist.join(", ").as_str()),
            "{line}"
        );
    }
}

/// `hms-sys explain` shows the same NIST controls as the findings: both come from `CONTROLS`.
#[test]
fn explanations_take_their_nist_controls_from_the_one_table() {
    use hms_plugin_baseline_cis::{controls::CONTROLS, explain};
    for e in explain::EXPLANATIONS {
        assert!(
            !e.control.contains("NIST"),
            "{}: NIST ids belong in CONTROLS",
            e.code
        );
    }
    let schema = explain::annotated_schema(hms_plugin_baseline_cis::section_schema());
    let all = &schema[hms_plugin_sdk::explain::KEYWORD];
    for row in CONTROLS.iter().filter(|r| !r.nist.is_empty()) {
        let control = all[row.code]["control"].as_str().unwrap_or_default();
        for id in row.nist {
            assert!(
                control.contains(&id.to_uppercase()),
                "{}: {control}",
                row.code
            );
        }
    }
}
