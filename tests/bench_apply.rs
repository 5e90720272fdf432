//! Benchmark, not a test: applying N ConfigMaps to the test server with 10 ms of latency per
//! request. Ignored by default; run it with
//! `cargo test --release -p hms-tests --test tests bench_apply -- --ignored --nocapture`.
//! It prints wall time and the process's resident memory for 500, 1,000 and 2,000 objects.

use std::time::{Duration, Instant};

use hms_apply::{ApplyOptions, Desired, Set, StatusInfo, Target};
use serde_json::json;

use crate::kube::{ServerConfig, TestServer};

/// Resident set size of this process now, in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
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

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_apply() {
    println!("objects | wall (s) | requests | VmRSS before → after (KiB)");
    for n in [500, 1000, 2000] {
        let server = TestServer::start_with(ServerConfig {
            controllers: false,
            latency: Duration::from_millis(10),
            ..ServerConfig::default()
        });
        let dir = tempfile::tempdir().expect("tmp");
        let kubeconfig = server.kubeconfig(dir.path());
        let ns = "bench";
        let set = Set {
            spec: "bench".into(),
            namespace: ns.into(),
            tooling: "hms-sys/bench".into(),
            status: StatusInfo {
                namespace: ns.into(),
                ..StatusInfo::default()
            },
        };
        let desired = objects(n, ns);
        let before = rss_kib();
        let started = Instant::now();
        let report = hms_apply::block_on(async {
            let client = hms_apply::connect(&Target {
                kubeconfig: Some(kubeconfig),
                context: None,
            })
            .await?;
            hms_apply::apply(
                &client,
                &set,
                &desired,
                &ApplyOptions::default(),
                &hms_apply::events::Sink::none(),
                &mut |_| {},
            )
            .await
        })
        .expect("runtime")
        .expect("apply");
        let took = started.elapsed();
        assert!(!report.failed(), "every object applied");
        println!(
            "{n:7} | {:8.2} | {:8} | {before} → {}",
            took.as_secs_f64(),
            server.requests().len(),
            rss_kib()
        );
    }
}
