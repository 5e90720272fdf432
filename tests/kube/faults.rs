//! Fault injection: faults queued by a test, each consumed by the first request that matches its
//! filter; a per-request latency knob; and the request log tests assert on.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{Body, Response};
use super::server::status;

/// What to do to one request instead of (or before) serving it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status code and a metav1.Status body (reason InternalError for 500).
    Status(u16),
    /// 429 with a `Retry-After` header.
    TooManyRequests { retry_after_secs: u64 },
    /// 409 Conflict ("the object has been modified").
    Conflict409,
    /// Close the connection without answering.
    DropConnection,
    /// Wait this long, then serve the request normally.
    Slow(Duration),
    /// Never answer: hold the request until [`Faults::release`], the server stops, or two
    /// minutes pass, then close the connection. [`Faults::hanging`] counts the held requests.
    Hang,
}

/// A queued fault and which requests it applies to.
#[derive(Debug, Clone)]
pub struct Rule {
    pub fault: Fault,
    /// Only requests with this method (e.g. "PATCH").
    pub method: Option<String>,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
}

/// The queue of pending faults (see [`super::TestServer::faults`]).
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    hanging: AtomicUsize,
    released: AtomicBool,
}

impl Faults {
    /// Queues a fault for the next request.
    pub fn push(&self, fault: Fault) {
        self.push_rule(Rule {
            fault,
            method: None,
            path_contains: None,
        });
    }

    /// Queues a fault for the next request with `method` whose path contains `path_contains`.
    pub fn push_for(&self, method: &str, path_contains: &str, fault: Fault) {
        self.push_rule(Rule {
            fault,
            method: Some(method.to_uppercase()),
            path_contains: Some(path_contains.into()),
        });
    }

    pub fn push_rule(&self, rule: Rule) {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rule);
    }

    /// Faults not yet consumed.
    pub fn pending(&self) -> usize {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many requests a [`Fault::Hang`] has held so far (released or not).
    pub fn hanging(&self) -> usize {
        self.hanging.load(Ordering::SeqCst)
    }

    /// Lets every held request go (their connections are closed unanswered); later `Hang`s
    /// return at once.
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }

    /// Holds the calling connection thread for a [`Fault::Hang`].
    pub fn hold(&self, shutdown: &AtomicBool) -> Response {
        self.hanging.fetch_add(1, Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(120);
        while !self.released.load(Ordering::SeqCst)
            && !shutdown.load(Ordering::SeqCst)
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        Response {
            status: 0,
            headers: vec![],
            body: Body::Drop,
        }
    }

    /// Takes the first fault matching this request, if any.
    pub fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let i = rules.iter().position(|r| {
            r.method.as_deref().is_none_or(|m| m == method)
                && r.path_contains.as_deref().is_none_or(|p| path.contains(p))
        })?;
        Some(rules.remove(i).fault)
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub field_manager: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    /// The status answered (0 when the connection was dropped).
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
}

/// What a fault answers; `None` after a `Slow` fault has waited (the request is then served).
pub fn respond(fault: Fault) -> Option<Response> {
    Some(match fault {
        Fault::Slow(d) => {
            std::thread::sleep(d);
            return None;
        }
        // Held by the server (it needs the shutdown flag): see `Faults::hold`.
        Fault::Hang | Fault::DropConnection => Response {
            status: 0,
            headers: vec![],
            body: Body::Drop,
        },
        Fault::TooManyRequests { retry_after_secs } => {
            let msg =
                "the server has received too many requests and has asked us to try again later";
            let mut s = status(429, "TooManyRequests", msg);
            s["details"] = json!({"retryAfterSeconds": retry_after_secs});
            let mut r = Response::json(429, &s);
            r.headers
                .push(("Retry-After".into(), retry_after_secs.to_string()));
            r
        }
        Fault::Conflict409 => {
            let msg = "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again";
            Response::json(409, &status(409, "Conflict", msg))
        }
        Fault::Status(code) => {
            let reason = match code {
                500 => "InternalError",
                503 => "ServiceUnavailable",
                504 => "Timeout",
                404 => "NotFound",
                _ => "Unknown",
            };
            Response::json(
                code,
                &status(code, reason, &format!("injected fault: {code}")),
            )
        }
    })
}
