//! The Kubernetes API test server (`tests/kube`) seen from real clients: the installed `kubectl`
//! and raw HTTP. Every test starts its own server.

mod concurrency;
mod controllers;
mod faults;
mod wire;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use serde_json::{Value, json};

use crate::kube::client::{SAFETY, call, eventually, kubectl, ok};
use crate::kube::{Fault, TestServer};

pub const APPLY: &str = "application/apply-patch+yaml";
pub const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

pub fn deployment(name: &str, replicas: u64) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: default
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: registry.example/{name}:v1
"
    )
}

pub fn configmap(name: &str, labels: Value) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}).to_string()
}

#[test]
fn kubectl_gets_namespaces() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let out = ok(kubectl(
        &server.kubeconfig(dir.path()),
        &["get", "namespaces"],
    ));
    assert!(
        out.contains("default") && out.contains("kube-system"),
        "{out}"
    );
    let v = ok(kubectl(
        &server.kubeconfig(dir.path()),
        &["version", "-o", "json"],
    ));
    assert!(v.contains("v1.32"), "{v}");
}

#[test]
fn kubectl_server_side_apply_records_managed_fields() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, deployment("web", 2)).expect("write");
    let out = ok(kubectl(
        &kc,
        &["apply", "--server-side", "-f", file.to_str().expect("utf8")],
    ));
    assert!(
        out.contains("deployment.apps/web serverside-applied"),
        "{out}"
    );
    let json = ok(kubectl(
        &kc,
        &[
            "get",
            "deployment",
            "web",
            "-o",
            "json",
            "--show-managed-fields",
        ],
    ));
    let obj: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(obj["spec"]["replicas"], 2);
    let managed = obj["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields");
    let kubectl_entry = managed
        .iter()
        .find(|m| m["manager"] == "kubectl")
        .expect("kubectl manages");
    assert_eq!(kubectl_entry["operation"], "Apply");
    assert_eq!(kubectl_entry["fieldsType"], "FieldsV1");
    assert!(
        kubectl_entry["fieldsV1"]["f:spec"]["f:replicas"].is_object(),
        "{kubectl_entry}"
    );
    let containers = &kubectl_entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"];
    assert!(
        containers["k:{\"name\":\"app\"}"]["f:image"].is_object(),
        "{containers}"
    );
    let log = server.requests();
    assert!(
        log.iter()
            .any(|r| r.method == "PATCH" && r.field_manager.as_deref() == Some("kubectl")),
        "{log:?}"
    );
    assert_eq!(obj["metadata"]["generation"], 1);
    assert!(obj["metadata"]["uid"].is_string() && obj["metadata"]["creationTimestamp"].is_string());
}

#[test]
fn a_second_manager_conflicts_and_force_takes_ownership() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, deployment("web", 2)).expect("write");
    let path = file.to_str().expect("utf8");
    ok(kubectl(&kc, &["apply", "--server-side", "-f", path]));

    let other = deployment("web", 3);
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=other"),
        APPLY,
        &other,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["kind"], "Status");
    assert_eq!(r.body["reason"], "Conflict");
    let cause = &r.body["details"]["causes"][0];
    assert_eq!(cause["field"], ".spec.replicas", "{}", r.body);
    assert!(
        cause["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"kubectl\"")),
        "{}",
        r.body
    );

    // kubectl shows the same conflict for its own second manager.
    std::fs::write(&file, deployment("web", 4)).expect("write");
    let k = kubectl(
        &kc,
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "third",
            "-f",
            path,
        ],
    );
    assert_ne!(k.code, Some(0));
    assert!(
        k.stderr.contains("conflict") && k.stderr.contains(".spec.replicas"),
        "{}",
        k.stderr
    );

    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=other&force=true"),
        APPLY,
        &other,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["spec"]["replicas"], 3);
    assert_eq!(r.body["metadata"]["generation"], 2);
    let managed = r.body["metadata"]["managedFields"]
        .as_array()
        .expect("managed")
        .clone();
    let owns_replicas = |m: &str| {
        managed
            .iter()
            .any(|e| e["manager"] == m && e["fieldsV1"]["f:spec"]["f:replicas"].is_object())
    };
    assert!(
        owns_replicas("other") && !owns_replicas("kubectl"),
        "{managed:?}"
    );
    // Both set the image to the same value: shared, no conflict.
    assert!(
        managed
            .iter()
            .filter(|e| e["fieldsV1"]["f:spec"]["f:template"].is_object())
            .count()
            == 2
    );
}

#[test]
fn kubectl_discovers_the_installed_crds() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let k = kubectl(&kc, &["get", "machinedeployments.cluster.x-k8s.io", "-A"]);
    assert_eq!(k.code, Some(0), "{}", k.stderr);
    assert!(k.stderr.contains("No resources found"), "{}", k.stderr);
    let md = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
        "metadata": {"name": "pool", "namespace": "default"},
        "spec": {"clusterName": "c", "replicas": 0},
    });
    let r = call(
        &server,
        "PATCH",
        "/apis/cluster.x-k8s.io/v1beta2/namespaces/default/machinedeployments/pool?fieldManager=t",
        APPLY,
        &md.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let out = ok(kubectl(
        &kc,
        &[
            "get",
            "machinedeployments.cluster.x-k8s.io",
            "-n",
            "default",
            "-o",
            "name",
        ],
    ));
    assert_eq!(out.trim(), "machinedeployment.cluster.x-k8s.io/pool");
    let out = ok(kubectl(
        &kc,
        &["get", "nodepools.karpenter.sh", "-o", "name"],
    ));
    assert_eq!(out.trim(), "");
    let out = ok(kubectl(
        &kc,
        &["api-resources", "--api-group", "karpenter.sh"],
    ));
    assert!(
        out.contains("nodepools") && out.contains("NodePool"),
        "{out}"
    );
}

