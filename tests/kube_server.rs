//! The Kubernetes API test server (`tests/kube`) seen from real clients: the installed `kubectl`,
//! kube-rs (with kube-runtime's watcher, as a controller uses it) and raw HTTP. Every test starts
//! its own server; the kube-rs tests that use `Cluster::start` run against a real cluster too.

mod concurrency;
mod controllers;
mod custom_resources;
mod faults;
mod finalizers;
mod leases;
mod watcher;
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

/// A namespaced CRD `widgets.example.hms.io` (kind Widget, v1), as JSON.
pub fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.hms.io"},
        "spec": {
            "group": "example.hms.io", "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}}],
        },
    })
}

pub const CRD_PATH: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

fn established(crd: &Value) -> bool {
    crd["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    })
}

#[test]
fn an_applied_crd_is_established_served_and_gone_with_its_objects() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    assert_eq!(
        call(&server, "GET", "/apis/example.hms.io/v1", "", "").status,
        404
    );
    let file = dir.path().join("crd.json");
    std::fs::write(&file, widget_crd().to_string()).expect("write");
    let file = file.to_str().expect("utf-8");
    ok(kubectl(&kc, &["apply", "--server-side", "-f", file]));
    let crd = server
        .get(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "",
            "widgets.example.hms.io",
        )
        .expect("stored");
    assert!(established(&crd), "{crd}");
    let names_accepted = crd["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "NamesAccepted" && c["status"] == "True")
    });
    assert!(names_accepted, "{crd}");
    assert_eq!(crd["status"]["acceptedNames"]["kind"], "Widget", "{crd}");

    // Discovery and the REST paths serve the new kind, for kubectl too.
    let groups = call(&server, "GET", "/apis", "", "");
    assert!(
        groups.body["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["name"] == "example.hms.io")),
        "{}",
        groups.body
    );
    let list = call(&server, "GET", "/apis/example.hms.io/v1", "", "");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["resources"][0]["kind"], "Widget", "{}", list.body);
    assert_eq!(
        list.body["resources"][0]["namespaced"], true,
        "{}",
        list.body
    );
    let w = json!({"apiVersion": "example.hms.io/v1", "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"}, "spec": {"size": 1}});
    let r = call(
        &server,
        "PATCH",
        "/apis/example.hms.io/v1/namespaces/default/widgets/w1?fieldManager=t",
        APPLY,
        &w.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let out = ok(kubectl(
        &kc,
        &["get", "widgets", "-n", "default", "-o", "name"],
    ));
    assert_eq!(out.trim(), "widget.example.hms.io/w1");
    // A second apply of the CRD keeps its status and changes nothing.
    let rv = server.resource_version();
    ok(kubectl(&kc, &["apply", "--server-side", "-f", file]));
    assert_eq!(
        server.resource_version(),
        rv,
        "a no-op apply writes nothing"
    );

    // Deleting the CRD stops serving the kind and deletes its objects.
    ok(kubectl(&kc, &["delete", "crd", "widgets.example.hms.io"]));
    assert!(
        server
            .get("example.hms.io", "widgets", "default", "w1")
            .is_none()
    );
    assert_eq!(
        call(&server, "GET", "/apis/example.hms.io/v1", "", "").status,
        404
    );
    let r = call(
        &server,
        "GET",
        "/apis/example.hms.io/v1/namespaces/default/widgets",
        "",
        "",
    );
    assert_eq!(r.status, 404, "{}", r.body);
}

#[test]
fn a_crd_can_take_a_while_to_be_established() {
    let server = TestServer::start_with(crate::kube::ServerConfig {
        crd_establish_delay: std::time::Duration::from_millis(200),
        ..Default::default()
    });
    let r = call(
        &server,
        "PATCH",
        &format!("{CRD_PATH}/widgets.example.hms.io?fieldManager=t"),
        APPLY,
        &widget_crd().to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Stored as installing (the answer is the stored object): not served yet.
    assert!(!established(&r.body), "{}", r.body);
    let installing = r.body["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["reason"] == "Installing"));
    assert!(installing, "{}", r.body);
    // A dry run does not write a status.
    let dry = call(
        &server,
        "PATCH",
        &format!("{CRD_PATH}/gadgets.example.hms.io?fieldManager=t&dryRun=All"),
        APPLY,
        &widget_crd()
            .to_string()
            .replace("widgets.example", "gadgets.example"),
    );
    assert_eq!(dry.status, 201, "{}", dry.body);
    assert!(dry.body["status"].is_null(), "{}", dry.body);
    // Polling the CRD (as apply does) sees it established once the delay is over, and only
    // then is its kind served.
    eventually(|| {
        let crd = call(
            &server,
            "GET",
            &format!("{CRD_PATH}/widgets.example.hms.io"),
            "",
            "",
        );
        established(&crd.body).then_some(())
    });
    let list = call(&server, "GET", "/apis/example.hms.io/v1", "", "");
    assert_eq!(list.status, 200, "{}", list.body);
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
