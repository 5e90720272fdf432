//! `hms-sys apply SPEC --target dir:PATH`: manifests, the ApplySet inventory and a
//! kustomization.yaml as files for a GitOps tool; atomic writes, prune of its own files only,
//! paths confined to PATH.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support;

/// Runs `hms-sys apply SPEC --target dir:PATH` (no kubeconfig) with the shared cache.
fn apply_dir(spec: &Path, dir: &Path, extra: &[&str]) -> support::Run {
    let target = format!("dir:{}", dir.display());
    let events = dir.with_extension("events.jsonl");
    let spec = spec.display().to_string();
    let cache = support::cache_dir().display().to_string();
    let events = events.display().to_string();
    let mut args = vec!["apply", &spec, "--target", &target, "--cache-dir", &cache];
    args.extend(["--events", &events]);
    args.extend(extra);
    support::hms(&args)
}

/// Runs `hms-sys plan SPEC --target dir:PATH`.
fn plan_dir(spec: &Path, dir: &Path) -> support::Run {
    let target = format!("dir:{}", dir.display());
    let spec = spec.display().to_string();
    let cache = support::cache_dir().display().to_string();
    let events = dir
        .with_extension("plan-events.jsonl")
        .display()
        .to_string();
    support::hms(&[
        "plan",
        &spec,
        "--target",
        &target,
        "--cache-dir",
        &cache,
        "--events",
        &events,
    ])
}

/// Every file in `dir`: name → content.
fn files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).expect("read file"))
        })
        .collect()
}

fn inventory(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("hms-sys-inventory.yaml")).expect("inventory");
    serde_yaml_ng::from_str(&text).expect("inventory yaml")
}

fn with_policy_renamed(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(support::example()).expect("example");
    assert!(text.contains("name: dcaa-isolated"));
    let path = dir.join("renamed.yml");
    std::fs::write(
        &path,
        text.replace("name: dcaa-isolated", "name: dcaa-fenced"),
    )
    .expect("write spec");
    path
}

#[test]
fn writes_files_inventory_and_kustomization_then_prunes_only_its_own() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("gitops");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("README.md"), "kept by the user\n").expect("readme");

    let run = apply_dir(&support::example(), &out, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("0 failed"), "{run:?}");
    let first = files(&out);
    assert!(first.contains_key("kustomization.yaml"), "{first:?}");
    let policy = first
        .keys()
        .find(|n| n.contains("networkpolicy") && n.contains("dcaa-isolated"))
        .expect("the policy file")
        .clone();
    let k = &first["kustomization.yaml"];
    assert!(k.contains(&format!("- {policy}")), "{k}");
    assert!(k.contains("- hms-sys-inventory.yaml"), "{k}");
    assert!(!k.contains("README.md"), "{k}");

    // The inventory is the cluster target's ApplySet parent; every object is part of it.
    let inv = inventory(&out);
    assert_eq!(inv["kind"], "ConfigMap");
    assert_eq!(inv["metadata"]["name"], "hms-sys-dcaa-secure");
    let id = inv["metadata"]["labels"]["applyset.kubernetes.io/id"]
        .as_str()
        .expect("set id");
    assert!(id.starts_with("applyset-") && id.ends_with("-v1"), "{id}");
    let gks = inv["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
        .as_str()
        .expect("group kinds");
    assert!(gks.contains("NetworkPolicy.networking.k8s.io"), "{gks}");
    let listed = inv["metadata"]["annotations"]["hms.io/files"]
        .as_str()
        .expect("files");
    assert!(listed.split(',').any(|f| f == policy), "{listed}");
    for (name, text) in &first {
        if name.ends_with(".yaml") && name != "kustomization.yaml" && !name.starts_with("hms-sys") {
            let v: Value = serde_yaml_ng::from_str(text).expect("object yaml");
            let part_of = &v["metadata"]["labels"]["applyset.kubernetes.io/part-of"];
            assert_eq!(part_of.as_str(), Some(id), "{name}");
        }
    }

    // A second run is identical and writes nothing.
    let mtimes: Vec<_> = first
        .keys()
        .map(|n| {
            std::fs::metadata(out.join(n))
                .and_then(|m| m.modified())
                .ok()
        })
        .collect();
    let run = apply_dir(&support::example(), &out, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(" 0 created, 0 configured,"), "{run:?}");
    assert!(run.stdout.contains(" 0 pruned"), "{run:?}");
    assert_eq!(files(&out), first);
    let again: Vec<_> = first
        .keys()
        .map(|n| {
            std::fs::metadata(out.join(n))
                .and_then(|m| m.modified())
                .ok()
        })
        .collect();
    assert_eq!(mtimes, again, "nothing rewritten");

    // Renaming the policy removes its old file, keeps the user's file, leaves no temp files.
    let renamed = with_policy_renamed(tmp.path());
    let run = apply_dir(&renamed, &out, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let pruned =
        format!("✔ NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated pruned ({policy})");
    assert!(run.stdout.contains(&pruned), "{run:?}");
    let events = std::fs::read_to_string(out.with_extension("events.jsonl")).expect("events");
    let prune: Value = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "prune" && e["result"] == "pruned")
        .expect("a prune event");
    assert_eq!(
        prune["object"],
        "NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated"
    );
    assert_eq!(prune["message"], format!("file {policy}"));
    let after = files(&out);
    assert!(!after.contains_key(&policy), "{after:?}");
    assert!(
        after
            .keys()
            .any(|n| n.contains("networkpolicy") && n.contains("dcaa-fenced")),
        "{after:?}"
    );
    assert_eq!(after["README.md"], "kept by the user\n");
    assert!(!after.keys().any(|n| n.starts_with('.')), "{after:?}");
    assert!(!after["kustomization.yaml"].contains(&policy));
    let listed = inventory(&out)["metadata"]["annotations"]["hms.io/files"]
        .as_str()
        .expect("files")
        .to_string();
    assert!(!listed.contains("dcaa-isolated"), "{listed}");
}