#[test]
fn kubectl_get_watch_sees_a_new_object() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("first", json!({})),
    );
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .args(["get", "configmaps", "-w", "-o", "name"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(SAFETY);
    // The watch is open once the listing is printed; a new object must show up on it.
    eventually(|| {
        server
            .requests()
            .iter()
            .any(|r| r.query.contains("watch=true"))
            .then_some(())
    });
    call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("second", json!({})),
    );
    let second = rx.recv_timeout(SAFETY);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(first.as_deref(), Ok("configmap/first"));
    assert_eq!(second.as_deref(), Ok("configmap/second"));
}

#[test]
fn kubectl_retries_through_a_fault() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    ok(kubectl(&kc, &["get", "ns", "default"]));
    server.faults().push_for(
        "GET",
        "/api/v1/namespaces/default",
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let out = ok(kubectl(&kc, &["get", "ns", "default", "-o", "name"]));
    assert_eq!(out.trim(), "namespace/default");
    assert_eq!(server.faults().pending(), 0);
}

#[test]
fn kubectl_waits_rolls_out_scales_describes_and_deletes() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, deployment("web", 2)).expect("write");
    let f = file.to_str().expect("utf8");
    ok(kubectl(&kc, &["apply", "--server-side", "-f", f]));
    let out = ok(kubectl(
        &kc,
        &[
            "wait",
            "--for=condition=Available",
            "deployment/web",
            "--timeout=50s",
        ],
    ));
    assert!(out.contains("condition met"), "{out}");
    let out = ok(kubectl(
        &kc,
        &["rollout", "status", "deployment/web", "--timeout=50s"],
    ));
    assert!(out.contains("successfully rolled out"), "{out}");
    let out = ok(kubectl(
        &kc,
        &["scale", "deployment", "web", "--replicas=3"],
    ));
    assert!(out.contains("deployment.apps/web scaled"), "{out}");
    eventually(|| {
        let d = server.get("apps", "deployments", "default", "web")?;
        (d["status"]["readyReplicas"] == 3 && d["status"]["observedGeneration"] == 2).then_some(())
    });
    ok(kubectl(
        &kc,
        &[
            "set",
            "image",
            "deployment/web",
            "app=registry.example/web:v2",
        ],
    ));
    let path = "jsonpath={.spec.template.spec.containers[0].image}";
    let out = ok(kubectl(&kc, &["get", "deployment", "web", "-o", path]));
    assert_eq!(out, "registry.example/web:v2");
    let out = ok(kubectl(
        &kc,
        &["rollout", "status", "deployment/web", "--timeout=50s"],
    ));
    assert!(out.contains("successfully rolled out"), "{out}");
    let out = ok(kubectl(&kc, &["describe", "deployment", "web"]));
    assert!(
        out.contains("3 desired | 3 updated | 3 total | 3 available"),
        "{out}"
    );
    let out = ok(kubectl(
        &kc,
        &["get", "pods", "-l", "app=web", "-o", "name"],
    ));
    assert_eq!(out.lines().count(), 3, "{out}");
    let out = ok(kubectl(&kc, &["delete", "-f", f]));
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    eventually(|| {
        server
            .list("", "pods", Some("default"))
            .is_empty()
            .then_some(())
    });
}

#[test]
fn kubectl_pages_through_a_list_with_limit_and_continue() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    for i in 0..5 {
        server.insert(
            "",
            "configmaps",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": format!("page-{i}"), "namespace": "default"}}),
        );
    }
    let out = ok(kubectl(
        &kc,
        &[
            "get",
            "configmaps",
            "-n",
            "default",
            "--chunk-size=2",
            "-o",
            "name",
        ],
    ));
    let names: Vec<&str> = out.lines().collect();
    assert_eq!(
        names,
        (0..5)
            .map(|i| format!("configmap/page-{i}"))
            .collect::<Vec<_>>(),
        "{out}"
    );
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/configmaps"))
        .collect();
    assert_eq!(pages.len(), 3, "three pages of at most 2: {pages:?}");
    assert!(pages.iter().all(|r| r.query.contains("limit=2")));
    assert!(pages[1].query.contains("continue="), "{pages:?}");
}

#[test]
fn the_server_speaks_tls_and_clients_verify_its_certificate() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let text = std::fs::read_to_string(&kc).expect("kubeconfig");
    assert!(text.contains("server: https://127.0.0.1:"), "{text}");
    assert!(text.contains("certificate-authority-data: "), "{text}");
    assert!(ok(kubectl(&kc, &["get", "namespaces"])).contains("kube-system"));

    // The same server without its CA: both clients refuse it.
    let untrusted_dir = tempfile::tempdir().expect("temp");
    let untrusted = untrusted_dir.path().join("kubeconfig");
    let without_ca: String = text
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&untrusted, without_ca).expect("write");
    let refused = kubectl(&untrusted, &["get", "namespaces"]);
    assert_ne!(refused.code, Some(0), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("certificate signed by unknown authority"),
        "{}",
        refused.stderr
    );
    let run = crate::support::hms(&[
        "status",
        "dcaa-secure",
        "--kubeconfig",
        untrusted.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("error[HMS-APPLY]"), "{run:?}");
    assert!(
        run.stderr
            .contains("the API server's certificate is not trusted"),
        "{run:?}"
    );

    // Plain HTTP on the same port, for the raw-wire helpers and for clients without TLS.
    let plain_dir = tempfile::tempdir().expect("temp");
    let plain = server.kubeconfig_plain(plain_dir.path());
    assert!(ok(kubectl(&plain, &["get", "namespaces"])).contains("kube-system"));
}
