//! `hms-sys apply`, `plan` and `status` end to end against the Kubernetes API test server
//! (`tests/kube`): inventory and prune, ownership, conflicts, faults and convergence.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::kube::Cluster;
use crate::support::{self, Run};

mod crds;
mod large;
mod reliability;

pub(super) const NS: &str = "dcaa-secure";

/// Runs `hms-sys ARGS --kubeconfig K` with the shared plugin cache, events to a file.
pub(super) fn hms(cluster: &Cluster, args: &[&str]) -> Run {
    let argv = argv(cluster, args);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    support::hms(&argv)
}

/// The events file of [`hms`] runs against `cluster`.
pub(super) fn events_file(cluster: &Cluster) -> PathBuf {
    cluster.scratch().join("events.jsonl")
}

/// `ARGS --kubeconfig K --events F [--cache-dir C]`, as [`hms`] runs them.
pub(super) fn argv(cluster: &Cluster, args: &[&str]) -> Vec<String> {
    let events = cluster.scratch().join("events.jsonl");
    let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    argv.push("--kubeconfig".into());
    argv.push(cluster.kubeconfig().display().to_string());
    argv.push("--events".into());
    argv.push(events.display().to_string());
    if matches!(
        args.first(),
        Some(&"apply") | Some(&"plan") | Some(&"diff") | Some(&"status")
    ) {
        argv.push("--cache-dir".into());
        argv.push(support::cache_dir().display().to_string());
    }
    argv
}

pub(super) fn example() -> String {
    support::example().display().to_string()
}

/// The example with its network policy renamed, in `dir`. (Dropping the `network` section is
/// refused by the baseline, CIS 5.3.2: a namespace with pods needs a NetworkPolicy.)
fn with_policy_renamed(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(support::example()).expect("example");
    assert!(
        text.contains("name: dcaa-isolated"),
        "the example names its policy"
    );
    let path = dir.join("dcaa_cluster.yml");
    std::fs::write(
        &path,
        text.replace("name: dcaa-isolated", "name: dcaa-fenced"),
    )
    .expect("write spec");
    path
}

/// Polls `status` until it exits 0; a bounded loop, never a timing assertion.
pub(super) fn status_until_ready(cluster: &Cluster) -> Run {
    let mut last = hms(cluster, &["status", NS]);
    for _ in 0..300 {
        if last.code == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        last = hms(cluster, &["status", NS]);
    }
    last
}

pub(super) fn part_of(v: &Value) -> Option<&str> {
    v["metadata"]["labels"]["applyset.kubernetes.io/part-of"].as_str()
}

