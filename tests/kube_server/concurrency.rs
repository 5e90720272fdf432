//! Many clients at once, each on one kept-alive connection.

use std::io::{BufRead, BufReader, Read, Write};

use serde_json::json;

use super::{APPLY, configmap};
use crate::kube::TestServer;
use crate::kube::client::call;

#[test]
fn concurrent_clients_on_kept_alive_connections_all_land() {
    let server = TestServer::start();
    let addr = server.addr();
    let before = server.resource_version();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                // One kept-alive connection per thread, 25 applies on it.
                let conn = std::net::TcpStream::connect(addr).expect("connect");
                conn.set_read_timeout(Some(crate::kube::client::SAFETY)).expect("timeout");
                let mut w = conn.try_clone().expect("clone");
                let mut r = BufReader::new(conn);
                for i in 0..25 {
                    let body = configmap(&format!("c-{t}-{i}"), json!({"t": t.to_string()}));
                    let path = format!("/api/v1/namespaces/default/configmaps/c-{t}-{i}?fieldManager=m{t}");
                    write!(w, "PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {APPLY}\r\nContent-Length: {}\r\n\r\n{body}", body.len()).expect("write");
                    let (mut line, mut len) = (String::new(), 0);
                    r.read_line(&mut line).expect("status line");
                    assert!(line.starts_with("HTTP/1.1 201"), "{line}");
                    loop {
                        line.clear();
                        r.read_line(&mut line).expect("header");
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().expect("length");
                        }
                    }
                    let mut buf = vec![0; len];
                    r.read_exact(&mut buf).expect("body");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    assert_eq!(server.list("", "configmaps", Some("default")).len(), 200);
    assert_eq!(server.resource_version(), before + 200);
    let r = call(
        &server,
        "GET",
        "/api/v1/configmaps?labelSelector=t%3D3",
        "",
        "",
    );
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(25));
}
