//! `hms-sys check`: the baselines over a spec's output or over existing manifests (files,
//! directories, stdin; multi-document YAML, JSON, `List`s; every kind that carries a pod), its
//! exit codes, and its text, JSON and SARIF output.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::{Run, example, hms, shared};

fn psa_root() -> PathBuf {
    shared().join("pod-security-admission/v1.35")
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .map(|p| if p.is_dir() { walk_count(&p) } else { 1 })
        .sum()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// `hms-sys check --profile restricted` and `--profile baseline`, run on the raw upstream Pod
/// Security Admission fixture files, agree with every one: exit 0 for `pass`, 5 for `fail`.
#[test]
fn check_agrees_with_every_psa_fixture_file() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for level in ["restricted", "baseline"] {
        for (outcome, code) in [("pass", 0), ("fail", 5)] {
            let files = files_in(&psa_root().join(level).join(outcome));
            assert!(!files.is_empty(), "no fixtures for {level}/{outcome}");
            for file in files {
                let path = file.display().to_string();
                let run = hms(&["check", "--profile", level, "-o", "json", &path]);
                checked += 1;
                if run.code != code {
                    wrong.push(format!(
                        "{level}/{outcome} {path}: exit {} {}",
                        run.code, run.stdout
                    ));
                    continue;
                }
                let out = json(&run);
                assert_eq!(out["refused"], code == 5, "{path}");
                for f in out["findings"].as_array().expect("findings") {
                    if f["severity"] == "error" {
                        assert_eq!(f["location"]["file"], path.as_str(), "{f}");
                        assert!(f["location"]["line"].as_u64() > Some(0), "{f}");
                    }
                }
            }
        }
    }
    // Every file there is a fixture, and every one was checked.
    let all = walk_count(&psa_root());
    assert_eq!(checked, all, "checked {checked} of {all} fixture files");
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A whole directory of fixtures at once: every `pass` directory is clean.
#[test]
fn check_reads_a_directory() {
    for level in ["restricted", "baseline"] {
        let dir = psa_root().join(level).join("pass");
        let run = hms(&["check", "--profile", level, dir.to_str().expect("utf-8")]);
        assert_eq!(run.code, 0, "{run:?}");
        let n = files_in(&dir).len();
        assert!(run.stdout.contains(&format!("in {n} files")), "{run:?}");
        let fail = psa_root().join(level).join("fail");
        let run = hms(&["check", "--profile", level, fail.to_str().expect("utf-8")]);
        assert_eq!(run.code, 5, "{run:?}");
        assert!(run.stdout.contains("✘ refused"), "{run:?}");
    }
}

const PRIVILEGED: &str = r#"{"containers":[{"name":"c","image":"registry.k8s.io/pause","securityContext":{"privileged":true}}]}"#;

/// Every pod-bearing kind, a kind the baseline does not know that carries a pod template (an
/// Argo Rollout), a `List`, JSON and multi-document YAML: each privileged pod is found, named
/// with its file and the line of the offending field.
#[test]
fn check_finds_every_pod_bearing_kind() {
    let pod: serde_json::Value = serde_json::from_str(PRIVILEGED).expect("pod spec");
    let template = serde_json::json!({"metadata": {"labels": {"app": "x"}}, "spec": pod});
    let holders = [
        ("v1", "Pod", serde_json::json!({"spec": pod})),
        (
            "v1",
            "PodTemplate",
            serde_json::json!({"template": template}),
        ),
        (
            "v1",
            "ReplicationController",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "apps/v1",
            "Deployment",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "apps/v1",
            "StatefulSet",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "apps/v1",
            "DaemonSet",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "apps/v1",
            "ReplicaSet",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "batch/v1",
            "Job",
            serde_json::json!({"spec": {"template": template}}),
        ),
        (
            "batch/v1",
            "CronJob",
            serde_json::json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
        ),
        (
            "argoproj.io/v1alpha1",
            "Rollout",
            serde_json::json!({"spec": {"template": template}}),
        ),
    ];
    let objects: Vec<serde_json::Value> = holders
        .iter()
        .map(|(api, kind, body)| {
            let mut o = body.clone();
            o["apiVersion"] = (*api).into();
            o["kind"] = (*kind).into();
            o["metadata"] = serde_json::json!({"name": kind.to_lowercase(), "namespace": "apps"});
            o
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    // Half as a multi-document YAML file, half as a JSON List.
    let yaml: Vec<String> = objects[..5]
        .iter()
        .map(|o| serde_yaml_ng::to_string(o).expect("yaml"))
        .collect();
    std::fs::write(dir.path().join("a.yaml"), yaml.join("---\n")).expect("write");
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects[5..]});
    std::fs::write(
        dir.path().join("b.json"),
        serde_json::to_string_pretty(&list).expect("json"),
    )
    .expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a manifest").expect("write");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        "-o",
        "json",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 5, "{run:?}");
    let out = json(&run);
    assert_eq!(out["objects"], holders.len());
    let findings = out["findings"].as_array().expect("findings");
    for (_, kind, _) in &holders {
        let f = findings
            .iter()
            .find(|f| f["control"] == "CIS-5.2.2" && f["object"]["kind"] == *kind)
            .unwrap_or_else(|| panic!("no privileged finding for {kind}: {findings:#?}"));
        let file = f["location"]["file"].as_str().expect("file");
        let line = f["location"]["line"].as_u64().expect("line") as usize;
        let text = std::fs::read_to_string(file).expect("input");
        let written = text.lines().nth(line - 1).expect("the line exists");
        assert!(
            written.contains("privileged"),
            "{kind}: line {line} of {file} is {written:?}"
        );
        assert!(
            f["path"]
                .as_str()
                .expect("path")
                .ends_with("/securityContext/privileged")
        );
        assert_eq!(
            f["nist"],
            serde_json::json!(["ac-6", "ac-6.10", "sc-39"]),
            "{f}"
        );
    }
}

