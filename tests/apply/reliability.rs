//! Reliability of `apply` against the test server: conflicts, injected faults, interruption.

use serde_json::json;

use super::{NS, example, hms, status_until_ready};
use crate::kube::{Cluster, Fault};

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
    let kubectl = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig())
        .args([
            "apply",
            "--server-side",
            "--field-manager",
            "ops-team",
            "--force-conflicts",
            "-f",
        ])
        .arg(&theirs)
        .output()
        .expect("run kubectl");
    assert!(
        kubectl.status.success(),
        "{}",
        String::from_utf8_lossy(&kubectl.stderr)
    );

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
    let parent = server
        .get("", "configmaps", NS, "hms-sys-dcaa-secure")
        .expect("the inventory is written before the objects");
    let gks = parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        gks.contains("Deployment.apps"),
        "superset before applying: {gks}"
    );

    let again = hms(&cluster, &["apply", &example()]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains("1 created, 0 configured, 7 unchanged"),
        "{again:?}"
    );
    assert_eq!(status_until_ready(&cluster).code, 0);
}
