//! Reliability of `apply` against the test server: conflicts, injected faults, interruption.

use std::time::Duration;

use serde_json::{Value, json};

use super::{NS, argv, events_file, example, hms, status_until_ready};
use crate::kube::{Cluster, Fault, ServerConfig, TestServer};
use crate::support;

/// The next apply creates the one object an earlier run did not, and everything gets ready.
fn converges_creating_the_one_left(cluster: &Cluster) {
    let again = hms(cluster, &["apply", &example()]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains("1 created, 0 configured, 7 unchanged"),
        "{again:?}"
    );
    assert_eq!(status_until_ready(cluster).code, 0);
}

/// Runs `hms-sys ARGS` as a child process and sends it a real SIGINT once `reached` holds
/// (polled, at most two minutes: a guard, not a timing assertion); returns what it did.
pub(super) fn interrupt_when(
    args: &[String],
    reached: impl Fn() -> bool,
    what: &str,
) -> support::Run {
    let child = support::spawn_hms(args);
    let pid = child.id().to_string();
    for _ in 0..6000 {
        if reached() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(reached(), "{what}");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    support::wait_child(child, Duration::from_secs(60))
}

/// The group-kinds the inventory (ApplySet parent) lists.
fn inventory_kinds(server: &TestServer) -> String {
    let parent = server
        .get("", "configmaps", NS, "hms-sys-dcaa-secure")
        .expect("the inventory is written before the objects");
    parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_field_owned_by_another_manager_is_a_conflict_until_forced() {
    let cluster = Cluster::start();
    assert_eq!(hms(&cluster, &["apply", &example()]).code, 0);
    // Another manager takes .spec.replicas with kubectl's server-side apply.
    let dir = tempfile::tempdir().expect("temp dir");
    let theirs = dir.path().join("theirs.json");
    let body = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "dcaa-audit", "namespace": NS}, "spec": {"replicas": 3}});
    std::fs::write(&theirs, body.to_string()).expect("write");
    crate::kube::client::ok(crate::kube::client::kubectl(
        cluster.kubeconfig(),
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "ops-team",
            "--force-conflicts",
            "-f",
            &theirs.display().to_string(),
        ],
    ));

    let run = hms(&cluster, &["apply", &example()]);
    assert_eq!(run.code, 6, "{run:?}");
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("Deployment.apps dcaa-secure/dcaa-audit"),
        "{run:?}"
    );
    assert!(text.contains(".spec.replicas"), "{run:?}");
    assert!(text.contains("\"ops-team\""), "{run:?}");
    assert!(
        text.contains("use --force-conflicts to take ownership"),
        "{run:?}"
    );

    let forced = hms(&cluster, &["apply", &example(), "--force-conflicts"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    if let Some(server) = cluster.test_server("reads the stored replicas") {
        let d = server
            .get("apps", "deployments", NS, "dcaa-audit")
            .expect("deployment");
        assert_eq!(d["spec"]["replicas"], 10);
    }
}

#[test]
fn apply_survives_500_429_and_dropped_connections() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("injects faults") else {
        return;
    };
    server
        .faults()
        .push_for("PATCH", "/deployments/", Fault::Status(500));
    server.faults().push_for(
        "PATCH",
        "/persistentvolumeclaims/",
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    server
        .faults()
        .push_for("PATCH", "/networkpolicies/", Fault::DropConnection);
    server
        .faults()
        .push_for("GET", "/namespaces/", Fault::Status(503));
    server
        .faults()
        .push_for("PATCH", "/serviceaccounts/", Fault::Conflict409);
    let run = hms(&cluster, &["apply", &example()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.faults().pending(), 0, "every fault was hit");
    // The retry after the 429 waited the second the server asked for (a lower bound only).
    let pvc_patches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("/persistentvolumeclaims/"))
        .collect();
    assert_eq!(pvc_patches.len(), 2, "{pvc_patches:?}");
    assert_eq!(pvc_patches[0].status, 429);
    let waited = pvc_patches[1].at - pvc_patches[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert!(run.stdout.contains("8 created"), "{run:?}");
    let status = status_until_ready(&cluster);
    assert_eq!(status.code, 0, "{status:?}");
}

#[test]
fn an_interrupted_apply_leaves_an_inventory_and_the_next_apply_converges() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("injects faults") else {
        return;
    };
    // More 500s than apply's bounded retries: the workload step fails for good.
    for _ in 0..6 {
        server
            .faults()
            .push_for("PATCH", "/deployments/", Fault::Status(500));
    }
    let run = hms(&cluster, &["apply", &example()]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stdout
            .contains("✗ Deployment.apps dcaa-secure/dcaa-audit failed"),
        "{run:?}"
    );
    assert!(
        server
            .get("apps", "deployments", NS, "dcaa-audit")
            .is_none()
    );
    let gks = inventory_kinds(server);
    assert!(
        gks.contains("Deployment.apps"),
        "superset before applying: {gks}"
    );

    converges_creating_the_one_left(&cluster);
}

#[test]
fn an_object_without_an_answer_is_reported_as_timed_out_and_the_next_apply_converges() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("holds a request unanswered") else {
        return;
    };
    server
        .faults()
        .push_for("PATCH", "/networkpolicies/", Fault::Hang);
    let run = hms(&cluster, &["apply", &example(), "--object-timeout", "1s"]);
    server.faults().release();
    assert_eq!(run.code, 6, "{run:?}");
    let line = "✗ NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated failed: \
                NetworkPolicy.networking.k8s.io dcaa-secure/dcaa-isolated: no answer from the \
                API server within 1s (--object-timeout)";
    assert!(run.stdout.contains(line), "{run:?}");
    assert!(run.stderr.contains("raise --object-timeout"), "{run:?}");
    // The step's other objects were applied; later steps did not start.
    assert!(run.stdout.contains("1 failed"), "{run:?}");
    assert!(
        server
            .get("apps", "deployments", NS, "dcaa-audit")
            .is_none()
    );
    assert!(inventory_kinds(server).contains("NetworkPolicy.networking.k8s.io"));

    let again = hms(&cluster, &["apply", &example()]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(status_until_ready(&cluster).code, 0);
}

#[test]
fn ctrl_c_stops_apply_at_once_keeps_the_inventory_and_the_next_apply_converges() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("holds a request to interrupt the apply there") else {
        return;
    };
    // The last step (the workload) never gets an answer: the apply is midway when Ctrl-C comes.
    server
        .faults()
        .push_for("PATCH", "/deployments/", Fault::Hang);
    let run = interrupt_when(
        &argv(&cluster, &["apply", &example()]),
        || server.faults().hanging() == 1,
        "the apply reached the workload",
    );
    server.faults().release();

    assert_eq!(run.code, 130, "{run:?}");
    assert!(
        run.stdout.contains(
            "… Deployment.apps dcaa-secure/dcaa-audit interrupted in flight (it may or may not \
             have been applied)"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("dcaa-secure: interrupted after 7 of 8 objects"),
        "{run:?}"
    );
    assert!(run.stderr.contains("interrupted: stopping"), "{run:?}");
    assert!(
        inventory_kinds(server).contains("Deployment.apps"),
        "the inventory lists what the apply may have created"
    );
    let events = std::fs::read_to_string(events_file(&cluster)).expect("events");
    let last: Value = serde_json::from_str(events.lines().last().unwrap_or("{}")).expect("JSON");
    assert_eq!(last["type"], "apply");
    assert_eq!(last["result"], "interrupted");

    converges_creating_the_one_left(&cluster);
}

#[test]
fn ctrl_c_during_wait_stops_waiting_and_keeps_what_was_applied() {
    // No simulated controllers: nothing ever becomes ready, so `--wait` waits until interrupted.
    let cluster = Cluster::start_with(ServerConfig {
        controllers: false,
        ..ServerConfig::default()
    });
    let Some(server) = cluster.test_server("needs objects that never become ready") else {
        return;
    };
    let waiting = || {
        std::fs::read_to_string(events_file(&cluster))
            .is_ok_and(|e| e.contains("\"type\":\"wait\""))
    };
    let run = interrupt_when(
        &argv(&cluster, &["apply", &example(), "--wait"]),
        waiting,
        "apply got to --wait",
    );
    assert_eq!(run.code, 130, "{run:?}");
    assert!(run.stdout.contains("8 created"), "{run:?}");
    assert!(
        run.stdout.contains(
            "interrupted while waiting; everything above stays applied. Follow it with \
             `hms-sys status dcaa-secure`"
        ),
        "{run:?}"
    );
    assert!(
        server
            .get("apps", "deployments", NS, "dcaa-audit")
            .is_some()
    );
    assert_eq!(
        inventory_kinds(server),
        "Deployment.apps,MachineDeployment.cluster.x-k8s.io,\
         MachineHealthCheck.cluster.x-k8s.io,Namespace,NetworkPolicy.networking.k8s.io,\
         PersistentVolumeClaim,ServiceAccount,StorageClass.storage.k8s.io"
    );
}

#[test]
fn wait_that_runs_out_of_time_says_what_is_not_ready_and_why() {
    // No simulated controllers: no nodes, no bound claim, no ready pods.
    let cluster = Cluster::start_with(ServerConfig {
        controllers: false,
        ..ServerConfig::default()
    });
    if cluster
        .test_server("needs objects that never become ready")
        .is_none()
    {
        return;
    }
    let run = hms(
        &cluster,
        &["apply", &example(), "--wait", "--timeout", "1s"],
    );
    assert_eq!(run.code, 7, "{run:?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("timed out after 1s; not ready: "))
        .unwrap_or_else(|| panic!("no timeout line: {run:?}"));
    for item in [
        "nodePool: ",
        "storage: claim contract-pdfs has no status yet",
        "workload: Deployment dcaa-audit has no status yet",
    ] {
        assert!(line.contains(item), "{item:?} not in {line}");
    }
    let events = std::fs::read_to_string(events_file(&cluster)).expect("events");
    assert!(
        events
            .lines()
            .any(|l| l.contains("\"type\":\"wait\"") && l.contains("\"result\":\"timedOut\"")),
        "{events}"
    );
}
