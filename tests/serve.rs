//! Not a test: runs the Kubernetes API test server by itself so a person can try `hms-sys apply`
//! and `hms-sys status` (and kubectl) against it from a shell. Ignored by default:
//!
//! ```sh
//! HMS_SERVE_KUBECONFIG=/tmp/hms-test.kubeconfig HMS_SERVE_SECONDS=600 \
//!   cargo test --release -p hms-tests --test tests serve_test_cluster -- --ignored --nocapture
//! ```
//!
//! It writes the kubeconfig to `HMS_SERVE_KUBECONFIG` (default
//! `$TMPDIR/hms-test-cluster.kubeconfig`) and serves for `HMS_SERVE_SECONDS` (default 600), with
//! the simulated controllers on, then stops by itself.

use std::path::PathBuf;
use std::time::Duration;

use crate::kube::TestServer;

#[test]
#[ignore = "a tool, not a test: serves a test cluster for manual use"]
fn serve_test_cluster() {
    let server = TestServer::start();
    let path = std::env::var_os("HMS_SERVE_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("hms-test-cluster.kubeconfig"));
    let dir = path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let written = server.kubeconfig(&dir);
    if written != path {
        std::fs::rename(&written, &path).expect("move the kubeconfig into place");
    }
    let seconds: u64 = std::env::var("HMS_SERVE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    println!(
        "test cluster at {} for {seconds} s; kubeconfig: {}",
        server.url(),
        path.display()
    );
    std::thread::sleep(Duration::from_secs(seconds));
}