#[test]
fn apply_then_status_is_ready_and_a_second_apply_changes_nothing() {
    let cluster = Cluster::start();
    let run = hms(&cluster, &["apply", &example()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Deployment.apps dcaa-secure/dcaa-audit created"),
        "{run:?}"
    );
    assert!(run.stdout.contains("0 failed"), "{run:?}");

    let status = status_until_ready(&cluster);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(
        status.stdout,
        "✔ Node pool created (10/10 ready)\n\
         ✔ Volume encrypted & mounted (/data/pdfs)\n\
         ✔ Network policy enforced (egress: DENY)\n\
         ✔ Workload running (10 pods)\n"
    );
    let json = hms(&cluster, &["status", NS, "-o", "json"]);
    let lines: Value = serde_json::from_str(json.stdout.trim()).expect("status JSON");
    assert_eq!(lines.as_array().map(Vec::len), Some(4), "{json:?}");
    assert!(
        lines
            .as_array()
            .into_iter()
            .flatten()
            .all(|l| l["state"] == "ready")
    );

    let plan = hms(&cluster, &["plan", &example()]);
    assert_eq!(plan.code, 0, "an unchanged spec plans no changes: {plan:?}");
    assert!(plan.stdout.contains("0 changes"), "{plan:?}");

    let generations = |server: &crate::kube::TestServer| -> Vec<Value> {
        [
            ("apps", "deployments", NS, "dcaa-audit"),
            ("networking.k8s.io", "networkpolicies", NS, "dcaa-isolated"),
            ("cluster.x-k8s.io", "machinedeployments", NS, "dcaa-secure"),
            ("", "persistentvolumeclaims", NS, "contract-pdfs"),
        ]
        .iter()
        .map(|(g, r, ns, n)| {
            let o = server.get(g, r, ns, n).expect("stored");
            json!([o["metadata"]["generation"], o["spec"]])
        })
        .collect()
    };
    let before = cluster.test_server("reads generations").map(generations);
    let again = hms(&cluster, &["apply", &example()]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains("0 created, 0 configured, 8 unchanged, 0 pruned"),
        "{again:?}"
    );

    let Some(server) = cluster.test_server("inspects stored objects") else {
        return;
    };
    assert_eq!(
        before,
        Some(generations(server)),
        "the second apply changed no spec and no generation"
    );
    let parent = server
        .get("", "configmaps", NS, "hms-sys-dcaa-secure")
        .expect("inventory");
    let id = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
        .as_str()
        .expect("id");
    assert!(id.starts_with("applyset-") && id.ends_with("-v1"), "{id}");
    let ann = &parent["metadata"]["annotations"];
    assert!(
        ann["applyset.kubernetes.io/tooling"]
            .as_str()
            .is_some_and(|t| t.starts_with("hms-sys/"))
    );
    assert!(
        ann["applyset.kubernetes.io/contains-group-kinds"]
            .as_str()
            .is_some_and(
                |g| g.contains("Deployment.apps") && g.contains("NetworkPolicy.networking.k8s.io")
            )
    );
    let deployment = server
        .get("apps", "deployments", NS, "dcaa-audit")
        .expect("deployment");
    assert_eq!(part_of(&deployment), Some(id));
    let events = std::fs::read_to_string(cluster.scratch().join("events.jsonl")).expect("events");
    for line in events.lines() {
        let e: Value = serde_json::from_str(line).expect("an event is one JSON line");
        for key in [
            "time",
            "type",
            "spec",
            "object",
            "result",
            "durationMs",
            "pluginDigests",
        ] {
            assert!(e.get(key).is_some(), "{key} missing in {line}");
        }
    }
    let events: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let has = |kind: &str, result: &str| {
        events
            .iter()
            .any(|e| e["type"] == kind && e["result"] == result)
    };
    for (kind, result) in [
        ("render", "ok"),
        ("gate", "passed"),
        ("apply", "created"),
        ("apply", "unchanged"),
        ("prune", "ok"),
        ("status", "ready"),
        ("plan", "unchanged"),
    ] {
        assert!(has(kind, result), "no {kind}/{result} event in {events:#?}");
    }
    let render = events
        .iter()
        .find(|e| e["type"] == "render")
        .expect("render event");
    for plugin in [
        "nodepool",
        "storage-csi",
        "network-policy",
        "workload",
        "cis-level-2",
    ] {
        assert!(
            render["pluginDigests"][plugin]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:") && d.len() == 71),
            "{render}"
        );
    }
}

#[test]
fn a_policy_that_is_no_longer_rendered_is_pruned_and_nothing_else() {
    // Seeded and checked with kubectl: runs the same against a real cluster.
    let cluster = Cluster::start();
    assert_eq!(hms(&cluster, &["apply", &example()]).code, 0);
    let other_set = "applyset-someone-else-v1";
    let strangers = json!({"apiVersion": "v1", "kind": "List", "items": [
        // Someone else's policy of the same kind in the same namespace.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "theirs", "namespace": NS}, "spec": {"podSelector": {}}},
        // Another apply set's policy there.
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "other-set", "namespace": NS,
                      "labels": {"applyset.kubernetes.io/part-of": other_set}},
         "spec": {"podSelector": {}}},
        // A cluster-scoped object of a kind the set holds, from another set.
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
         "metadata": {"name": "hms-test-other-class",
                      "labels": {"applyset.kubernetes.io/part-of": other_set}},
         "provisioner": "example.com/none"},
    ]});
    let seed = [
        "apply",
        "--server-side",
        "--field-manager=ops-team",
        "--validate=false",
    ];
    kubectl_ok(&cluster, &seed, &strangers);
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = with_policy_renamed(dir.path());
    let spec = spec.display().to_string();
    let plan = hms(&cluster, &["plan", &spec]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("- NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated prune"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("+ NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-fenced create"),
        "{plan:?}"
    );
    if let Some(server) = cluster.test_server("reads the request log") {
        // The create was checked by the server (a dry-run apply), not only listed.
        assert!(
            server.requests().iter().any(|r| r.method == "PATCH"
                && r.path.ends_with("/networkpolicies/dcaa-fenced")
                && r.query.contains("dryRun=All")),
            "plan dry-runs a create"
        );
    }

    let run = hms(&cluster, &["apply", &spec]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated pruned"),
        "{run:?}"
    );
    let pruned = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(" pruned"))
        .count();
    assert_eq!(pruned, 1, "{run:?}");
    let names = kubectl_ok(
        &cluster,
        &[
            "get",
            "networkpolicies,deployments,persistentvolumeclaims",
            "-n",
            NS,
            "-o",
            "name",
        ],
        &Value::Null,
    );
    for want in [
        "networkpolicy.networking.k8s.io/theirs",
        "networkpolicy.networking.k8s.io/other-set",
        "networkpolicy.networking.k8s.io/dcaa-fenced",
        "deployment.apps/dcaa-audit",
        "persistentvolumeclaim/contract-pdfs",
    ] {
        assert!(names.lines().any(|l| l == want), "{want} missing: {names}");
    }
    assert!(!names.contains("dcaa-isolated"), "{names}");
    let classes = kubectl_ok(
        &cluster,
        &["get", "storageclasses", "-o", "name"],
        &Value::Null,
    );
    assert!(classes.contains("hms-test-other-class"), "{classes}");
    kubectl_ok(
        &cluster,
        &["delete", "storageclass", "hms-test-other-class"],
        &Value::Null,
    );
}

