//! Writes an ordinary kubeconfig for the test server: one cluster (`server: https://127.0.0.1:PORT`
//! with the cluster CA in `certificate-authority-data`, or plain `http://`), one user with a
//! bearer token, one context, current-context set.

use std::path::{Path, PathBuf};

/// The names used in the generated kubeconfig.
pub const CONTEXT: &str = "hms-test";
pub const TOKEN: &str = "hms-test-token";

pub fn write(dir: &Path, server: &str, ca_pem: Option<&str>) -> PathBuf {
    use base64::Engine;
    let ca = ca_pem.map_or_else(String::new, |pem| {
        let data = base64::engine::general_purpose::STANDARD.encode(pem);
        format!("\n    certificate-authority-data: {data}")
    });
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}{ca}
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
