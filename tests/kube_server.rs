//! The Kubernetes API test server (`tests/kube`) seen from real clients: the installed `kubectl`
//! and raw HTTP. Every test starts its own server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::kube::{Fault, TestServer};

/// A safety net so nothing can hang; never an assertion.
const SAFETY: Duration = Duration::from_secs(60);

struct Kubectl {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `kubectl --kubeconfig K ARGS`, killed after [`SAFETY`].
fn kubectl(kubeconfig: &Path, args: &[&str]) -> Kubectl {
    let cache = kubeconfig.with_file_name("kubectl-cache");
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubectl");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut code = None;
    for _ in 0..(SAFETY.as_millis() / 20) {
        if let Ok(Some(status)) = child.try_wait() {
            code = status.code();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if code.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Kubectl {
        code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn ok(k: Kubectl) -> String {
    assert_eq!(
        k.code,
        Some(0),
        "kubectl failed\n--- stdout\n{}\n--- stderr\n{}",
        k.stdout,
        k.stderr
    );
    k.stdout
}

struct Reply {
    status: u16,
    headers: String,
    body: Value,
}

/// One raw HTTP/1.1 request (Connection: close).
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(SAFETY))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(Reply {
        status,
        headers: head.to_string(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}

fn call(server: &TestServer, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
    http(server.addr(), method, path, content_type, body).expect("request")
}

const APPLY: &str = "application/apply-patch+yaml";
const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

fn deployment(name: &str, replicas: u64) -> String {
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

fn configmap(name: &str, labels: Value) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}).to_string()
}

/// Polls `f` (bounded) until it returns Some.
fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..(SAFETY.as_millis() / 25) {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("condition not reached within the safety limit");
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
fn apply_dry_run_stores_nothing_and_apply_needs_a_field_manager() {
    let server = TestServer::start();
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=m&dryRun=All"),
        APPLY,
        &deployment("web", 1),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    assert!(
        server
            .get("apps", "deployments", "default", "web")
            .is_none()
    );
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(r.status, 400, "{}", r.body);
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
fn list_filters_by_label_selector_per_namespace_and_across_namespaces() {
    let server = TestServer::start();
    let ns =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}).to_string();
    assert_eq!(
        call(
            &server,
            "POST",
            "/api/v1/namespaces",
            "application/json",
            &ns
        )
        .status,
        201
    );
    let cms = [
        ("default", "a", json!({"app": "a", "tier": "x"})),
        ("default", "b", json!({"app": "b", "tier": "y"})),
        ("default", "c", json!({"app": "c"})),
        ("other", "d", json!({"app": "a", "tier": "z"})),
    ];
    for (ns, name, labels) in cms {
        let r = call(
            &server,
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            "application/json",
            &configmap(name, labels),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let names = |path: &str| -> Vec<String> {
        let r = call(&server, "GET", path, "", "");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["kind"], "ConfigMapList");
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Da"),
        ["a"]
    );
    assert_eq!(
        names("/api/v1/configmaps?labelSelector=app%3Da"),
        ["a", "d"]
    );
    assert_eq!(
        names("/api/v1/namespaces/default/configmaps?labelSelector=app!%3Da"),
        ["b", "c"]
    );
    assert_eq!(
        names("/api/v1/configmaps?labelSelector=tier%20in%20(x,z),app"),
        ["a", "d"]
    );
    assert_eq!(names("/api/v1/configmaps?labelSelector=!tier"), ["c"]);
    assert_eq!(
        names("/api/v1/configmaps?fieldSelector=metadata.name%3Db"),
        ["b"]
    );

    let dir = tempfile::tempdir().expect("temp");
    let out = ok(kubectl(
        &server.kubeconfig(dir.path()),
        &["get", "cm", "-A", "-l", "app=a", "-o", "name"],
    ));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["configmap/a", "configmap/d"]
    );
}

#[test]
fn delete_returns_the_object_and_then_not_found() {
    let server = TestServer::start();
    let r = call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("gone", json!({})),
    );
    assert_eq!(r.status, 201);
    let r = call(
        &server,
        "DELETE",
        "/api/v1/namespaces/default/configmaps/gone?propagationPolicy=Foreground",
        "application/json",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["metadata"]["name"], "gone");
    let r = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/configmaps/gone",
        "",
        "",
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.body["kind"], "Status");
    assert_eq!(r.body["reason"], "NotFound");
    assert_eq!(r.body["message"], "configmaps \"gone\" not found");

    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("k", json!({})),
    );
    let out = ok(kubectl(&kc, &["delete", "configmap", "k"]));
    assert!(out.contains("configmap \"k\" deleted"), "{out}");
    let k = kubectl(&kc, &["get", "configmap", "k"]);
    assert_ne!(k.code, Some(0));
    assert!(
        k.stderr.contains("NotFound") || k.stderr.contains("not found"),
        "{}",
        k.stderr
    );
}

/// Reads newline-delimited watch events from a chunked response.
fn watch_events(addr: SocketAddr, path: &str, n: usize, after_start: impl FnOnce()) -> Vec<Value> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(SAFETY)).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("write");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).expect("head");
        if line == "\r\n" {
            break;
        }
    }
    after_start();
    let mut events = Vec::new();
    while events.len() < n {
        line.clear();
        r.read_line(&mut line).expect("chunk size");
        let size = usize::from_str_radix(line.trim(), 16).expect("hex");
        assert!(size > 0, "watch ended early after {events:?}");
        let mut chunk = vec![0; size + 2];
        r.read_exact(&mut chunk).expect("chunk");
        for l in String::from_utf8_lossy(&chunk[..size])
            .lines()
            .filter(|l| !l.is_empty())
        {
            events.push(serde_json::from_str(l).expect("event json"));
        }
    }
    events
}

