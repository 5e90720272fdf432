//! Writes an ordinary kubeconfig for the test server: one cluster (`server: http://127.0.0.1:PORT`,
//! plain HTTP, which both kubectl and kube-rs accept), one user with a bearer token, one context,
//! current-context set.

use std::path::{Path, PathBuf};

/// The names used in the generated kubeconfig.
pub const CONTEXT: &str = "hms-test";
pub const TOKEN: &str = "hms-test-token";

pub fn write(dir: &Path, server: &str) -> PathBuf {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
users:
- name: {CONTEXT}
  user:
    token: {TOKEN}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: default
current-context: {CONTEXT}
preferences: {{}}
"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}
