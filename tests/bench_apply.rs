//! Benchmark, not a test: applying N ConfigMaps to the test server with 10 ms of latency per
//! request. Ignored by default; run it with
//! `cargo test --release -p hms-tests --test tests bench_apply -- --ignored --nocapture`.
//!
//! The server runs in this process; the client (`hms_apply::apply`, what `hms-sys apply` runs)
//! runs in a child process ([`bench_apply_client`]), so its wall time, CPU time and peak memory
//! are its own. Prints a table for 500 to 4,000 objects and for 1 to 64 requests in flight.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hms_apply::{ApplyOptions, Desired, Set, StatusInfo, Target};
use serde_json::{Value, json};

use crate::kube::{ServerConfig, TestServer};

/// What the client child is asked to do (JSON in this variable).
const CLIENT_ENV: &str = "HMS_BENCH_CLIENT";

fn vm_kib(field: &str) -> u64 {
    crate::support::vm_kib("self", field)
}

/// User + system CPU time of this process so far, in ms (/proc/self/stat, 100 ticks a second).
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // After "(comm)": state is field 0, utime 11, stime 12.
    (fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0)) * 10
}

fn objects(n: usize, ns: &str) -> Vec<Desired> {
    let mut out = vec![Desired {
        rank: 1,
        value: json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    }];
    out.extend((0..n).map(|i| Desired {
        rank: 5,
        value: json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i:05}"), "namespace": ns},
            "data": {"index": i.to_string(), "payload": "x".repeat(256)},
        }),
    }));
    out
}

/// One client run in a child process: wall s, CPU ms, VmRSS at start, VmHWM with the input
/// built, VmHWM at the end (KiB).
fn run_client(server: &TestServer, n: usize, concurrency: usize) -> (f64, u64, u64, u64, u64) {
    let dir = tempfile::tempdir().expect("tmp");
    let kubeconfig = server.kubeconfig(dir.path());
    let job = json!({"n": n, "concurrency": concurrency, "kubeconfig": kubeconfig});
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([
            "--exact",
            "bench_apply::bench_apply_client",
            "--ignored",
            "--nocapture",
        ])
        .env(CLIENT_ENV, job.to_string())
        .stderr(Stdio::inherit())
        .output()
        .expect("run the client");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .unwrap_or_else(|| panic!("the client printed no result: {text}"));
    let v: Value = serde_json::from_str(line).expect("JSON");
    let u = |k: &str| v[k].as_u64().unwrap_or(0);
    (
        v["wall"].as_f64().unwrap_or(0.0),
        u("cpuMs"),
        u("rssStart"),
        u("hwmInput"),
        u("hwm"),
    )
}

fn server(latency: Duration) -> TestServer {
    TestServer::start_with(ServerConfig {
        controllers: false,
        latency,
        ..ServerConfig::default()
    })
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_apply() {
    let latency = Duration::from_millis(10);
    println!(
        "objects | in flight | wall (s) | requests | client CPU (s) | \
         client KiB: start → input built → peak | peak - input"
    );
    let row = |n: usize, concurrency: usize| {
        let s = server(latency);
        let (wall, cpu, start, input, peak) = run_client(&s, n, concurrency);
        println!(
            "{n:7} | {concurrency:9} | {wall:8.2} | {:8} | {:14.2} | {start} → {input} → {peak} | {}",
            s.requests().len(),
            cpu as f64 / 1000.0,
            peak - input
        );
    };
    for n in [500, 1000, 2000, 4000] {
        row(n, 16);
    }
    if std::env::var_os("BENCH_QUICK").is_some() {
        return;
    }
    for c in [1, 4, 64] {
        row(2000, c);
    }
}

/// Not a test: the client side of [`bench_apply`], run in a child process.
#[test]
#[ignore = "the client process of bench_apply"]
fn bench_apply_client() {
    let Ok(job) = std::env::var(CLIENT_ENV) else {
        return;
    };
    let job: Value = serde_json::from_str(&job).expect("job");
    let n = job["n"].as_u64().unwrap_or(0) as usize;
    let ns = "bench";
    let set = Set {
        spec: "bench".into(),
        namespace: ns.into(),
        tooling: "hms-sys/bench".into(),
        status: StatusInfo {
            namespace: ns.into(),
            ..StatusInfo::default()
        },
        owner: None,
    };
    let kubeconfig = job["kubeconfig"].as_str().unwrap_or_default().into();
    let options = ApplyOptions {
        concurrency: job["concurrency"].as_u64().unwrap_or(16) as usize,
        ..ApplyOptions::default()
    };
    let rss_start = vm_kib("VmRSS:");
    let cpu_start = cpu_ms();
    let started = Instant::now();
    // As `hms-sys apply` holds them: the rendered objects, built before the apply starts.
    let desired = objects(n, ns);
    let hwm_input = vm_kib("VmHWM:");
    let report = hms_apply::block_on(async {
        let client = hms_apply::connect(&Target {
            kubeconfig: Some(kubeconfig),
            context: None,
        })
        .await?;
        let sink = hms_apply::events::Sink::none();
        hms_apply::apply(&client, &set, &desired, &options, &sink, &mut |_| {}).await
    })
    .expect("runtime")
    .expect("apply");
    let wall = started.elapsed().as_secs_f64();
    assert!(!report.failed(), "every object applied");
    let result = json!({
        "wall": wall,
        "cpuMs": cpu_ms() - cpu_start,
        "rssStart": rss_start,
        "hwm": vm_kib("VmHWM:"),
        "hwmInput": hwm_input,
    });
    println!("BENCH {result}");
    std::process::exit(0);
}