#[test]
fn watch_streams_added_then_modified_from_a_resource_version() {
    let server = TestServer::start();
    let r = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        "",
        "",
    );
    let rv = r.body["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let path = format!(
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&labelSelector=w%3D1"
    );
    let events = watch_events(server.addr(), &path, 2, || {
        call(
            &server,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            &configmap("skip", json!({"w": "2"})),
        );
        call(
            &server,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            &configmap("seen", json!({"w": "1"})),
        );
        let patch = json!({"data": {"k": "changed"}}).to_string();
        let r = call(
            &server,
            "PATCH",
            "/api/v1/namespaces/default/configmaps/seen",
            "application/merge-patch+json",
            &patch,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    });
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "seen");
    assert_eq!(events[1]["type"], "MODIFIED");
    assert_eq!(events[1]["object"]["data"]["k"], "changed");
    let (a, b) = (
        &events[0]["object"]["metadata"]["resourceVersion"],
        &events[1]["object"]["metadata"]["resourceVersion"],
    );
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).expect("rv");
    assert!(num(a) < num(b));
    // The server survives the watcher hanging up.
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/namespaces/default/configmaps/seen",
            "",
            ""
        )
        .status,
        200
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
fn the_deployment_controller_makes_pods_ready() {
    let server = TestServer::start();
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=hms-sys"),
        APPLY,
        &deployment("web", 3),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let status = eventually(|| {
        let d = server.get("apps", "deployments", "default", "web")?;
        (d["status"]["readyReplicas"] == 3).then(|| d["status"].clone())
    });
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(status["availableReplicas"], 3);
    assert_eq!(status["updatedReplicas"], 3);
    assert!(
        status["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .any(|c| c["type"] == "Available" && c["status"] == "True")
    );
    let pods = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb",
        "",
        "",
    );
    let pods = pods.body["items"].as_array().expect("pods").clone();
    assert_eq!(pods.len(), 3);
    assert!(
        pods.iter()
            .all(|p| p["status"]["conditions"][0]["type"] == "Ready"
                && p["status"]["conditions"][0]["status"] == "True")
    );

    // Scaling down bumps the generation; the controller follows.
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=hms-sys"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(r.body["metadata"]["generation"], 2);
    eventually(|| {
        let d = server.get("apps", "deployments", "default", "web")?;
        (d["status"]["observedGeneration"] == 2 && d["status"]["readyReplicas"] == 1).then_some(())
    });
    eventually(|| (server.list("", "pods", Some("default")).len() == 1).then_some(()));
}