/// Runs kubectl against the cluster (with `body` as `-f FILE` unless it is null) and returns its
/// stdout; fails the test with kubectl's stderr when kubectl fails.
pub(super) fn kubectl_ok(cluster: &Cluster, args: &[&str], body: &Value) -> String {
    use crate::kube::client::{kubectl, ok};
    let file = cluster.scratch().join("kubectl-body.json");
    let file = file.display().to_string();
    let mut args = args.to_vec();
    if !body.is_null() {
        std::fs::write(&file, body.to_string()).expect("write the body");
        args.extend(["-f", &file]);
    }
    ok(kubectl(cluster.kubeconfig(), &args))
}

#[test]
fn an_existing_object_that_is_not_ours_is_refused_unless_adopted() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("seeds a foreign object") else {
        return;
    };
    server.insert(
        "",
        "namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    );
    server.insert(
        "apps",
        "deployments",
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "dcaa-audit", "namespace": NS}, "spec": {"replicas": 1}}),
    );
    let run = hms(&cluster, &["apply", &example()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains("not part of this spec's apply set")
            && run
                .stderr
                .contains("Deployment.apps dcaa-secure/dcaa-audit"),
        "{run:?}"
    );
    assert!(run.stderr.contains("--adopt"), "{run:?}");
    assert!(
        server
            .get("", "persistentvolumeclaims", NS, "contract-pdfs")
            .is_none(),
        "nothing applied"
    );
    assert!(
        server
            .get("", "configmaps", NS, "hms-sys-dcaa-secure")
            .is_none(),
        "no inventory"
    );

    let adopt = hms(&cluster, &["apply", &example(), "--adopt"]);
    assert_eq!(adopt.code, 0, "{adopt:?}");
    let d = server
        .get("apps", "deployments", NS, "dcaa-audit")
        .expect("deployment");
    assert!(part_of(&d).is_some());
}

#[test]
fn a_refused_spec_applies_nothing_and_dry_run_persists_nothing() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("inspects stored objects") else {
        return;
    };
    let dry = hms(&cluster, &["apply", &example(), "--dry-run"]);
    assert_eq!(
        dry.code, 0,
        "a dry run on a fresh cluster succeeds: {dry:?}"
    );
    assert!(
        dry.stdout
            .contains("✔ Namespace dcaa-secure created (server dry run)\n"),
        "{dry:?}"
    );
    assert!(
        dry.stdout.contains(
            "✔ Deployment.apps dcaa-secure/dcaa-audit created (server dry run) (not sent: \
             namespace dcaa-secure does not exist yet, so the server cannot dry-run it)"
        ),
        "{dry:?}"
    );
    assert!(server.get("", "namespaces", "", NS).is_none(), "{dry:?}");
    // Once the namespace exists, every object is checked by the server.
    assert_eq!(hms(&cluster, &["apply", &example()]).code, 0);
    let again = with_replicas(cluster.scratch(), 4);
    let dry = hms(&cluster, &["apply", &again, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(!dry.stdout.contains("not sent"), "{dry:?}");
    assert!(
        dry.stdout
            .contains("Deployment.apps dcaa-secure/dcaa-audit configured (server dry run)"),
        "{dry:?}"
    );
    assert_eq!(
        server
            .get("apps", "deployments", NS, "dcaa-audit")
            .expect("deployment")["spec"]["replicas"],
        10,
        "{dry:?}"
    );
    let writes_before = server
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "nodePool:\n  name: x\n  cout: 3\n").expect("write");
    let run = hms(&cluster, &["apply", &bad.display().to_string()]);
    assert_eq!(run.code, 3, "{run:?}");
    let writes: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(
        writes.len(),
        writes_before,
        "a refused spec sends no writes: {writes:#?}"
    );
}