/// A spec is rendered and judged by its own baselines; `--profile` does not apply to it.
#[test]
fn check_a_spec() {
    let spec = example().display().to_string();
    let run = hms(&["check", &spec]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("✔ passed: 8 objects checked by baseline cis-level-2"),
        "{run:?}"
    );
    assert!(run.stdout.contains("warning[HMS-PROBES]"), "{run:?}");
    // The sections' warnings go to stderr, as render reports them.
    assert!(run.stderr.contains("STORAGE-CEPH-PASSPHRASE"), "{run:?}");
    let run = hms(&["check", "--profile", "baseline", &spec]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--profile does not apply to a spec"),
        "{run:?}"
    );
    // A privileged workload the spec's baseline refuses: exit 5, as render.
    let (_dir, path) = crate::support::spec_file(&crate::support::example_with(
        "replicas: 10",
        "replicas: 10\n  hostNetwork: true",
    ));
    let render = hms(&["render", path.to_str().expect("utf-8")]);
    let check = hms(&["check", path.to_str().expect("utf-8")]);
    assert_eq!(
        (render.code, check.code),
        (render.code, render.code),
        "{render:?} {check:?}"
    );
}

/// Bad input is a located problem with exit 3, never a panic.
#[test]
fn check_bad_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "syntax.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
            "syntax.yaml:",
        ),
        (
            "nokind.yaml",
            "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nmetadata: {}\n",
            "no `kind`",
        ),
        ("scalar.yaml", "kind: Pod\n---\n42\n", "not a mapping"),
    ];
    for (name, text, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let run = hms(&["check", path.to_str().expect("utf-8")]);
        assert_eq!(run.code, 3, "{name}: {run:?}");
        assert!(run.stderr.contains(expect), "{name}: {run:?}");
        assert!(run.stderr.contains("hint:"), "{name}: {run:?}");
    }
    let missing = dir.path().join("missing.yaml");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        missing.to_str().expect("utf-8"),
        "-",
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let empty = tempfile::tempdir().expect("temp dir");
    let run = hms(&["check", empty.path().to_str().expect("utf-8")]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("holds no .yaml"), "{run:?}");
}

/// `-` reads manifests from stdin (here, a real child process with a pipe).
#[test]
fn check_reads_stdin() {
    let fixture = psa_root().join("baseline/fail/privileged0.yaml");
    let text = std::fs::read(&fixture).expect("fixture");
    let args: Vec<String> = ["check", "--profile", "baseline", "-"]
        .map(String::from)
        .to_vec();
    let mut child = crate::support::spawn_hms_with(&args, &[], std::process::Stdio::piped());
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&text).expect("write stdin");
    drop(stdin);
    let run = crate::support::wait_child(child, std::time::Duration::from_secs(120));
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stdout.contains("-:"), "{run:?}");
    assert!(run.stdout.contains("error[CIS-5.2.2]"), "{run:?}");
}

