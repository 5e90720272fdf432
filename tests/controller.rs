//! `hms-sys controller` end to end against the Kubernetes API test server: SysSpecs converge, an
//! edit is applied again, drift is reverted (with an Event naming the writer), a deleted
//! SysSpec is pruned, a refused spec applies nothing, two replicas elect one leader and the
//! other takes over when it dies, API faults during a reconcile converge, and an unchanged spec
//! costs no writes on resync. Every wait is a bounded poll, never a timing assertion.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::kube::{Cluster, Fault, client};
use crate::support;

const GROUP: &str = "sys.hms.io";

/// A controller process, killed when dropped; its stdout (event lines) and stderr (logs) go
/// to files.
struct Controller {
    child: Child,
    port: u16,
    err: PathBuf,
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Controller {
    fn start(cluster: &Cluster, identity: &str, extra: &[&str]) -> Controller {
        Controller::start_at(cluster.kubeconfig(), cluster.scratch(), identity, extra)
    }

    fn start_at(kubeconfig: &Path, scratch: &Path, identity: &str, extra: &[&str]) -> Controller {
        let port = free_port();
        let mut args: Vec<String> = [
            "controller",
            "run",
            "--kubeconfig",
            &kubeconfig.display().to_string(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--cache-dir",
            &support::cache_dir().display().to_string(),
            "--identity",
            identity,
            "--lease-namespace",
            "kube-system",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // A log line per step (shown when a test fails), unless a benchmark asks for JSON logs.
        if !extra.contains(&"--log-format") {
            args.push("-v".into());
        }
        // Resyncs every second unless the caller chooses.
        if !extra.contains(&"--resync") {
            args.extend(["--resync".to_string(), "1s".to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = scratch.join(format!("{identity}.out"));
        let err = scratch.join(format!("{identity}.err"));
        let child = support::hms_command(&args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("start the controller");
        Controller { child, port, err }
    }

    /// GET `path` on the metrics port: (status code, body), or None while not listening.
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let code = text.split(' ').nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n")?.1.to_string();
        Some((code, body))
    }

    /// The value of one sample of `/metrics` (`name` with its labels, as exposed).
    fn metric(&self, name: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics")?;
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
}

/// Polls `f` until it returns `Some`, at most `limit` (a guard, not an assertion of speed).
fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

const LIMIT: Duration = Duration::from_secs(90);

/// The example's fields, for spec `name`: its own node pool name (so its own namespace) and its
/// own volume name (its StorageClass is cluster-scoped and named after the volume).
fn fields(name: &str, replicas: u64) -> Value {
    let text = std::fs::read_to_string(support::example()).expect("example");
    let mut v: Value = serde_yaml_ng::from_str(&text).expect("example YAML");
    v["nodePool"]["name"] = json!(name);
    v["storage"]["volume"]["name"] = json!(format!("{name}-pdfs"));
    v["workload"]["replicas"] = json!(replicas);
    v
}

fn sysspec(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "sys.hms.io/v1alpha1",
        "kind": "SysSpec",
        "metadata": {"name": name},
        "spec": spec,
    })
}

fn kubectl_apply(cluster: &Cluster, obj: &Value) {
    let path = cluster.scratch().join(format!(
        "obj-{}.json",
        obj["metadata"]["name"].as_str().unwrap_or("x")
    ));
    std::fs::write(&path, obj.to_string()).expect("write object");
    let k = client::kubectl(
        cluster.kubeconfig(),
        &["apply", "--server-side", "-f", &path.display().to_string()],
    );
    assert_eq!(k.code, Some(0), "kubectl apply: {}", k.stderr);
}

fn install_crd(cluster: &Cluster) {
    let run = support::hms(&["controller", "crd"]);
    assert_eq!(run.code, 0, "{run:?}");
    let crd: Value = serde_yaml_ng::from_str(&run.stdout).expect("the CRD is YAML");
    kubectl_apply(cluster, &crd);
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn is(obj: &Value, type_: &str, status: &str) -> bool {
    condition(obj, type_).is_some_and(|c| c["status"] == status)
}

fn get_spec(cluster: &Cluster, name: &str) -> Option<Value> {
    let k = client::kubectl(
        cluster.kubeconfig(),
        &["get", "sysspecs.sys.hms.io", name, "-o", "json"],
    );
    (k.code == Some(0)).then(|| serde_json::from_str(&k.stdout).ok())?
}

/// Waits until SysSpec `name` is Ready for its current generation.
fn ready(cluster: &Cluster, name: &str, c: &Controller) -> Value {
    eventually(LIMIT, || {
        let s = get_spec(cluster, name)?;
        let current = s["status"]["observedGeneration"] == s["metadata"]["generation"];
        (current && is(&s, "Ready", "True")).then_some(s)
    })
    .unwrap_or_else(|| {
        panic!(
            "SysSpec {name} never became ready: {:#}\n--- controller log\n{}",
            get_spec(cluster, name).unwrap_or_default(),
            c.logs()
        )
    })
}

fn events(cluster: &Cluster) -> Vec<Value> {
    let k = client::kubectl(
        cluster.kubeconfig(),
        &["get", "events.events.k8s.io", "-A", "-o", "json"],
    );
    serde_json::from_str::<Value>(&k.stdout)
        .ok()
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
}

fn event_with(cluster: &Cluster, reason: &str, text: &str) -> Option<Value> {
    events(cluster)
        .into_iter()
        .find(|e| e["reason"] == reason && e["note"].as_str().is_some_and(|n| n.contains(text)))
}

#[test]
fn the_crd_is_generated_from_the_code_and_passes_kubernetes_validate() {
    let run = support::hms(&["controller", "crd"]);
    assert_eq!(run.code, 0, "{run:?}");
    let crd: Value = serde_yaml_ng::from_str(&run.stdout).expect("YAML");
    assert_eq!(crd["spec"]["group"], GROUP);
    assert_eq!(crd["spec"]["scope"], "Cluster");
    let v = &crd["spec"]["versions"][0];
    assert_eq!(v["name"], "v1alpha1");
    assert_eq!(v["subresources"]["status"], json!({}));
    let schema = &v["schema"]["openAPIV3Schema"];
    assert_eq!(
        schema["properties"]["spec"]["x-kubernetes-preserve-unknown-fields"], true,
        "the spec's fields are judged by hms-sys, not pruned by the API server"
    );
    for field in ["observedGeneration", "conditions", "lines", "findings"] {
        assert!(
            schema["properties"]["status"]["properties"][field].is_object(),
            "status.{field}: {schema:#}"
        );
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("crd.yaml");
    std::fs::write(&file, &run.stdout).expect("write");
    kubernetes_validate(&file);
}

/// `kubernetes-validate --strict` against Kubernetes 1.33 on a YAML file.
fn kubernetes_validate(file: &Path) {
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.33"])
        .arg(file)
        .output()
        .expect("kubernetes-validate is installed (the README's test command installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sysspecs_converge_edits_are_applied_drift_is_reverted_and_resync_writes_nothing() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("inspects stored objects and the request log") else {
        return;
    };
    install_crd(&cluster);
    let c = Controller::start(&cluster, "solo", &["--no-leader-election"]);
    for name in ["alpha", "bravo", "charlie"] {
        kubectl_apply(&cluster, &sysspec(name, fields(name, 10)));
    }
    for name in ["alpha", "bravo", "charlie"] {
        let s = ready(&cluster, name, &c);
        assert_eq!(
            s["status"]["lines"].as_array().map(Vec::len),
            Some(4),
            "{s:#}"
        );
        for t in ["Rendered", "Compliant", "Applied", "Ready"] {
            assert!(is(&s, t, "True"), "{t}: {s:#}");
        }
        let d = server
            .get("apps", "deployments", name, "dcaa-audit")
            .expect("the workload");
        assert_eq!(d["spec"]["replicas"], 10);
        // The SysSpec owns its set: the inventory names it as its owner.
        let parent = server
            .get("", "configmaps", name, &format!("hms-sys-{name}"))
            .expect("the inventory");
        assert_eq!(
            parent["metadata"]["ownerReferences"][0]["uid"], s["metadata"]["uid"],
            "{parent:#}"
        );
    }
    let (code, body) = c.get("/healthz").expect("healthz");
    assert_eq!((code, body.trim()), (200, "ok"));
    assert_eq!(c.get("/readyz").map(|r| r.0), Some(200));

    // An unchanged spec costs no writes on resync (every second here).
    let unchanged = |c: &Controller| {
        c.metric("hms_sys_reconciles_total{outcome=\"unchanged\"}")
            .unwrap_or(0.0)
    };
    let writes_before = c.metric("hms_sys_writes_total").expect("writes metric");
    let requests_before = server.requests().len();
    let seen = unchanged(&c);
    eventually(LIMIT, || (unchanged(&c) >= seen + 6.0).then_some(())).expect("resyncs happen");
    assert_eq!(c.metric("hms_sys_writes_total"), Some(writes_before));
    let writes: Vec<String> = server.requests()[requests_before..]
        .iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "LIST" | "WATCH"))
        .filter(|r| !r.path.contains("/leases"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "resyncs wrote: {writes:#?}");

    // An edited spec is applied again.
    kubectl_apply(&cluster, &sysspec("alpha", fields("alpha", 4)));
    let s = ready(&cluster, "alpha", &c);
    assert_eq!(s["status"]["observedGeneration"], 2, "{s:#}");
    let d = server
        .get("apps", "deployments", "alpha", "dcaa-audit")
        .expect("the workload");
    assert_eq!(d["spec"]["replicas"], 4);

    // A hand edit of a field hms-sys owns is reverted, and an Event says who changed what.
    let k = client::kubectl(
        cluster.kubeconfig(),
        &[
            "-n",
            "bravo",
            "patch",
            "deployment",
            "dcaa-audit",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"replicas":3}}"#,
        ],
    );
    assert_eq!(k.code, Some(0), "{}", k.stderr);
    eventually(LIMIT, || {
        let d = server.get("apps", "deployments", "bravo", "dcaa-audit")?;
        (d["spec"]["replicas"] == 10).then_some(())
    })
    .unwrap_or_else(|| panic!("the drift was not reverted\n{}", c.logs()));
    let e = eventually(LIMIT, || {
        event_with(&cluster, "DriftCorrected", "spec.replicas")
    })
    .unwrap_or_else(|| panic!("no DriftCorrected event: {:#?}", events(&cluster)));
    let note = e["note"].as_str().unwrap_or_default();
    assert!(
        note.contains(
            "Deployment.apps bravo/dcaa-audit: spec.replicas was changed to 3 by kubectl-patch"
        ),
        "{note}"
    );
    assert!(note.contains("reverted to 10"), "{note}");
    assert_eq!(e["related"]["name"], "dcaa-audit", "{e:#}");
    assert!(
        c.metric("hms_sys_drift_corrections_total").unwrap_or(0.0) >= 1.0,
        "{:?}",
        c.get("/metrics")
    );

    // A deleted SysSpec is pruned; its namespace (it holds data) is released, not deleted.
    let k = client::kubectl(
        cluster.kubeconfig(),
        &["delete", "sysspec", "charlie", "--wait=false"],
    );
    assert_eq!(k.code, Some(0), "{}", k.stderr);
    eventually(LIMIT, || {
        let gone = server.get(GROUP, "sysspecs", "", "charlie").is_none()
            && server
                .get("apps", "deployments", "charlie", "dcaa-audit")
                .is_none()
            && server
                .get("", "configmaps", "charlie", "hms-sys-charlie")
                .is_none();
        gone.then_some(())
    })
    .unwrap_or_else(|| panic!("charlie was not pruned\n{}", c.logs()));
    let ns = server.get("", "namespaces", "", "charlie").expect("kept");
    assert!(
        ns["metadata"]["labels"]["applyset.kubernetes.io/part-of"].is_null(),
        "{ns:#}"
    );
    assert!(event_with(&cluster, "Pruned", "objects pruned").is_some());
    // The others are untouched.
    assert!(
        server
            .get("apps", "deployments", "alpha", "dcaa-audit")
            .is_some()
    );
}

#[test]
fn a_refused_or_invalid_spec_applies_nothing_and_says_why() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("inspects stored objects") else {
        return;
    };
    install_crd(&cluster);
    let c = Controller::start(&cluster, "solo", &["--no-leader-election"]);
    // Without the network fence, cis-level-2 refuses it (CIS 5.3.2).
    let mut refused = fields("refused", 2);
    refused.as_object_mut().expect("map").remove("network");
    kubectl_apply(&cluster, &sysspec("refused", refused));
    let mut invalid = fields("invalid", 2);
    invalid["nodePool"]["cuont"] = json!(3);
    kubectl_apply(&cluster, &sysspec("invalid", invalid));
    let good = sysspec("good", fields("good", 2));
    kubectl_apply(&cluster, &good);
    ready(&cluster, "good", &c);
    let s = eventually(LIMIT, || {
        let s = get_spec(&cluster, "refused")?;
        is(&s, "Compliant", "False").then_some(s)
    })
    .unwrap_or_else(|| panic!("never refused\n{}", c.logs()));
    assert_eq!(
        condition(&s, "Compliant").expect("set")["reason"],
        "BaselineRefused"
    );
    assert!(is(&s, "Applied", "False"), "{s:#}");
    let findings = s["status"]["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["control"] == "CIS-5.3.2" && f["severity"] == "error"),
        "{s:#}"
    );
    assert!(server.get("", "namespaces", "", "refused").is_none());
    assert!(
        server
            .get("apps", "deployments", "refused", "dcaa-audit")
            .is_none()
    );
    assert!(event_with(&cluster, "BaselineRefused", "nothing of it is applied").is_some());
    assert!(event_with(&cluster, "Finding", "CIS-5.3.2").is_some());

    let s = eventually(LIMIT, || {
        let s = get_spec(&cluster, "invalid")?;
        is(&s, "Rendered", "False").then_some(s)
    })
    .unwrap_or_else(|| panic!("never judged\n{}", c.logs()));
    let rendered = condition(&s, "Rendered").expect("set");
    assert_eq!(rendered["reason"], "SpecInvalid");
    assert!(
        rendered["message"]
            .as_str()
            .is_some_and(|m| m.contains("cuont")),
        "{rendered:#}"
    );
    assert!(server.get("", "namespaces", "", "invalid").is_none());
}

#[test]
fn two_replicas_elect_one_leader_and_the_other_takes_over_when_it_dies() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("kills a controller process") else {
        return;
    };
    install_crd(&cluster);
    let lease = ["--lease-duration", "3s"];
    let mut first = Controller::start(&cluster, "first", &lease);
    eventually(LIMIT, || {
        (first.metric("hms_sys_leader")? == 1.0).then_some(())
    })
    .unwrap_or_else(|| panic!("the first never led\n{}", first.logs()));
    let second = Controller::start(&cluster, "second", &lease);
    eventually(LIMIT, || (second.get("/readyz")?.0 == 200).then_some(()))
        .unwrap_or_else(|| panic!("the second never got ready\n{}", second.logs()));
    assert_eq!(second.metric("hms_sys_leader"), Some(0.0));
    let holder = |s: &crate::kube::TestServer| {
        s.get(
            "coordination.k8s.io",
            "leases",
            "kube-system",
            "hms-sys-controller",
        )
        .and_then(|l| l["spec"]["holderIdentity"].as_str().map(String::from))
    };
    assert_eq!(holder(server).as_deref(), Some("first"));
    kubectl_apply(&cluster, &sysspec("ha", fields("ha", 2)));
    ready(&cluster, "ha", &first);
    assert_eq!(
        second.metric("hms_sys_reconciles_total{outcome=\"applied\"}"),
        None
    );

    // The leader dies without releasing its Lease: the other takes over once it expires.
    let _ = first.child.kill();
    let _ = first.child.wait();
    eventually(LIMIT, || {
        (second.metric("hms_sys_leader")? == 1.0).then_some(())
    })
    .unwrap_or_else(|| panic!("the second never took over\n{}", second.logs()));
    assert_eq!(holder(server).as_deref(), Some("second"));
    kubectl_apply(&cluster, &sysspec("ha", fields("ha", 5)));
    ready(&cluster, "ha", &second);
    let d = server
        .get("apps", "deployments", "ha", "dcaa-audit")
        .expect("workload");
    assert_eq!(d["spec"]["replicas"], 5);
}

#[test]
fn api_faults_during_a_reconcile_converge() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("injects faults") else {
        return;
    };
    install_crd(&cluster);
    // The first writes of the apply fail: a 500, a dropped connection, a 429 and a conflict
    // on the status.
    server
        .faults()
        .push_for("PATCH", "/deployments/", Fault::Status(500));
    server
        .faults()
        .push_for("PATCH", "/networkpolicies/", Fault::DropConnection);
    server.faults().push_for(
        "PATCH",
        "/persistentvolumeclaims/",
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    server
        .faults()
        .push_for("PATCH", "/status", Fault::Status(503));
    let c = Controller::start(&cluster, "solo", &["--no-leader-election"]);
    kubectl_apply(&cluster, &sysspec("faulty", fields("faulty", 2)));
    ready(&cluster, "faulty", &c);
    assert!(
        server
            .get("apps", "deployments", "faulty", "dcaa-audit")
            .is_some()
    );
}

#[test]
fn apply_via_controller_submits_a_sysspec_waits_for_it_and_status_reads_the_controller() {
    let cluster = Cluster::start();
    let kubeconfig = cluster.kubeconfig().display().to_string();
    // Without the CRD, the submit says how to install the controller.
    let yaml = serde_yaml_ng::to_string(&fields("delta", 2)).expect("YAML");
    let (_dir, spec) = support::spec_file(&yaml);
    let spec = spec.display().to_string();
    let cache = support::cache_dir().display().to_string();
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "apply",
            &spec,
            "--via",
            "controller",
            "--kubeconfig",
            &kubeconfig,
            "--cache-dir",
            &cache,
        ];
        args.extend(extra);
        support::hms(&args)
    };
    let run = apply(&[]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("SysSpec.sys.hms.io"), "{run:?}");
    assert!(
        run.stderr.contains("hms-sys controller manifests"),
        "{run:?}"
    );
    install_crd(&cluster);
    let c = Controller::start(&cluster, "solo", &["--no-leader-election"]);
    let run = apply(&["--wait", "--timeout", "90s"]);
    assert_eq!(run.code, 0, "{run:?}\n--- controller\n{}", c.logs());
    assert!(
        run.stdout
            .starts_with("✔ SysSpec delta submitted (generation 1): the controller applies it\n"),
        "{run:?}"
    );
    for line in [
        "✔ Node pool created (10/10 ready)",
        "✔ Volume encrypted & mounted (/data/pdfs)",
        "✔ Network policy enforced (egress: DENY)",
        "✔ Workload running (2 pods)",
    ] {
        assert!(run.stdout.contains(line), "{line}: {run:?}");
    }
    let status = support::hms(&["status", "delta", "--kubeconfig", &kubeconfig]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.contains("✔ Workload running (2 pods)"),
        "{status:?}"
    );
    // Flags of a direct apply are refused with the controller.
    let run = apply(&["--adopt"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--adopt is for `--via direct`"),
        "{run:?}"
    );
}

/// Benchmark, not a test: N SysSpecs of the example's size converge on the test server with
/// 10 ms of latency per request; then one resync of every spec (its writes counted), and a
/// drift corrected (time from the foreign write). Ignored by default; run it with
/// `HMS_BENCH_SPECS=50,200 cargo test --release -p hms-tests --test tests bench_controller -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_controller() {
    use crate::kube::{ServerConfig, TestServer};
    let sizes: Vec<usize> = std::env::var("HMS_BENCH_SPECS")
        .unwrap_or_else(|_| "50,200".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    // The bundled plugins compiled beforehand: a cold compile is not the controller's cost.
    let warm = support::hms(&["validate", &support::example().display().to_string()]);
    assert_eq!(warm.code, 0, "{warm:?}");
    println!(
        "| SysSpecs | objects | converged | requests | reconciles (applied + unchanged) | RSS (idle) | peak RSS | resync: reconciles, writes | drift corrected after |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let server = TestServer::start_with(ServerConfig {
            latency: Duration::from_millis(10),
            ..ServerConfig::default()
        });
        let dir = tempfile::tempdir().expect("dir");
        let kubeconfig = server.kubeconfig(dir.path());
        let run = support::hms(&["controller", "crd"]);
        let crd: Value = serde_yaml_ng::from_str(&run.stdout).expect("CRD");
        let path = dir.path().join("crd.json");
        std::fs::write(&path, crd.to_string()).expect("write");
        let path = path.display().to_string();
        let k = client::kubectl(&kubeconfig, &["apply", "--server-side", "-f", &path]);
        assert_eq!(k.code, Some(0), "{}", k.stderr);
        let names: Vec<String> = (0..n).map(|i| format!("spec-{i:03}")).collect();
        let flags = [
            "--no-leader-election",
            "--resync",
            "30s",
            "--concurrency",
            "16",
            "--log-format",
            "json",
        ];
        let c = Controller::start_at(&kubeconfig, dir.path(), "bench", &flags);
        let pid = c.child.id();
        eventually(LIMIT, || (c.get("/readyz")?.0 == 200).then_some(())).expect("ready");
        let base_rss = support::vm_kib(&pid.to_string(), "VmRSS:");
        let requests_before = server.requests().len();
        let start = Instant::now();
        for name in &names {
            server.insert(GROUP, "sysspecs", sysspec(name, fields(name, 2)));
        }
        let ready_count = || {
            server
                .list(GROUP, "sysspecs", None)
                .iter()
                .filter(|s| is(s, "Ready", "True"))
                .count()
        };
        eventually(Duration::from_secs(1800), || {
            (ready_count() == n).then_some(())
        })
        .unwrap_or_else(|| panic!("{} of {n} ready\n{}", ready_count(), c.logs()));
        let converged = start.elapsed();
        let requests = server.requests().len() - requests_before;
        let reconciles = |o: &str| {
            let name = format!("hms_sys_reconciles_total{{outcome=\"{o}\"}}");
            c.metric(&name).unwrap_or(0.0) as usize
        };
        let (applied, quiet) = (reconciles("applied"), reconciles("unchanged"));
        let rss = support::vm_kib(&pid.to_string(), "VmRSS:");
        let hwm = support::vm_kib(&pid.to_string(), "VmHWM:");
        let objects: u64 = server
            .list(GROUP, "sysspecs", None)
            .iter()
            .map(|s| s["status"]["objects"].as_u64().unwrap_or(0))
            .sum();
        // One resync of every spec: no writes.
        let before = server.requests().len();
        let seen = reconciles("unchanged");
        eventually(Duration::from_secs(600), || {
            (reconciles("unchanged") >= seen + n).then_some(())
        })
        .expect("every spec resynced");
        let writes = server.requests()[before..]
            .iter()
            .filter(|r| r.method != "GET")
            .count();
        let resynced = reconciles("unchanged") - seen;
        // A foreign write, corrected.
        let target = &names[n / 2];
        let t0 = Instant::now();
        let patch = r#"{"spec":{"replicas":7}}"#;
        let args = [
            "-n",
            target,
            "patch",
            "deployment",
            "dcaa-audit",
            "--type",
            "merge",
            "-p",
            patch,
        ];
        let k = client::kubectl(&kubeconfig, &args);
        assert_eq!(k.code, Some(0), "{}", k.stderr);
        eventually(LIMIT, || {
            let d = server.get("apps", "deployments", target, "dcaa-audit")?;
            (d["spec"]["replicas"] == 2).then_some(())
        })
        .expect("drift corrected");
        let drift = t0.elapsed().as_secs_f64();
        let mb = |kib: u64| kib as f64 / 1024.0;
        println!(
            "| {n} | {objects} | {:.1} s | {requests} | {applied} + {quiet} | {:.0} MB ({:.0} MB) | {:.0} MB | {resynced}, {writes} | {drift:.2} s |",
            converged.as_secs_f64(),
            mb(rss),
            mb(base_rss),
            mb(hwm),
        );
    }
}