/// The example with `workload.replicas` changed, in `dir`.
fn with_replicas(dir: &Path, replicas: u32) -> String {
    let text = std::fs::read_to_string(support::example()).expect("example");
    assert!(
        text.contains("  replicas: 10"),
        "the example has 10 replicas"
    );
    let path = dir.join("dcaa_cluster.yml");
    let text = text.replace("  replicas: 10", &format!("  replicas: {replicas}"));
    std::fs::write(&path, text).expect("write spec");
    path.display().to_string()
}

#[test]
fn apply_wait_returns_once_ready_and_plan_shows_field_diffs() {
    let cluster = Cluster::start();
    let run = hms(
        &cluster,
        &["apply", &example(), "--wait", "--timeout", "60s"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.ends_with("✔ Workload running (10 pods)\n"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("✔ Node pool created (10/10 ready)"),
        "{run:?}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let spec = with_replicas(dir.path(), 4);
    let plan = hms(&cluster, &["diff", &spec]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("~ Deployment.apps dcaa-secure/dcaa-audit update"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("-  replicas: 10"), "{plan:?}");
    assert!(plan.stdout.contains("+  replicas: 4"), "{plan:?}");
    assert!(
        plan.stdout.contains("= Namespace dcaa-secure unchanged"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("1 changes"), "{plan:?}");
}

#[test]
fn the_cluster_commands_parse_and_fail_clearly_without_a_cluster() {
    use clap::CommandFactory;
    hms_sys::Cli::command().debug_assert();

    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-kubeconfig");
    let missing = missing.display().to_string();
    let run = support::hms(&["status", NS, "--kubeconfig", &missing]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "no kubeconfig: `{missing}` (given with --kubeconfig) does not exist"
        )),
        "{run:?}"
    );

    let cluster = Cluster::start();
    let unknown = hms(&cluster, &["status", "never-applied"]);
    assert_eq!(unknown.code, 6, "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("no hms-sys inventory for spec \"never-applied\""),
        "{unknown:?}"
    );
}

/// `plan`'s exit code 2 means "changes", so its usage errors are 1 whatever global options come
/// before it; other commands keep 2.
#[test]
fn plan_usage_errors_exit_1_after_global_options_too() {
    for args in [
        &["plan", "--bad"][..],
        &["--log-format", "json", "plan", "--bad"],
        &["--log-format=json", "plan", "--bad"],
        &["-v", "plan", "--bad"],
        &["-vv", "diff", "--bad"],
        &["--verbose", "--log-format", "text", "diff", "--bad"],
        &["--log-format", "xml", "plan", "x.yml"],
        &["--log-format", "json", "plan"],
    ] {
        let run = support::hms(args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
    }
    for args in [
        &["--log-format", "json", "render", "--bad"][..],
        &["-v", "validate"],
        &["--log-format", "json"],
        &["--log-format", "json", "plans", "x.yml"],
    ] {
        let run = support::hms(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    let run = support::hms(&["--log-format", "json", "plan", "--help"]);
    assert_eq!(run.code, 0, "{run:?}");

    // The same in a real process, with clap's message on stderr.
    let args = ["--log-format", "json", "plan", "--bad"].map(String::from);
    let run = support::wait_child(support::spawn_hms(&args), Duration::from_secs(60));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--bad"), "{run:?}");
}

/// The contract grows without breaking: a plugin built against the frozen `hms:sys@0.1.0`
/// (the hostile test plugin, raw bindings, serving `workload`) loads beside the bundled 0.2.0
/// plugins, renders and applies; `status` shows the network plugin's own line and, for the
/// 0.1.0 plugin, which cannot judge its section, the host's generic kstatus line.
#[test]
fn a_plugin_built_against_0_1_gets_generic_status_beside_plugins_that_judge_their_own() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(support::hostile_wasm(), dir.path().join("legacy.wasm")).expect("copy");
    let spec = dir.path().join("legacy.yml");
    std::fs::write(
        &spec,
        "name: hostile\nplugins:\n  workload: ./legacy.wasm\nnetwork:\n  policy:\n    \
         name: fence\n    ingressCIDR: \"10.0.0.0/24\"\n    egress: deny-all\n\
         workload:\n  mode: ok\n",
    )
    .expect("write spec");
    let spec = spec.display().to_string();

    let inspect = support::hms(&[
        "plugins",
        "inspect",
        &support::hostile_wasm().display().to_string(),
    ]);
    assert!(
        inspect
            .stdout
            .contains("world        section-plugin (hms:sys@0.1.0)"),
        "{inspect:?}"
    );
    // The hostile plugin renders no Namespace: the platform team made it.
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "hostile"}});
    let seed = ["apply", "--server-side", "--field-manager=ops-team"];
    kubectl_ok(&cluster, &seed, &namespace);
    let run = hms(&cluster, &["apply", &spec]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("ConfigMap hostile/fine created"),
        "{run:?}"
    );
    let status = hms(&cluster, &["status", "hostile"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(
        status.stdout,
        "✔ Network policy enforced (egress: DENY)\n\
         ✔ workload: 1/1 object ready (generic readiness: plugin hostile is built against \
         hms:sys 0.1.0)\n"
    );

    // The same plugin, not in this machine's cache: the generic line says so.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let mut args = argv(&cluster, &["status", "hostile"]);
    let at = args
        .iter()
        .position(|a| a == "--cache-dir")
        .expect("cache flag");
    args[at + 1] = elsewhere.path().display().to_string();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let status = support::hms(&args);
    assert!(
        status
            .stdout
            .contains("(generic readiness: plugin hostile is not on this machine)"),
        "{status:?}"
    );
    assert!(
        status
            .stdout
            .starts_with("✔ Network policy enforced (egress: DENY)\n"),
        "the bundled plugin is found without the cache: {status:?}"
    );
}

/// A plugin's status line is a stranger's text: a line that spans lines, is too long or empty
/// is refused (the section gets the generic line, saying the plugin failed to judge it), and
/// terminal escapes in an accepted line are shown escaped.
#[test]
fn a_status_line_that_breaks_the_bounds_is_refused_or_escaped() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        support::hostile_status_wasm(),
        dir.path().join("judge.wasm"),
    )
    .expect("copy");
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "judged"}});
    let seed = ["apply", "--server-side", "--field-manager=ops-team"];
    kubectl_ok(&cluster, &seed, &namespace);
    let spec = dir.path().join("judged.yml");
    let apply_mode = |mode: &str| {
        std::fs::write(
            &spec,
            format!(
                "name: judged\nplugins:\n  workload: ./judge.wasm\nworkload:\n  mode: {mode}\n"
            ),
        )
        .expect("write spec");
        let run = hms(&cluster, &["apply", &spec.display().to_string()]);
        assert_eq!(run.code, 0, "{mode}: {run:?}");
        hms(&cluster, &["status", "judged"])
    };
    let ok = apply_mode("ok");
    assert_eq!(ok.stdout, "✔ Workload judged by its plugin\n", "{ok:?}");
    for mode in ["multiline", "long", "empty"] {
        let status = apply_mode(mode);
        assert_eq!(
            status.stdout,
            "✔ workload: 1/1 object ready (generic readiness: plugin hostile-status failed to \
             judge it)\n",
            "{mode}: {status:?}"
        );
    }
    let escaped = apply_mode("escape");
    assert!(!escaped.stdout.contains('\u{1b}'), "{escaped:?}");
    assert!(!escaped.stdout.contains('\u{202e}'), "{escaped:?}");
    assert!(
        escaped
            .stdout
            .starts_with("✔ Workload \\u{1b}[31mred\\u{1b}[0m \\u{202e}desrever"),
        "{escaped:?}"
    );
}

