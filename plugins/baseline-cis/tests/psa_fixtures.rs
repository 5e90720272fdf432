//! Agreement with the upstream Pod Security Admission v1.35 conformance fixtures: every `pass`
//! file yields no error at its level, every `fail` file at least one.

use std::path::{Path, PathBuf};

use hms_plugin_baseline_cis::{Finding, Severity, check};
use serde::Deserialize;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/pod-security-admission/v1.35")
}

/// Every YAML document of a file, as JSON text.
fn documents(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            let value = serde_json::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            value.to_string()
        })
        .filter(|doc| doc != "null")
        .collect()
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// Runs one level; returns (files checked, disagreements).
fn run_level(level: &str) -> (usize, usize, Vec<String>) {
    let params = format!(r#"{{"name":"cis-level-2","profile":"{level}","podSecurityOnly":true}}"#);
    let mut counts = (0, 0);
    let mut wrong = Vec::new();
    for outcome in ["pass", "fail"] {
        let dir = fixtures_root().join(level).join(outcome);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no fixtures in {}", dir.display());
        for file in files {
            let docs = documents(&file);
            assert!(!docs.is_empty(), "{} has no document", file.display());
            let findings = check(&docs, &params, "");
            let errs = errors(&findings);
            let ok = match outcome {
                "pass" => errs.is_empty(),
                _ => !errs.is_empty(),
            };
            if outcome == "pass" {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            if !ok {
                let detail: Vec<String> = errs
                    .iter()
                    .map(|f| format!("{} {} ({})", f.code, f.message, f.path))
                    .collect();
                wrong.push(format!("{level}/{outcome}/{}: {detail:?}", file.display()));
            }
        }
    }
    println!(
        "{level}: {} pass files, {} fail files, {} disagreements",
        counts.0,
        counts.1,
        wrong.len()
    );
    (counts.0, counts.1, wrong)
}

#[test]
fn restricted_fixtures_agree() {
    let (pass, fail, wrong) = run_level("restricted");
    assert!(pass > 0 && fail > 0);
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
}

#[test]
fn baseline_fixtures_agree() {
    let (pass, fail, wrong) = run_level("baseline");
    assert!(pass > 0 && fail > 0);
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
}

/// Each fail fixture is caught by the check its file name names, not by another one.
#[test]
fn fail_fixtures_hit_the_named_check() {
    let expected = |stem: &str| -> &'static [&'static str] {
        let rule = stem.trim_end_matches(|c: char| c.is_ascii_digit());
        match rule {
            "allowprivilegeescalation" => &["CIS-5.2.6"],
            "apparmorprofile" => &["PSS-appArmorProfile"],
            "capabilities_baseline" => &["CIS-5.2.8", "CIS-5.2.9"],
            "capabilities_restricted" => &["CIS-5.2.8", "CIS-5.2.9", "CIS-5.2.10"],
            "hostnamespaces" => &["CIS-5.2.3", "CIS-5.2.4", "CIS-5.2.5"],
            "hostpathvolumes" => &["CIS-5.2.12"],
            "hostports" => &["CIS-5.2.13"],
            "hostprobesandhostlifecycle" => &["PSS-hostProbesAndHostLifecycle"],
            "privileged" => &["CIS-5.2.2"],
            "procmount" | "procmount_restricted" => &["PSS-procMount"],
            "restrictedvolumes" => &["PSS-restrictedVolumes", "CIS-5.2.12"],
            "runasnonroot" | "runasuser" => &["CIS-5.2.7"],
            "seccompprofile_baseline" | "seccompprofile_restricted" => &["CIS-5.7.2"],
            "selinuxoptions" => &["PSS-seLinuxOptions"],
            "sysctls" => &["PSS-sysctls"],
            "windowshostprocess" => &["CIS-5.2.11"],
            _ => &[],
        }
    };
    let mut wrong = Vec::new();
    for level in ["restricted", "baseline"] {
        let params =
            format!(r#"{{"name":"cis-level-2","profile":"{level}","podSecurityOnly":true}}"#);
        let dir = fixtures_root().join(level).join("fail");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("{}", dir.display());
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            let want = expected(&stem);
            let findings = check(&documents(&path), &params, "");
            if want.is_empty() || !findings.iter().any(|f| want.contains(&f.code.as_str())) {
                wrong.push(format!(
                    "{level}/fail/{stem}: got {:?}",
                    findings.iter().map(|f| &f.code).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
