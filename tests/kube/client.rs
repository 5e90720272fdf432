//! Clients for the tests of the test server and of `hms-sys apply`: the installed `kubectl`
//! (bounded by [`SAFETY`]), raw HTTP/1.1 requests and a raw watch reader.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::TestServer;

/// A safety net so nothing can hang; never an assertion.
pub const SAFETY: Duration = Duration::from_secs(60);

pub struct Kubectl {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `kubectl --kubeconfig K ARGS`, killed after [`SAFETY`].
pub fn kubectl(kubeconfig: &Path, args: &[&str]) -> Kubectl {
    let cache = kubeconfig.with_file_name("kubectl-cache");
    let child = Command::new("kubectl")
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
    let (code, stdout, stderr) = collect(child, SAFETY);
    Kubectl {
        code: code.and_then(|c| c.code()),
        stdout,
        stderr,
    }
}

/// Waits for a child with piped stdout and stderr at most `limit` (killing it then: a guard
/// against a hang, never an assertion), reading both pipes meanwhile so a talkative child
/// cannot block on a full pipe. The exit status is `None` when it was killed.
pub fn collect(
    mut child: std::process::Child,
    limit: Duration,
) -> (Option<std::process::ExitStatus>, String, String) {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut s);
            }
            s
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let until = std::time::Instant::now() + limit;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if std::time::Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

pub fn ok(k: Kubectl) -> String {
    assert_eq!(
        k.code,
        Some(0),
        "kubectl failed\n--- stdout\n{}\n--- stderr\n{}",
        k.stdout,
        k.stderr
    );
    k.stdout
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Value,
}

/// One raw HTTP/1.1 request (Connection: close).
pub fn http(
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

pub fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> Reply {
    http(server.addr(), method, path, content_type, body).expect("request")
}

/// Polls `f` (bounded) until it returns Some.
pub fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..(SAFETY.as_millis() / 25) {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("condition not reached within the safety limit");
}

/// Reads newline-delimited watch events from a chunked response.
pub fn watch_events(
    addr: SocketAddr,
    path: &str,
    n: usize,
    after_start: impl FnOnce(),
) -> Vec<Value> {
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

/// A kube-rs client for `kubeconfig` (the test server's, or a real cluster's).
pub async fn kube_client(kubeconfig: &Path) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).expect("read the kubeconfig");
    let options = kube::config::KubeConfigOptions::default();
    let config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .expect("kube-rs config from the kubeconfig");
    kube::Client::try_from(config).expect("kube-rs client")
}

/// Runs `f` with a kube-rs client for `kubeconfig` on a fresh tokio runtime, bounded by
/// [`SAFETY`] (a guard against a hang, never an assertion).
pub fn with_kube<T, F: std::future::Future<Output = T>>(
    kubeconfig: &Path,
    f: impl FnOnce(kube::Client) -> F,
) -> T {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let client = kube_client(kubeconfig).await;
        tokio::time::timeout(SAFETY, f(client))
            .await
            .expect("the kube-rs test ran past the safety limit")
    })
}

/// Polls `f` (bounded by [`SAFETY`]) until it returns Some, without blocking the runtime.
pub async fn eventually_async<T, F: std::future::Future<Output = Option<T>>>(
    mut f: impl FnMut() -> F,
) -> T {
    for _ in 0..(SAFETY.as_millis() / 25) {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within the safety limit");
}
