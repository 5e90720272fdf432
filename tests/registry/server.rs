//! Registries for the tests: Debian's `docker-registry` (distribution 2.8) started on a free
//! loopback port with its own storage, and a tiny fault-injecting registry that serves one
//! artifact read-only and fails the way real registries fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A real registry process; killed on drop.
pub struct Real {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

const BINARY: &str = "docker-registry";

impl Real {
    pub fn start() -> Real {
        let bin = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .chain([PathBuf::from("/usr/bin")])
            .map(|d| d.join(BINARY))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "the registry tests need Debian's `docker-registry` package (distribution 2.8): `apt-get install -y docker-registry` (.ci/run installs it)"
                )
            });
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )
        .expect("config");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let mut real = Real {
            child,
            addr,
            _dir: dir,
        };
        // Bounded: 400 tries 25 ms apart, then the test fails saying so.
        for _ in 0..400 {
            if let Ok(mut s) = TcpStream::connect(&real.addr) {
                let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
                let mut line = String::new();
                if BufReader::new(s).read_line(&mut line).is_ok() && line.contains("200") {
                    return real;
                }
            }
            if let Ok(Some(status)) = real.child.try_wait() {
                panic!("docker-registry exited at start: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let _ = real.child.kill();
        panic!("docker-registry did not answer on {}", real.addr);
    }
}

impl Drop for Real {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the fault registry misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No fault: serves the artifact as a registry would.
    None,
    /// Every request gets this status.
    Status(u16),
    /// Accepts connections and never answers.
    Hang,
    /// Serves the blob with one byte changed.
    CorruptBlob,
    /// Sends half the component blob, then closes the connection.
    TruncateBlob,
}

/// A read-only registry serving one artifact (`repo` at tag `t` and by digest), with a fault.
pub struct Faulty {
    pub addr: String,
}

/// What the fault registry serves: the manifest and its blobs.
#[derive(Clone)]
pub struct Served {
    pub manifest: Vec<u8>,
    pub blobs: Vec<(String, Vec<u8>)>,
}

impl Faulty {
    pub fn start(fault: Fault, served: Served) -> Faulty {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                if fault == Fault::Hang {
                    held.push(stream);
                    continue;
                }
                let served = served.clone();
                std::thread::spawn(move || serve(stream, fault, &served));
            }
        });
        Faulty { addr }
    }
}

fn serve(mut stream: TcpStream, fault: Fault, served: &Served) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let head = line.starts_with("HEAD");
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let respond = |s: &mut TcpStream, status: &str, ctype: &str, body: &[u8], send: usize| {
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nDocker-Distribution-Api-Version: registry/2.0\r\n\r\n",
                body.len()
            );
            if !head {
                let _ = s.write_all(&body[..send]);
            }
            let _ = s.flush();
        };
        if let Fault::Status(code) = fault {
            let msg = format!("{code} Injected");
            respond(&mut stream, &msg, "text/plain", b"injected", 8);
            continue;
        }
        if path == "/v2/" {
            respond(&mut stream, "200 OK", "application/json", b"{}", 2);
        } else if path.contains("/manifests/") {
            let want = path.rsplit('/').next().unwrap_or("");
            let digest = hms_oci_digest(&served.manifest);
            if want == "t" || want == digest {
                let m = served.manifest.clone();
                respond(
                    &mut stream,
                    "200 OK",
                    "application/vnd.oci.image.manifest.v1+json",
                    &m,
                    m.len(),
                );
            } else {
                let e = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
                respond(&mut stream, "404 Not Found", "application/json", e, e.len());
            }
        } else if let Some((_, blob)) = served
            .blobs
            .iter()
            .find(|(d, _)| path.ends_with(d.as_str()))
        {
            let mut blob = blob.clone();
            let big = blob.len() > 1000;
            match fault {
                Fault::CorruptBlob if big => {
                    blob[500] ^= 1;
                    respond(
                        &mut stream,
                        "200 OK",
                        "application/octet-stream",
                        &blob,
                        blob.len(),
                    );
                }
                Fault::TruncateBlob if big => {
                    respond(
                        &mut stream,
                        "200 OK",
                        "application/octet-stream",
                        &blob,
                        blob.len() / 2,
                    );
                    return;
                }
                _ => respond(
                    &mut stream,
                    "200 OK",
                    "application/octet-stream",
                    &blob,
                    blob.len(),
                ),
            }
        } else {
            let e = br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}"#;
            respond(&mut stream, "404 Not Found", "application/json", e, e.len());
        }
    }
}

fn hms_oci_digest(bytes: &[u8]) -> String {
    hms_plugin::digest_of(bytes)
}