/// `-o sarif` is valid SARIF 2.1.0 (the OASIS schema), each result with its rule, level,
/// message and the file and line of the offending field.
#[test]
fn check_sarif_is_valid() {
    let schema_path = shared().join("sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("schema"))
            .expect("json");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let fail = psa_root().join("restricted/fail");
    let run = hms(&["check", "-o", "sarif", fail.to_str().expect("utf-8")]);
    assert_eq!(run.code, 5, "{run:?}");
    let log = json(&run);
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run0["results"].as_array().expect("results");
    assert!(results.len() > 100, "{}", results.len());
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().expect("level")));
        assert!(!r["message"]["text"].as_str().expect("message").is_empty());
        let physical = &r["locations"][0]["physicalLocation"];
        assert!(
            physical["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .ends_with(".yaml"),
            "{r}"
        );
        assert!(physical["region"]["startLine"].as_u64() > Some(0), "{r}");
    }
    // A clean run is a valid log with no results.
    let pass = psa_root().join("baseline/pass");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        "-o",
        "sarif",
        pass.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let log = json(&run);
    assert!(validator.is_valid(&log));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

/// Text output shows what a plugin wrote escaped: a control character in an object's name
/// reaches the terminal as `\u{1b}`.
#[test]
fn check_text_escapes_plugin_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pod.json");
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "evil\u{1b}[31m", "namespace": "n"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "i"}]}});
    std::fs::write(&path, pod.to_string()).expect("write");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(!run.stdout.contains('\u{1b}'), "{run:?}");
    assert!(run.stdout.contains("\\u{1b}"), "{run:?}");
    assert!(run.stdout.contains("pod.json:1:"), "{run:?}");
}

/// Runs `trestle validate` (compliance-trestle, installed by the README's test command) on an
/// assessment-results document inside a fresh trestle workspace.
fn trestle_validate(doc: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let trestle = |args: &[&str]| {
        std::process::Command::new("trestle")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("trestle is installed (pip install compliance-trestle; the README's test command does it)")
    };
    let init = trestle(&["init"]);
    assert!(init.status.success(), "trestle init: {init:?}");
    let file = dir
        .path()
        .join("assessment-results/hms/assessment-results.json");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, doc).expect("write");
    trestle(&["validate", "-f", file.to_str().expect("utf-8")])
}

