//! An ignored tool (docs/benchmarks.md, "A baseline in Python"): where a warm run's time goes
//! for one plugin component, phase by phase, in-process, as the host does it: open the file and
//! take its digest from the cache's record of the unchanged file (`PluginSource::from_file`;
//! beside it, for comparison, what a run without the record does: read the file and hash it),
//! load it (map the cached artifact, instantiate-pre, metadata from the cache) and one `check`
//! call (a fresh store and instance, then the call).
//!
//! ```sh
//! HMS_BENCH_WASM=/path/to/plugin.wasm cargo test --release -p hms-tests --test tests \
//!   bench_plugin_load -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant};

use hms_plugin::{Cache, Context, Limits, PluginSource, Runtime, digest_of};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
#[ignore = "a tool: HMS_BENCH_WASM=FILE ... -- --ignored --nocapture"]
fn bench_plugin_load() {
    let Some(path) = std::env::var_os("HMS_BENCH_WASM") else {
        eprintln!("set HMS_BENCH_WASM to a baseline component");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let manifests: Vec<String> = crate::support::hms(&[
        "render",
        crate::support::example().to_str().expect("utf-8"),
        "-o",
        "json",
    ])
    .stdout
    .parse::<serde_json::Value>()
    .map(|list| {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|o| o.to_string())
            .collect()
    })
    .expect("rendered");
    let ctx = Context {
        spec_name: "dcaa-secure".into(),
        namespace: "dcaa-secure".into(),
        node_selector: Vec::new(),
        common_labels: Vec::new(),
        spec: "{}".into(),
    };
    let (mut read, mut hash, mut open, mut load, mut call) =
        (vec![], vec![], vec![], vec![], vec![]);
    let path = std::path::PathBuf::from(path);
    for round in 0..11 {
        let t = Instant::now();
        let bytes = std::fs::read(&path).expect("read");
        read.push(t.elapsed());
        let t = Instant::now();
        let _ = digest_of(&bytes);
        hash.push(t.elapsed());
        drop(bytes);
        // The file is older than the settle time in any real use; here it may be fresh.
        let cache = Cache::at(dir.path()).with_settle(Duration::ZERO);
        let t = Instant::now();
        let (file, _) = hms_spec::open_regular_file(&path, 64 << 20).expect("open");
        let source = PluginSource::from_file("bench", file, 64 << 20, &cache).expect("source");
        let opened = t.elapsed();
        let runtime = Runtime::new(cache, 512 << 10).expect("runtime");
        let t = Instant::now();
        let plugin = runtime.load(&source, Limits::default()).expect("load");
        let took = t.elapsed();
        let name = plugin.name().to_string();
        let t = Instant::now();
        plugin
            .check(&manifests, &format!("{{\"name\":\"{name}\"}}"), &ctx)
            .expect("check");
        let called = t.elapsed();
        if round == 0 {
            eprintln!("cold: load (compile) {took:?}, first check {called:?}");
        } else {
            assert!(!source.was_read(), "the digest came from the record");
            open.push(opened);
            load.push(took);
            call.push(called);
        }
    }
    eprintln!(
        "warm medians: open + recorded digest {:?} (without the record: read {:?}, sha256 {:?}), \
         load from cache {:?}, check (instantiate + call) {:?}",
        median(open),
        median(read),
        median(hash),
        median(load),
        median(call)
    );
}
