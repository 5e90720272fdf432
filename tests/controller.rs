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
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--kubernetes-version", "1.33"])
        .arg(&file)
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

/// A `Vm*:` line of /proc/PID/status, in KiB.
fn vm_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
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
        let base_rss = vm_kib(pid, "VmRSS:");
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
        let rss = vm_kib(pid, "VmRSS:");
        let hwm = vm_kib(pid, "VmHWM:");
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
