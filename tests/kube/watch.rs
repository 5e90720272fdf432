//! WATCH: newline-delimited JSON WatchEvents (ADDED, MODIFIED, DELETED) over a chunked response,
//! from a resourceVersion (or the current state as ADDED events; `sendInitialEvents=true` ends them
//! with the initial-events-end BOOKMARK), with label and field selectors (an object that starts or
//! stops matching is ADDED or DELETED),
//! until `timeoutSeconds` (default 30 min), the client going away or the server stopping. With
//! `allowWatchBookmarks=true`, a watch that times out ends with a BOOKMARK carrying the newest
//! resourceVersion it has seen (of any kind), so a client resumes from there; no periodic
//! bookmarks are sent.

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{Body, Request, Response};
use super::rest::{Target, matching};
use super::select::Selector;
use super::server::{Shared, status};

fn line(kind: &str, object: Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    out.push(b'\n');
    out
}

pub fn serve(shared: &Shared, req: &Request, t: &Target) -> Response {
    let parse = |p: &str| Selector::parse(req.param(p).unwrap_or(""));
    // A watch on one named object (`.../configmaps/NAME?watch=true`) selects it by name.
    let field_text = match t.name {
        Some(name) => format!(
            "{},metadata.name={name}",
            req.param("fieldSelector").unwrap_or("")
        ),
        None => req.param("fieldSelector").unwrap_or("").to_string(),
    };
    let (labels, fields) = match (parse("labelSelector"), Selector::parse(&field_text)) {
        (Ok(l), Ok(f)) => (l, f),
        (Err(e), _) | (_, Err(e)) => return Response::json(400, &status(400, "BadRequest", &e)),
    };
    let initial_events = req.param("sendInitialEvents") == Some("true");
    let since: Option<u64> = match req.param("resourceVersion") {
        _ if initial_events => None,
        None | Some("") | Some("0") => None,
        Some(rv) => match rv.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                let msg = format!("invalid resource version: {rv}");
                return Response::json(400, &status(400, "BadRequest", &msg));
            }
        },
    };
    let timeout = req
        .param("timeoutSeconds")
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let (group, plural) = (t.rt.group.clone(), t.rt.plural.clone());
    let namespace = t.namespace.map(String::from);
    let (gv, kind) = (t.rt.group_version(t.version), t.rt.kind.clone());
    let present = move |mut o: Value| {
        o["apiVersion"] = json!(gv);
        o["kind"] = json!(kind);
        o
    };
    let mut store = shared.store.lock();
    let start = match since {
        Some(rv) => rv,
        None => {
            // No resourceVersion: the current state first, as ADDED events.
            for o in store.list(&group, &plural, namespace.as_deref()) {
                if matching(t, &o, &labels, &fields) {
                    let _ = tx.send(line("ADDED", present(o)));
                }
            }
            let rv = store.resource_version();
            if initial_events {
                let end = json!({"metadata": {"resourceVersion": rv.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"}}});
                let _ = tx.send(line("BOOKMARK", present(end)));
            }
            rv
        }
    };
    let rt_namespaced = t.rt.namespaced;
    // The newest resourceVersion this watch has passed (sent or not), and whether it is over.
    let seen = Arc::new(Mutex::new((start, false)));
    let bookmarks = matches!(req.param("allowWatchBookmarks"), Some("true" | "1"));
    let end = bookmarks.then(|| {
        let seen = seen.clone();
        let present = present.clone();
        Box::new(move || {
            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
            s.1 = true;
            let mark = json!({"metadata": {"resourceVersion": s.0.to_string()}});
            line("BOOKMARK", present(mark))
        }) as super::http::StreamEnd
    });
    store.subscribe(Some(start), move |e| {
        let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
        if s.1 {
            return false;
        }
        s.0 = s.0.max(e.rv);
        if e.key.group != group || e.key.plural != plural {
            return true;
        }
        if rt_namespaced && namespace.as_deref().is_some_and(|ns| e.key.namespace != ns) {
            return true;
        }
        let selected =
            |o: &Value| labels.matches(&o["metadata"]["labels"]) && fields.matches_fields(o);
        let now = selected(&e.object);
        let before = e.old.as_ref().is_some_and(selected);
        // An object that starts or stops matching the selectors is ADDED or DELETED for this watch.
        let kind = match (e.kind, before, now) {
            ("MODIFIED", true, true) => "MODIFIED",
            ("MODIFIED", false, true) => "ADDED",
            ("MODIFIED", true, false) => "DELETED",
            (kind, _, true) if kind != "MODIFIED" => kind,
            _ => return true,
        };
        tx.send(line(kind, present(e.object.clone()))).is_ok()
    });
    drop(store);
    Response {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Stream {
            rx,
            until: Instant::now() + timeout,
            end,
        },
    }
}