#[test]
fn a_sharded_controller_serves_only_the_sysspecs_its_selector_matches() {
    let cluster = Cluster::start();
    let Some(server) = cluster.test_server("inspects stored objects") else {
        return;
    };
    install_crd(&cluster);
    let c = Controller::start(
        &cluster,
        "shard-a",
        &["--no-leader-election", "--selector", "shard=a"],
    );
    let mut other = sysspec("other", fields("other", 2));
    other["metadata"]["labels"] = json!({"shard": "b"});
    kubectl_apply(&cluster, &other);
    let mut mine = sysspec("mine", fields("mine", 2));
    mine["metadata"]["labels"] = json!({"shard": "a"});
    kubectl_apply(&cluster, &mine);
    ready(&cluster, "mine", &c);
    // Both were there before `mine` converged; the other shard's was never touched.
    let s = get_spec(&cluster, "other").expect("stored");
    assert!(s["status"].is_null(), "{s:#}");
    assert!(s["metadata"]["finalizers"].is_null(), "{s:#}");
    assert!(server.get("", "namespaces", "", "other").is_none());
}

// --- Deploying the controller: `hms-sys controller manifests` and the Containerfile.

/// A reference pinned by digest, as an operator passes it.
fn pinned_image() -> String {
    format!(
        "ghcr.io/hms-sys/hms-sys:0.1.0@sha256:{}",
        "0123abcd".repeat(8)
    )
}