/// `-o oscal` is an OSCAL assessment-results document that compliance-trestle accepts: one
/// observation per finding, one finding per NIST control, not satisfied when an error maps to it.
#[test]
fn check_oscal_is_accepted_by_trestle() {
    let fail = psa_root().join("baseline/fail");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        "-o",
        "oscal",
        fail.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 5, "{run:?}");
    let doc = json(&run);
    let result = &doc["assessment-results"]["results"][0];
    let observations = result["observations"].as_array().expect("observations");
    let findings = result["findings"].as_array().expect("findings");
    assert!(observations.len() >= files_in(&fail).len());
    let ac6 = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "ac-6_smt")
        .expect("a finding for AC-6");
    assert_eq!(ac6["target"]["status"]["state"], "not-satisfied");
    let out = trestle_validate(&run.stdout);
    assert!(out.status.success(), "trestle refused it: {out:?}");
    // A clean run too; and trestle does refuse a broken document (the check bites).
    let pass = psa_root().join("baseline/pass");
    let run = hms(&[
        "check",
        "--profile",
        "baseline",
        "-o",
        "oscal",
        pass.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(trestle_validate(&run.stdout).status.success(), "{run:?}");
    let broken = run.stdout.replace("\"oscal-version\"", "\"oscal-versio\"");
    assert!(!trestle_validate(&broken).status.success());
}

/// The example without its network section: the baseline refuses it (CIS-5.3.2, no
/// NetworkPolicy for the namespace that runs the pods), plus `extra` at the end.
fn without_network(extra: &str) -> String {
    let text = std::fs::read_to_string(example()).expect("example");
    let (start, end) = (
        text.find("network:").expect("network"),
        text.find("workload:").expect("workload"),
    );
    format!("{}{}{extra}", &text[..start], &text[end..])
}

const ACCEPTED: &str = r#"exceptions:
  - control: "CIS-5.3.*"
    objects: [{kind: Namespace, name: dcaa-*}]
    justification: the service mesh fences the namespace until the CNI migration
    ticket: SEC-1234
    expires: 2999-12-31
  - control: CIS-5.2.2
    justification: nothing privileged here
    approver: jane.doe@agency.gov
    expires: 2999-01-01
"#;

/// An exception accepts a finding in render, validate, apply and check alike (one gate); one
/// that matched nothing is a warning naming where it is written; SARIF carries the acceptance
/// as an external, accepted suppression with its justification; apply's events record it.
#[test]
fn exceptions_accept_findings_everywhere() {
    let (_d, refused) = crate::support::spec_file(&without_network(""));
    let refused = refused.to_str().expect("utf-8").to_string();
    for cmd in ["render", "validate", "check"] {
        let run = hms(&[cmd, &refused]);
        assert_eq!(run.code, 5, "{cmd}: {run:?}");
    }
    let (dir, spec) = crate::support::spec_file(&without_network(ACCEPTED));
    let spec = spec.to_str().expect("utf-8").to_string();
    for cmd in ["render", "validate", "check"] {
        let run = hms(&[cmd, &spec]);
        assert_eq!(run.code, 0, "{cmd}: {run:?}");
        assert!(
            run.stderr.contains(&format!("{spec}:20:14: warning[HMS-EXCEPTION-UNUSED]: exception exceptions[1] (control `CIS-5.2.2`)")),
            "{cmd}: {run:?}"
        );
    }
    let run = hms(&["check", &spec]);
    assert!(run.stdout.contains("warning[CIS-5.3.2]"), "{run:?}");
    assert!(
        run.stdout.contains("accepted by exception exceptions[0]"),
        "{run:?}"
    );
    let sarif = hms(&["check", "-o", "sarif", &spec]);
    let log = json(&sarif);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let accepted = results
        .iter()
        .find(|r| r["ruleId"] == "CIS-5.3.2")
        .expect("the accepted finding is reported");
    assert_eq!(accepted["level"], "error");
    let s = &accepted["suppressions"][0];
    assert_eq!(
        (s["kind"].as_str(), s["status"].as_str()),
        (Some("external"), Some("accepted"))
    );
    assert!(
        s["justification"]
            .as_str()
            .expect("justification")
            .contains("service mesh")
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("sarif/sarif-schema-2.1.0.json")).expect("schema"),
    )
    .expect("json");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("schema");
    assert!(validator.is_valid(&log));
    // OSCAL names the exception in the observation, the control stays satisfied, trestle accepts it.
    let oscal = hms(&["check", "-o", "oscal", &spec]);
    assert_eq!(oscal.code, 0, "{oscal:?}");
    let doc = json(&oscal);
    let result = &doc["assessment-results"]["results"][0];
    let observation = result["observations"]
        .as_array()
        .expect("observations")
        .iter()
        .find(|o| {
            o["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("CIS-5.3.2"))
        })
        .expect("an observation of the accepted finding");
    assert!(
        observation["description"]
            .as_str()
            .expect("text")
            .contains("Accepted risk: exception exceptions[0]"),
        "{observation}"
    );
    let sc7 = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["target"]["target-id"] == "sc-7_smt")
        .expect("SC-7");
    assert_eq!(sc7["target"]["status"]["state"], "satisfied");
    assert!(trestle_validate(&oscal.stdout).status.success());
    // apply records it in the events.
    let out = dir.path().join("out");
    let events = dir.path().join("events.jsonl");
    let target = format!("dir:{}", out.display());
    let run = hms(&[
        "apply",
        &spec,
        "--target",
        &target,
        "--events",
        events.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines = std::fs::read_to_string(&events).expect("events");
    let event: serde_json::Value = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("event"))
        .find(|e| e["type"] == "exception")
        .unwrap_or_else(|| panic!("no exception event: {lines}"));
    assert_eq!(event["result"], "accepted");
    assert_eq!(event["object"], "Namespace dcaa-secure");
    assert!(
        event["message"]
            .as_str()
            .expect("message")
            .contains("CIS-5.3.2: exceptions[0]"),
        "{event}"
    );
    assert!(
        event["message"]
            .as_str()
            .expect("message")
            .contains("SEC-1234"),
        "{event}"
    );
}

/// An expired exception refuses again, naming the exception, where it is and when it expired.
#[test]
fn an_expired_exception_blocks_again() {
    let (_d, spec) = crate::support::spec_file(&without_network(
        "exceptions:\n  - control: CIS-5.3.2\n    justification: until the CNI migration\n    ticket: SEC-1\n    expires: 2020-01-01\n",
    ));
    let spec = spec.to_str().expect("utf-8").to_string();
    for cmd in ["render", "validate", "check"] {
        let run = hms(&[cmd, &spec]);
        assert_eq!(run.code, 5, "{cmd}: {run:?}");
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains(&format!(
                "exception exceptions[0] at {spec}:15:14 expired on 2020-01-01"
            )),
            "{cmd}: {run:?}"
        );
        assert!(!all.contains("HMS-EXCEPTION-UNUSED"), "{cmd}: {run:?}");
    }
}

