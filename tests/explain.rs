//! `hms-sys explain CODE`: every code the host and the bundled plugins can emit is explained.
//! The codes are read from the sources themselves (quoted code literals, and the
//! `<PREFIX>-SECTION` codes of `Reader::new("PREFIX")`), so a new code without an explanation
//! fails here.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{self, hms};

/// The bundled plugins' crates (each emits only codes it explains in its schema).
const PLUGINS: &[&str] = &["nodepool", "storage", "network", "workload", "baseline-cis"];

/// The prefixes of the codes the bundled plugins and the host emit.
const PREFIXES: &[&str] = &[
    "HMS-",
    "CIS-",
    "PSS-",
    "BASELINE-",
    "NODEPOOL-",
    "STORAGE-",
    "NETWORK-",
    "WORKLOAD-",
];

/// The Rust sources under `dir`, recursively, each without its test module (by convention the
/// last item of a file, after `#[cfg(test)]`); `tests.rs` files are skipped.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            let text = std::fs::read_to_string(&path).expect("read source");
            let text = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            out.push((path.display().to_string(), text));
        }
    }
    out
}

/// Every string literal in `text` (between double quotes, on one line) that looks like a code.
fn code_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        // `error[HMS-APPLY]` written inside a format string counts too.
        for piece in line.split(['"', '[', ']']) {
            let is_code = PREFIXES.iter().any(|p| piece.starts_with(p))
                && piece.len() > 4
                && piece
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && piece.ends_with(|c: char| c.is_ascii_alphanumeric());
            if is_code {
                out.push(piece.to_string());
            }
        }
        // The SDK reader's errors: `Reader::new("STORAGE")` reports `STORAGE-SECTION`.
        if let Some(rest) = line.split("Reader::new(\"").nth(1)
            && let Some(prefix) = rest.split('"').next()
        {
            out.push(format!("{prefix}-SECTION"));
        }
    }
    out
}

fn explained() -> Vec<serde_json::Value> {
    let run = hms(&["explain", "--list", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).expect("JSON list")
}

#[test]
fn every_code_the_host_and_the_bundled_plugins_emit_is_explained() {
    let list = explained();
    let known: BTreeSet<&str> = list.iter().filter_map(|e| e["code"].as_str()).collect();
    for e in &list {
        for field in ["summary", "why", "fix"] {
            assert!(
                e[field].as_str().is_some_and(|s| s.len() > 10),
                "{field} of {e}"
            );
        }
    }
    let root = support::root();
    let mut emitted: Vec<(String, String)> = Vec::new();
    for plugin in PLUGINS {
        for (file, text) in sources(&root.join("plugins").join(plugin).join("src")) {
            emitted.extend(code_literals(&text).into_iter().map(|c| (c, file.clone())));
        }
    }
    let plugin_codes = emitted.len();
    for (file, text) in sources(&root.join("host")) {
        for code in code_literals(&text) {
            // The host's own codes; a plugin's code named in a comment is not one.
            if code.starts_with("HMS-") {
                emitted.push((code, file.clone()));
            }
        }
    }
    assert!(
        plugin_codes > 50 && emitted.len() > plugin_codes + 40,
        "the scan finds the codes: {emitted:?}"
    );
    let missing: Vec<&(String, String)> = emitted
        .iter()
        .filter(|(c, _)| !known.contains(c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an explanation: {missing:?}"
    );
    // Each plugin explains the codes of its own crate, and the host its own.
    for e in &list {
        let (code, source) = (
            e["code"].as_str().unwrap_or(""),
            e["source"].as_str().unwrap_or(""),
        );
        assert!(
            source == "hms-sys" || source.starts_with("plugin ") && source.ends_with("(bundled)"),
            "{e}"
        );
        assert!(
            emitted.iter().any(|(c, _)| c == code) || code == "HMS-EXPLAIN",
            "{code} is explained but never emitted"
        );
    }
}

#[test]
fn a_code_is_explained_with_its_control_and_fix() {
    let run = hms(&["explain", "cis-5.3.2"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = &run.stdout;
    assert!(
        text.starts_with("CIS-5.3.2: A namespace has no NetworkPolicy."),
        "{run:?}"
    );
    assert!(text.contains("from: plugin cis-level-2"), "{run:?}");
    for heading in ["Why it matters:", "Control:", "How to fix it:"] {
        assert!(text.contains(heading), "{heading}: {run:?}");
    }
    // The NIST controls come from the baseline's one mapping table (controls::CONTROLS).
    assert!(
        text.contains("CIS Kubernetes Benchmark 5.3.2; NIST SP 800-53 rev5: "),
        "{run:?}"
    );
    assert!(text.contains("SC-7"), "{run:?}");
    let run = hms(&["explain", "HMS-FORBIDDEN-KIND"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("from: hms-sys"), "{run:?}");
    assert!(run.stdout.contains("grants:"), "{run:?}");
}

#[test]
fn an_unknown_code_says_so_with_did_you_mean() {
    let run = hms(&["explain", "STORAGE-CEPH-PASSPHRAS"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr
            .contains("error[HMS-EXPLAIN]: there is no explanation of `STORAGE-CEPH-PASSPHRAS`"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("did you mean `STORAGE-CEPH-PASSPHRASE`?"),
        "{run:?}"
    );
    let run = hms(&["explain", "NOTHING-LIKE-IT\u{1b}[31m"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("hms-sys explain --list"), "{run:?}");
    assert!(!run.stderr.contains('\u{1b}'), "escaped: {run:?}");
}

/// A plugin that is not bundled explains its own codes through its schema; the host shows them
/// when the spec that names it is given.
#[test]
fn a_spec_s_own_plugins_explain_their_codes() {
    let spec = std::fs::read_to_string(support::agency_example()).expect("agency spec");
    let (_dir, path) = support::agency_project(&spec);
    let path = path.display().to_string();
    let run = hms(&["explain", "agency-registry"]);
    assert_eq!(run.code, 1, "not known without the spec: {run:?}");
    let run = hms(&["explain", "AGENCY-REGISTRY", "--spec", &path]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("AGENCY-REGISTRY: A container image comes from a registry"),
        "{run:?}"
    );
    assert!(run.stdout.contains("from: plugin agency-rules"), "{run:?}");
    assert!(run.stdout.contains("named in the spec"), "{run:?}");
}

/// An explanation is a plugin's text: control characters and bidi overrides are shown escaped.
#[test]
fn a_plugin_s_explanation_is_shown_escaped() {
    let hostile = support::hostile_wasm().display().to_string();
    let run = hms(&["explain", "HOSTILE-ESCAPE", "--plugin", &hostile]);
    assert_eq!(run.code, 0, "{run:?}");
    for raw in ['\u{1b}', '\u{202e}', '\r', '\u{9b}'] {
        assert!(!run.stdout.contains(raw), "{raw:?} escaped: {run:?}");
    }
    assert!(
        run.stdout
            .contains(r"forged\u{1b}[2J\nerror[HMS-SPEC]: fake"),
        "{run:?}"
    );
    assert!(run.stdout.contains(r"\u{202e}reversed"), "{run:?}");
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("error[")),
        "{run:?}"
    );
}