/// `hms-sys controller manifests` with `args`: the text and its objects.
fn install_manifests(args: &[&str]) -> (String, Vec<Value>) {
    let image = pinned_image();
    let mut argv = vec!["controller", "manifests", "--image", &image];
    argv.extend_from_slice(args);
    let run = support::hms(&argv);
    assert_eq!(run.code, 0, "{run:?}");
    let objects = serde_yaml_ng::Deserializer::from_str(&run.stdout)
        .map(|d| Value::deserialize(d).expect("YAML"))
        .collect();
    (run.stdout, objects)
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the manifests"))
}

#[test]
fn the_install_manifests_pass_kubernetes_validate_and_the_restricted_baseline() {
    let (text, objects) = install_manifests(&[]);
    let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "NetworkPolicy",
            "Service",
            "Deployment"
        ]
    );
    // The CRD is the one `controller crd` prints (labelled), not a second copy.
    let crd = support::hms(&["controller", "crd"]);
    let mut printed: Value = serde_yaml_ng::from_str(&crd.stdout).expect("CRD");
    let mut installed = find(&objects, "CustomResourceDefinition").clone();
    installed["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("labels");
    printed["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("labels");
    assert_eq!(installed, printed);

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("controller.yaml");
    std::fs::write(&file, &text).expect("write");
    kubernetes_validate(&file);
    // hms-sys's own baselines, without an exception: as a file and on stdin.
    for profile in ["restricted", "cis-level-2"] {
        let run = support::hms(&["check", &file.display().to_string(), "--profile", profile]);
        assert_eq!(run.code, 0, "--profile {profile}: {run:?}");
        assert!(run.stdout.contains("0 warnings"), "{profile}: {run:?}");
    }
    let mut child = support::spawn_hms_with(
        &[
            "check".into(),
            "-".into(),
            "--profile".into(),
            "restricted".into(),
            "--cache-dir".into(),
            support::cache_dir().display().to_string(),
        ],
        &[],
        Stdio::piped(),
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write stdin");
    let run = support::wait_child(child, Duration::from_secs(120));
    assert_eq!(run.code, 0, "check - --profile restricted: {run:?}");
}

#[test]
fn the_cluster_role_grants_what_the_controller_and_the_bundled_plugins_need_and_nothing_else() {
    let (_, objects) = install_manifests(&["--namespace", "ops-sys"]);
    let rules = find(&objects, "ClusterRole")["rules"]
        .as_array()
        .expect("rules")
        .clone();
    // (group, resource) -> verbs, flattened from the rules.
    let mut granted: Vec<(String, String, Vec<String>)> = Vec::new();
    for r in &rules {
        assert!(r.get("nonResourceURLs").is_none(), "{r}");
        assert!(r.get("resourceNames").is_none(), "{r}");
        let strings = |k: &str| -> Vec<String> {
            r[k].as_array()
                .unwrap_or_else(|| panic!("{k} in {r}"))
                .iter()
                .map(|v| v.as_str().expect("a string").to_string())
                .collect()
        };
        let verbs = strings("verbs");
        for g in strings("apiGroups") {
            for res in strings("resources") {
                assert!(
                    g != "*" && res != "*" && !verbs.iter().any(|v| v == "*"),
                    "a wildcard: {r}"
                );
                assert!(
                    !["secrets", "pods", "pods/exec", "serviceaccounts/token"]
                        .contains(&res.as_str()),
                    "{res}: {r}"
                );
                assert!(
                    !verbs.iter().any(
                        |v| ["escalate", "bind", "impersonate", "update"].contains(&v.as_str())
                    ),
                    "{r}"
                );
                granted.push((g.clone(), res, verbs.clone()));
            }
        }
    }
    granted.sort();
    let applied = ["create", "delete", "get", "list", "patch", "watch"];
    let mut want: Vec<(String, String, Vec<String>)> = vec![
        ("sys.hms.io", "sysspecs", &["list", "patch", "watch"][..]),
        ("sys.hms.io", "sysspecs/status", &["patch"]),
        ("events.k8s.io", "events", &["create", "patch"]),
        ("", "configmaps", &["create", "delete", "get", "patch"]),
        ("", "nodes", &["list"]),
        ("", "namespaces", &applied),
        ("", "serviceaccounts", &applied),
        ("", "persistentvolumeclaims", &applied),
        ("apps", "deployments", &applied),
        ("networking.k8s.io", "networkpolicies", &applied),
        ("storage.k8s.io", "storageclasses", &applied),
        ("cluster.x-k8s.io", "machinedeployments", &applied),
        ("cluster.x-k8s.io", "machinehealthchecks", &applied),
        ("karpenter.sh", "nodepools", &applied),
        ("karpenter.k8s.aws", "ec2nodeclasses", &applied),
    ]
    .into_iter()
    .map(|(g, r, v)| {
        (
            g.to_string(),
            r.to_string(),
            v.iter().map(|s| s.to_string()).collect(),
        )
    })
    .collect();
    want.sort();
    let mut got: Vec<(String, String, Vec<String>)> = granted
        .into_iter()
        .map(|(g, r, mut v)| {
            v.sort();
            (g, r, v)
        })
        .collect();
    got.sort();
    assert_eq!(got, want);

    // Every kind a bundled plugin emits is one the ClusterRole lets the controller apply.
    let run = support::hms(&["plugins", "list", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let plugins: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let mut emitted: Vec<(String, String)> = plugins
        .as_array()
        .expect("plugins")
        .iter()
        .flat_map(|p| p["emits"].as_array().cloned().unwrap_or_default())
        .map(|k| {
            let k = k.as_str().expect("Kind.group");
            let (kind, group) = k.split_once('.').unwrap_or((k, ""));
            (group.to_string(), kind.to_string())
        })
        .collect();
    emitted.sort();
    emitted.dedup();
    let mut rendered: Vec<(String, String)> = hms_sys::controller_manifests::RENDERED
        .iter()
        .map(|(g, _, k)| (g.to_string(), k.to_string()))
        .collect();
    rendered.sort();
    assert_eq!(
        rendered, emitted,
        "the ClusterRole's rendered kinds are the bundled plugins' `emits`"
    );

    // Leases only in its own namespace, and only its own Lease once created.
    let role = find(&objects, "Role");
    assert_eq!(role["metadata"]["namespace"], "ops-sys");
    assert_eq!(
        role["rules"],
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": ["hms-sys-controller"], "verbs": ["get", "patch"]},
        ])
    );
    for binding in ["ClusterRoleBinding", "RoleBinding"] {
        assert_eq!(
            find(&objects, binding)["subjects"],
            json!([{"kind": "ServiceAccount", "name": "hms-sys-controller", "namespace": "ops-sys"}]),
            "{binding}"
        );
    }
}

#[test]
fn the_controller_deployment_is_hardened() {
    let (_, objects) = install_manifests(&["--replicas", "3"]);
    let ns = find(&objects, "Namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let sa = find(&objects, "ServiceAccount");
    assert_eq!(sa["automountServiceAccountToken"], false);
    let d = find(&objects, "Deployment");
    assert_eq!(d["metadata"]["namespace"], "hms-system");
    assert_eq!(d["spec"]["replicas"], 3);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "hms-sys-controller");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["image"], pinned_image().as_str());
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["runAsUser"], 65532);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
    let args: Vec<&str> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        args,
        [
            "controller",
            "run",
            "--listen",
            "0.0.0.0:8080",
            "--cache-dir",
            "/var/cache/hms-sys"
        ]
    );
    // Every flag it is run with is one `controller run` takes.
    let help = support::hms(&["controller", "run", "--help"]);
    let help = format!("{}{}", help.stdout, help.stderr);
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(help.contains(&format!("{flag} <")), "{flag}: {help}");
    }
    let env = &c["env"];
    assert_eq!(
        env,
        &json!([
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        ])
    );
    assert_eq!(
        c["ports"][0],
        json!({"name": "metrics", "containerPort": 8080, "protocol": "TCP"})
    );
    assert_eq!(
        c["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "metrics"})
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "metrics"})
    );
    for k in ["requests", "limits"] {
        for r in ["cpu", "memory"] {
            assert!(c["resources"][k][r].is_string(), "resources.{k}.{r}: {c:#}");
        }
    }
    // The token the controller needs, mounted explicitly where the clients look for it.
    assert_eq!(pod["automountServiceAccountToken"], false);
    let mounts = c["volumeMounts"].as_array().expect("mounts");
    let mount = |path: &str| {
        let m = mounts
            .iter()
            .find(|m| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("nothing mounted at {path}: {mounts:?}"));
        pod["volumes"]
            .as_array()
            .expect("volumes")
            .iter()
            .find(|v| v["name"] == m["name"])
            .expect("the mount's volume")
            .clone()
    };
    assert!(mount("/var/cache/hms-sys")["emptyDir"].is_object());
    let token = mount("/var/run/secrets/kubernetes.io/serviceaccount");
    let sources = token["projected"]["sources"].as_array().expect("sources");
    assert!(
        sources
            .iter()
            .any(|s| s["serviceAccountToken"]["path"] == "token")
    );
    assert!(
        sources
            .iter()
            .any(|s| s["configMap"]["name"] == "kube-root-ca.crt")
    );
    assert!(
        sources
            .iter()
            .any(|s| s["downwardAPI"]["items"][0]["path"] == "namespace")
    );
}