#[test]
fn status_watch_follows_until_ready() {
    let cluster = Cluster::start();
    assert_eq!(hms(&cluster, &["apply", &example()]).code, 0);
    let run = hms(&cluster, &["status", NS, "--watch", "--timeout", "60s"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.ends_with(
            "✔ Node pool created (10/10 ready)\n\
             ✔ Volume encrypted & mounted (/data/pdfs)\n\
             ✔ Network policy enforced (egress: DENY)\n\
             ✔ Workload running (10 pods)\n"
        ),
        "{run:?}"
    );
}

#[test]
fn the_kubeconfig_variable_and_context_choose_the_cluster_as_kubectl_does() {
    let cluster = Cluster::start();
    if cluster.test_server("writes its own kubeconfig").is_none() {
        return;
    }
    // Two contexts: the current one points at a port nothing listens on.
    let text = std::fs::read_to_string(cluster.kubeconfig()).expect("kubeconfig");
    let two = text
        .replace(
            "clusters:\n",
            "clusters:\n- name: broken\n  cluster:\n    server: https://127.0.0.1:1\n",
        )
        .replace(
            "contexts:\n",
            "contexts:\n- name: broken\n  context:\n    cluster: broken\n    user: hms-test\n",
        )
        .replace("current-context: hms-test", "current-context: broken");
    let path = cluster.scratch().join("two-contexts.kubeconfig");
    std::fs::write(&path, two).expect("write");
    let kc = path.display().to_string();

    let current = support::hms(&["status", NS, "--kubeconfig", &kc]);
    assert_eq!(current.code, 6, "the current context is used: {current:?}");
    assert!(current.stderr.contains("error[HMS-APPLY]"), "{current:?}");

    let cache = support::cache_dir().display().to_string();
    let chosen = support::hms(&[
        "apply",
        &example(),
        "--kubeconfig",
        &kc,
        "--context",
        "hms-test",
        "--cache-dir",
        &cache,
    ]);
    assert_eq!(chosen.code, 0, "{chosen:?}");
    assert!(chosen.stdout.contains("8 created"), "{chosen:?}");

    // KUBECONFIG (set for a child process only) is read when --kubeconfig is not given.
    let args = |context: &str| -> Vec<String> {
        ["status", NS, "--context", context]
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    let env = [("KUBECONFIG", kc.as_str())];
    let child = support::spawn_hms_env(&args("hms-test"), &env);
    let run = support::wait_child(child, Duration::from_secs(60));
    assert!(run.code == 0 || run.code == 7, "{run:?}");
    assert!(run.stdout.contains("Node pool"), "{run:?}");
    let child = support::spawn_hms_env(&args("no-such-context"), &env);
    let run = support::wait_child(child, Duration::from_secs(60));
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("no-such-context"), "{run:?}");
}

#[test]
fn dropping_the_workload_keeps_the_spec_namespace_and_everything_in_it() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("inspects stored objects") else {
        return;
    };
    let text = std::fs::read_to_string(support::example()).expect("example");
    let (head, _) = text.split_once("workload:").expect("a workload section");
    let spec = cluster.scratch().join("no-workload.yml");
    std::fs::write(&spec, head).expect("write");
    let spec = spec.display().to_string();
    // On a fresh cluster nothing renders the namespace the inventory needs: a clear error.
    let fresh = hms(&cluster, &["apply", &spec]);
    assert_eq!(fresh.code, 6, "{fresh:?}");
    assert!(
        fresh
            .stderr
            .contains("the spec's namespace dcaa-secure does not exist and no plugin renders it"),
        "{fresh:?}"
    );
    assert_eq!(hms(&cluster, &["apply", &example()]).code, 0);

    let plan = hms(&cluster, &["plan", &spec]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("! Namespace dcaa-secure release (kept: holds the inventory)"),
        "{plan:?}"
    );
    let run = hms(&cluster, &["apply", &spec]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(
            "✔ Namespace dcaa-secure released (kept: it holds the inventory; no longer part \
             of the set)"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("✔ Deployment.apps dcaa-secure/dcaa-audit pruned"),
        "{run:?}"
    );
    // The namespace, and the encrypted volume and the inventory in it, are still there.
    let ns = server
        .get("", "namespaces", "", NS)
        .expect("namespace kept");
    assert_eq!(part_of(&ns), None, "released from the set: {ns}");
    assert!(
        server
            .get("", "persistentvolumeclaims", NS, "contract-pdfs")
            .is_some()
    );
    assert!(
        server
            .get("", "configmaps", NS, "hms-sys-dcaa-secure")
            .is_some()
    );
    let again = hms(&cluster, &["apply", &spec]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains(" 0 pruned"), "{again:?}");
}
