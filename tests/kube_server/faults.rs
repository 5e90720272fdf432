//! Fault injection seen on the wire: injected statuses, Retry-After, dropped connections.

use std::time::Duration;

use crate::kube::client::{call, http};
use crate::kube::{Fault, TestServer};

#[test]
fn an_injected_500_is_returned_once_then_the_request_succeeds() {
    let server = TestServer::start();
    server
        .faults()
        .push_for("GET", "/api/v1/namespaces/default", Fault::Status(500));
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces", "", "").status,
        200,
        "filtered out"
    );
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(r.status, 500);
    assert_eq!(r.body["reason"], "InternalError");
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces/default", "", "").status,
        200
    );
    assert_eq!(server.faults().pending(), 0);
}

#[test]
fn an_injected_429_carries_retry_after_and_other_faults_work() {
    let server = TestServer::start();
    server.faults().push(Fault::TooManyRequests {
        retry_after_secs: 2,
    });
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(r.status, 429);
    assert!(
        r.headers
            .lines()
            .any(|l| l.eq_ignore_ascii_case("retry-after: 2")),
        "{}",
        r.headers
    );
    assert_eq!(r.body["reason"], "TooManyRequests");

    server.faults().push(Fault::Conflict409);
    let r = call(&server, "GET", "/api/v1/namespaces/default", "", "");
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("Conflict"))
    );

    server.faults().push(Fault::DropConnection);
    let dropped = http(server.addr(), "GET", "/api/v1/namespaces/default", "", "");
    assert!(dropped.map(|r| r.status == 0).unwrap_or(true));

    server.faults().push(Fault::Slow(Duration::from_millis(10)));
    assert_eq!(
        call(&server, "GET", "/api/v1/namespaces/default", "", "").status,
        200
    );
    let log = server.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 409, 0, 200]
    );
}