#[test]
fn manifests_refuse_an_unpinned_image_and_a_bad_namespace() {
    let run = support::hms(&[
        "controller",
        "manifests",
        "--image",
        "ghcr.io/hms-sys/hms-sys:0.1.0",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("not pinned by a sha256 digest"),
        "{run:?}"
    );
    assert!(run.stderr.contains("@sha256:"), "{run:?}");
    let image = pinned_image();
    let run = support::hms(&[
        "controller",
        "manifests",
        "--image",
        &image,
        "--namespace",
        "Ops",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--namespace \"Ops\""), "{run:?}");
    let run = support::hms(&["controller", "manifests"]);
    assert_eq!(run.code, 2, "--image is required: {run:?}");
    let run = support::hms(&[
        "controller",
        "manifests",
        "--image",
        &image,
        "--replicas",
        "0",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
}

/// The stages of a Containerfile: (base image with ARG defaults filled in, its instructions).
fn stages(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    // Continuation lines joined, comments dropped.
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    let mut args: Vec<(String, String)> = Vec::new();
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for l in lines {
        let (op, rest) = l.split_once(' ').unwrap_or((&l, ""));
        let op = op.to_uppercase();
        let rest = rest.trim().to_string();
        if op == "ARG" && out.is_empty() {
            if let Some((k, v)) = rest.split_once('=') {
                args.push((k.to_string(), v.to_string()));
            }
        } else if op == "FROM" {
            let mut image = rest.split_whitespace().next().unwrap_or("").to_string();
            for (k, v) in &args {
                image = image.replace(&format!("${{{k}}}"), v);
            }
            out.push((image, Vec::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push((op, rest));
        }
    }
    out
}

#[test]
fn the_containerfile_builds_in_one_stage_and_runs_distroless_as_nonroot() {
    let text =
        std::fs::read_to_string(support::root().join("Containerfile")).expect("Containerfile");
    let stages = stages(&text);
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    for (image, _) in &stages {
        let tag = image.rsplit('/').next().unwrap_or(image);
        assert!(
            tag.contains(':') || tag.contains('@'),
            "{image}: untagged means latest"
        );
        assert!(!tag.ends_with(":latest"), "{image}");
    }
    let (build_image, build) = &stages[0];
    assert!(build_image.contains("rust:1.95"), "{build_image}");
    assert!(
        build
            .iter()
            .any(|(op, rest)| op == "RUN" && rest.contains("rustup target add wasm32-wasip2")),
        "the bundled plugins need wasm32-wasip2: {build:?}"
    );
    assert!(
        build
            .iter()
            .any(|(op, rest)| op == "RUN" && rest.contains("cargo build --release --locked")),
        "{build:?}"
    );
    let (image, last) = stages.last().expect("a final stage");
    // Distroless: no shell, so nothing in the final stage may need one (RUN, shell-form
    // ENTRYPOINT or CMD).
    assert!(image.starts_with("gcr.io/distroless/"), "{image}");
    // Its glibc is the build stage's (both Debian 12).
    assert!(
        image.contains("debian12") && build_image.contains("bookworm"),
        "{image} {build_image}"
    );
    let ops: Vec<&str> = last.iter().map(|(op, _)| op.as_str()).collect();
    assert!(
        !ops.contains(&"RUN"),
        "the final stage has no shell: {last:?}"
    );
    let get = |op: &str| {
        last.iter()
            .rev()
            .find(|(o, _)| o == op)
            .map(|(_, rest)| rest.as_str())
            .unwrap_or_else(|| panic!("no {op} in the final stage: {last:?}"))
    };
    let uid = hms_sys::controller_manifests::UID.to_string();
    assert_eq!(
        get("USER"),
        format!("{uid}:{uid}"),
        "the Deployment's runAsUser"
    );
    let exec = |rest: &str| -> Vec<String> {
        serde_json::from_str(rest).unwrap_or_else(|_| panic!("exec form (no shell): {rest}"))
    };
    assert_eq!(exec(get("ENTRYPOINT")), ["/usr/local/bin/hms-sys"]);
    assert_eq!(exec(get("CMD")), ["controller", "run"]);
    assert!(
        get("COPY").starts_with("--from=build "),
        "only the binary comes from the build"
    );
    // The build context leaves out target/ (gigabytes of build output).
    let ignore =
        std::fs::read_to_string(support::root().join(".dockerignore")).expect(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target"), "{ignore}");
}

#[test]
fn in_a_pod_without_a_kubeconfig_the_controller_connects_as_its_service_account() {
    // No kubeconfig anywhere, KUBERNETES_SERVICE_HOST set as in a pod: the in-cluster
    // configuration is tried (here it cannot load: no service-account files on this machine).
    let home = tempfile::tempdir().expect("home");
    let out = support::hms_command(&[
        "controller".into(),
        "run".into(),
        "--no-leader-election".into(),
        "--listen".into(),
        String::new(),
    ])
    .env_remove("KUBECONFIG")
    .env("HOME", home.path())
    .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    .env("KUBERNETES_SERVICE_PORT", "1")
    .stdin(Stdio::null())
    .output()
    .expect("run hms-sys");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if std::path::Path::new("/var/run/secrets/kubernetes.io/serviceaccount/token").exists() {
        return; // Running in a pod: the in-cluster configuration would load.
    }
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("in-cluster configuration (KUBERNETES_SERVICE_HOST is set)"),
        "{stderr}"
    );
}