#[test]
fn a_tampered_inventory_cannot_reach_outside_the_directory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("gitops");
    let run = apply_dir(&support::example(), &out, &[]);
    assert_eq!(run.code, 0, "{run:?}");

    // Files outside PATH and a foreign file inside it, named by a hostile inventory.
    std::fs::write(tmp.path().join("victim.yaml"), "x").expect("victim");
    std::fs::write(out.join("README.md"), "mine").expect("readme");
    let path = out.join("hms-sys-inventory.yaml");
    let text = std::fs::read_to_string(&path).expect("inventory");
    let hostile = "../victim.yaml,..,/etc/passwd,README.md,kustomization.yaml,.hidden.yaml";
    let text = text.replace("hms.io/files: ", &format!("hms.io/files: {hostile},"));
    assert!(text.contains("victim"), "{text}");
    std::fs::write(&path, text).expect("tamper");

    let run = apply_dir(&support::example(), &out, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(tmp.path().join("victim.yaml").exists(), "escaped PATH");
    assert!(out.join("README.md").exists());
    assert!(out.join("kustomization.yaml").exists());
    assert!(Path::new("/etc/passwd").exists());
    // Every file name this target wrote is one plain, non-hidden component.
    for name in files(&out).keys() {
        assert!(
            !name.starts_with('.') && !name.contains(['/', '\\']),
            "{name}"
        );
    }
}

#[test]
fn dir_target_needs_no_kubeconfig_and_refuses_cluster_only_flags() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("gitops");
    let run = apply_dir(&support::example(), &out, &["--wait"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--wait"), "{run:?}");
    assert!(!out.exists());

    // --dry-run reports what it would write and writes nothing.
    let run = apply_dir(&support::example(), &out, &["--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("created"), "{run:?}");
    assert!(!out.exists() || files(&out).is_empty());

    // Only `cluster` and `dir:PATH` are targets (moved here from a unit test of dir_target).
    for target in ["s3:bucket", "dir:"] {
        let bad = support::hms(&["apply", "x.yml", "--target", target]);
        assert_eq!(bad.code, 2, "{target}: {bad:?}");
    }

    // PATH is a file: an I/O error, exit 1.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").expect("file");
    let run = apply_dir(&support::example(), &file, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("error[HMS-APPLY]"), "{run:?}");
}

#[test]
fn plan_against_a_directory_shows_creates_updates_and_prunes_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("gitops");

    let first = plan_dir(&support::example(), &out);
    assert_eq!(first.code, 2, "{first:?}");
    assert!(
        first
            .stdout
            .contains("+ NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated create ("),
        "{first:?}"
    );
    assert!(first.stdout.contains("dcaa-secure: 8 changes"), "{first:?}");
    assert!(!out.exists(), "plan writes nothing");

    assert_eq!(apply_dir(&support::example(), &out, &[]).code, 0);
    let same = plan_dir(&support::example(), &out);
    assert_eq!(same.code, 0, "{same:?}");
    assert!(same.stdout.contains("dcaa-secure: 0 changes"), "{same:?}");

    let before = files(&out);
    let renamed = with_policy_renamed(tmp.path());
    let text = std::fs::read_to_string(&renamed).expect("spec");
    assert_eq!(text.matches("replicas: 10").count(), 1);
    std::fs::write(&renamed, text.replace("replicas: 10", "replicas: 4")).expect("write");
    let changed = plan_dir(&renamed, &out);
    assert_eq!(changed.code, 2, "{changed:?}");
    let o = &changed.stdout;
    assert!(
        o.contains("+ NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-fenced create ("),
        "{o}"
    );
    assert!(
        o.contains("- NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated prune ("),
        "{o}"
    );
    assert!(
        o.contains("~ Deployment.apps dcaa-secure/dcaa-audit update ("),
        "{o}"
    );
    assert!(
        o.contains("-  replicas: 10") && o.contains("+  replicas: 4"),
        "{o}"
    );
    assert!(o.contains("dcaa-secure: 3 changes"), "{o}");
    let events = std::fs::read_to_string(out.with_extension("plan-events.jsonl")).expect("events");
    let event: Value = events
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|e: &Value| e["type"] == "plan")
        .expect("a plan event");
    assert_eq!(event["result"], "changes");
    assert_eq!(files(&out), before, "plan writes nothing");
}

#[test]
fn a_file_the_spec_did_not_write_is_never_overwritten() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("gitops");
    std::fs::create_dir(&out).expect("mkdir");
    let theirs = "networkpolicy.networking.k8s.io_dcaa-secure_dcaa-isolated.yaml";
    std::fs::write(out.join(theirs), "# the platform team's policy\n").expect("write");

    let run = apply_dir(&support::example(), &out, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(theirs), "{run:?}");
    assert!(run.stderr.contains("move them away"), "{run:?}");
    let left = files(&out);
    assert_eq!(left.len(), 1, "nothing written: {left:?}");
    assert_eq!(left[theirs], "# the platform team's policy\n");
}