#[test]
fn pvcs_bind_and_node_pools_get_ready_nodes() {
    let server = TestServer::start();
    let pvc = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Ti"}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/api/v1/namespaces/default/persistentvolumeclaims/data?fieldManager=t",
        APPLY,
        &pvc.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let md = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
        "metadata": {"name": "pool", "namespace": "default"},
        "spec": {"clusterName": "c", "replicas": 3, "template": {"metadata": {"labels": {
            "node.cluster.x-k8s.io/pool": "pool", "not-propagated": "x"}}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/apis/cluster.x-k8s.io/v1beta2/namespaces/default/machinedeployments/pool?fieldManager=t",
        APPLY,
        &md.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let np = json!({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "kp"},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"team": "a"}}}},
    });
    let r = call(
        &server,
        "PATCH",
        "/apis/karpenter.sh/v1/nodepools/kp?fieldManager=t",
        APPLY,
        &np.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    eventually(|| {
        (server.get("", "persistentvolumeclaims", "default", "data")?["status"]["phase"] == "Bound")
            .then_some(())
    });
    let md = eventually(|| {
        let md = server.get("cluster.x-k8s.io", "machinedeployments", "default", "pool")?;
        (md["status"]["readyReplicas"] == 3).then_some(md)
    });
    assert_eq!(md["status"]["observedGeneration"], 1);
    let np = eventually(|| {
        let np = server.get("karpenter.sh", "nodepools", "", "kp")?;
        (np["status"]["conditions"][0]["status"] == "True").then_some(np)
    });
    assert_eq!(np["status"]["conditions"][0]["type"], "Ready");
    let ready = |selector: &str| {
        let r = call(
            &server,
            "GET",
            &format!("/api/v1/nodes?labelSelector={selector}"),
            "",
            "",
        );
        let nodes = r.body["items"].as_array().expect("nodes").clone();
        assert!(
            nodes
                .iter()
                .all(|n| n["status"]["conditions"][0]["status"] == "True"),
            "{nodes:?}"
        );
        nodes
    };
    let capi = ready("node.cluster.x-k8s.io%2Fpool%3Dpool");
    assert_eq!(capi.len(), 3);
    assert!(
        capi.iter()
            .all(|n| n["metadata"]["labels"].get("not-propagated").is_none())
    );
    assert_eq!(ready("karpenter.sh%2Fnodepool%3Dkp,team%3Da").len(), 2);
}

#[test]
fn an_injected_500_is_returned_once_then_the_request_succeeds() {
    let server = TestServer::start();
    server
        .faults()
        .push_for("GET", "/api/v1/namespaces/default", Fault::Status(500));
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces", "", "").status,
        200,
        "filtered out"
    );
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(r.status, 500);
    assert_eq!(r.body["reason"], "InternalError");
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces/default", "", "").status,
        200
    );
    assert_eq!(server.faults().pending(), 0);
}

#[test]
fn an_injected_429_carries_retry_after_and_other_faults_work() {
    let server = TestServer::start();
    server.faults().push(Fault::TooManyRequests {
        retry_after_secs: 2,
    });
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(r.status, 429);
    assert!(
        r.headers
            .lines()
            .any(|l| l.eq_ignore_ascii_case("retry-after: 2")),
        "{}",
        r.headers
    );
    assert_eq!(r.body["reason"], "TooManyRequests");

    server.faults().push(Fault::Conflict409);
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("Conflict"))
    );

    server.faults().push(Fault::DropConnection);
    let dropped = http(server.addr(), "GET", "/api/v1/namespaces/default", "", "");
    assert!(dropped.map(|r| r.status == 0).unwrap_or(true));

    server.faults().push(Fault::Slow(Duration::from_millis(10)));
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces/default", "", "").status,
        200
    );
    let log = server.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 409, 0, 200]
    );
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
fn reapplying_without_a_field_removes_it() {
    let server = TestServer::start();
    let with = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1", "y": "2"}});
    let path = "/api/v1/namespaces/default/configmaps/c?fieldManager=m";
    assert_eq!(
        call(&server, "PATCH", path, APPLY, &with.to_string()).status,
        201
    );
    // Another manager owns `data.z`; m's apply must keep it.
    let z = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"z": "3"}});
    assert_eq!(
        call(
            &server,
            "PATCH",
            "/api/v1/namespaces/default/configmaps/c?fieldManager=n",
            APPLY,
            &z.to_string()
        )
        .status,
        200
    );
    let without = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1"}});
    let r = call(&server, "PATCH", path, APPLY, &without.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"], json!({"x": "1", "z": "3"}));
    assert_eq!(r.body["metadata"]["labels"], json!({"a": "1"}));
    // Same content again: a no-op, like the API server (same resourceVersion, no event).
    let again = call(&server, "PATCH", path, APPLY, &without.to_string());
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.body["metadata"]["resourceVersion"],
        r.body["metadata"]["resourceVersion"]
    );
    assert_eq!(
        again.body["metadata"]["generation"],
        r.body["metadata"]["generation"]
    );
}