/// An exception without a justification, an approver or ticket, or a valid expiry date is an
/// invalid spec, located.
#[test]
fn exceptions_need_justification_approver_and_expiry() {
    let (_d, spec) = crate::support::spec_file(&without_network(
        "exceptions:\n  - control: CIS-5.3.2\n    justification: \"\"\n    expires: 2027-13-01\n",
    ));
    let spec = spec.to_str().expect("utf-8").to_string();
    let run = hms(&["validate", &spec]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "{spec}:16:20: error[HMS-SPEC]: exception 1: `justification` is empty"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("names neither an `approver` nor a `ticket`"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("`expires` is `2027-13-01`, not a date"),
        "{run:?}"
    );
    let (_d, spec) = crate::support::spec_file(&without_network(
        "exceptions:\n  - control: CIS-5.3.2\n    ticket: SEC-1\n",
    ));
    let run = hms(&["validate", spec.to_str().expect("utf-8")]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("missing field `justification`"),
        "{run:?}"
    );
}

/// The runtime is part of the profile: a FIPS profile refuses a node pool without FIPS, and
/// says what it accepts.
#[test]
fn a_fips_profile_refuses_a_runtime_without_fips() {
    let fips = "  baseline: cis-level-2\n";
    let profile = "baseline:\n  - name: cis-level-2\n    runtimes: [fips-*]\n";
    let text = crate::support::example_with(fips, "") + profile;
    let (run, _) = crate::support::validate_text(&text);
    assert_eq!(run.code, 0, "{run:?}");
    let text = text.replace("runtime: fips-ubuntu-22.04", "runtime: ubuntu-22.04");
    let (run, _) = crate::support::validate_text(&text);
    assert_eq!(run.code, 5, "{run:?}");
    for needle in [
        "error[HMS-RUNTIME]",
        "the node pool's runtime `ubuntu-22.04` is not one this profile approves; it accepts fips-*",
        "set `nodePool.runtime` to one of fips-*",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}\n{run:?}");
    }
}

/// Manifests have no spec to hold exceptions: `--exceptions FILE` gives them, with the same
/// matcher (accepted, expired, unused) and locations in that file.
#[test]
fn exceptions_for_manifests_come_from_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: net, namespace: team}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: i}]\n",
    )
    .expect("write");
    let pod = pod.to_str().expect("utf-8").to_string();
    let run = hms(&["check", "--profile", "baseline", &pod]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stdout.contains("CIS-5.2.5"), "{run:?}");
    let file = dir.path().join("exceptions.yml");
    let write = |expires: &str, extra: &str| {
        std::fs::write(
            &file,
            format!(
                "exceptions:\n  - control: CIS-5.2.5\n    objects: [{{kind: Pod, name: net}}]\n    justification: the node agent needs the host network\n    ticket: SEC-7\n    expires: {expires}\n{extra}"
            ),
        )
        .expect("write")
    };
    let ex = file.to_str().expect("utf-8").to_string();
    write(
        "2999-12-31",
        "  - control: CIS-5.2.2\n    justification: x\n    ticket: SEC-8\n    expires: 2999-12-31\n",
    );
    let run = hms(&["check", "--profile", "baseline", "--exceptions", &ex, &pod]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("accepted by exception exceptions[0]"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("{ex}:7:14: warning[HMS-EXCEPTION-UNUSED]")),
        "{run:?}"
    );
    write("2020-01-01", "");
    let run = hms(&["check", "--profile", "baseline", "--exceptions", &ex, &pod]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "exception exceptions[0] at {ex}:2:14 expired on 2020-01-01"
        )),
        "{run:?}"
    );
    // A bad file is a located error; a spec holds its own exceptions.
    std::fs::write(
        &file,
        "exceptions:\n  - control: CIS-5.2.5\n    justification: x\n    expires: 2999-12-31\n",
    )
    .expect("write");
    let run = hms(&["check", "--exceptions", &ex, &pod]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("names neither an `approver` nor a `ticket`"),
        "{run:?}"
    );
    let run = hms(&[
        "check",
        "--exceptions",
        &ex,
        example().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
}
