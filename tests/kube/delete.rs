//! DELETE of one object and of a collection. An object with finalizers is not removed but marked
//! (`deletionTimestamp`, `deletionGracePeriodSeconds: 0`) and goes once a write empties its
//! finalizers (`store.rs`). A namespace takes its objects with it: those without finalizers go
//! at once; if any with finalizers remain, the namespace stays `Terminating` until they are gone.
//! A CRD takes its objects with it at once. DeleteOptions: `preconditions` (uid,
//! resourceVersion) are honoured; `propagationPolicy` is checked and otherwise ignored (there is
//! no garbage collector to act on it).

use serde_json::{Value, json};

use super::http::{Request, Response};
use super::rest::{Target, dry_run, error, matching, selectors};
use super::server::{Shared, status};
use super::store::{Inner, Key, finalizers, now_rfc3339, terminating};

/// The DeleteOptions body (empty when none was sent).
fn options(req: &Request) -> Result<Value, Response> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    let opts: Value = serde_json::from_slice(&req.body)
        .map_err(|e| error(400, "BadRequest", &format!("invalid DeleteOptions: {e}")))?;
    let policy = opts["propagationPolicy"]
        .as_str()
        .or(req.param("propagationPolicy"));
    if let Some(p) = policy
        && !matches!(p, "Orphan" | "Background" | "Foreground")
    {
        let msg = format!(
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
        );
        return Err(error(422, "Invalid", &msg));
    }
    Ok(opts)
}

/// The 409 of a failed precondition, worded as the API server does.
fn precondition(t: &Target, name: &str, opts: &Value, obj: &Value) -> Option<Response> {
    let pre = &opts["preconditions"];
    for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        let Some(want) = pre[field].as_str() else {
            continue;
        };
        let have = obj["metadata"][field].as_str().unwrap_or("");
        if want != have {
            let msg = format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {label} in precondition: {want}, {label} in object meta: {have}",
                t.resource()
            );
            let mut s = status(409, "Conflict", &msg);
            s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.plural});
            return Some(Response::json(409, &s));
        }
    }
    None
}

/// What a dry run of marking an object for deletion answers.
fn marked(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if !terminating(&obj) {
        obj["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
        obj["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    }
    obj
}

/// Deletes one object, or marks it when it has finalizers; returns what to answer with.
fn remove(store: &mut Inner, key: &Key) -> Option<Value> {
    let obj = store.get(key)?;
    if finalizers(obj).is_empty() {
        store.delete(key)
    } else {
        store.mark_deleting(key)
    }
}

pub fn delete(shared: &Shared, req: &Request, t: &Target, name: &str) -> Response {
    let opts = match options(req) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mut store = shared.store.lock();
    let key = t.key(name);
    let Some(obj) = store.get(&key).cloned() else {
        return t.not_found(name);
    };
    if let Some(r) = precondition(t, name, &opts, &obj) {
        return r;
    }
    let namespace = t.rt.group.is_empty() && t.rt.plural == "namespaces";
    if dry_run(req) {
        let keep = !finalizers(&obj).is_empty()
            || (namespace && !store.keys_in_namespace(name).is_empty());
        let answer = if keep { marked(&obj) } else { obj };
        return Response::json(200, &t.present(answer));
    }
    // A second DELETE of an object being deleted changes nothing.
    if terminating(&obj) {
        return Response::json(200, &t.present(obj));
    }
    if namespace {
        for k in store.keys_in_namespace(name) {
            remove(&mut store, &k);
        }
        if !store.keys_in_namespace(name).is_empty() {
            // Objects with finalizers remain: the namespace is Terminating until they are gone.
            let mut ns = obj;
            ns["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            ns["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            ns["status"]["phase"] = json!("Terminating");
            let ns = store.put(&key, ns);
            return Response::json(200, &t.present(ns));
        }
    }
    if super::crds::is_crd(t.rt) {
        for k in super::crds::objects_of(&store, &obj) {
            store.delete(&k);
        }
    }
    match remove(&mut store, &key) {
        Some(obj) => Response::json(200, &t.present(obj)),
        None => t.not_found(name),
    }
}

pub fn delete_collection(shared: &Shared, req: &Request, t: &Target) -> Response {
    let (labels, fields) = match selectors(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = options(req) {
        return r;
    }
    let mut store = shared.store.lock();
    let doomed: Vec<Value> = store
        .list(&t.rt.group, &t.rt.plural, t.namespace)
        .into_iter()
        .filter(|o| matching(t, o, &labels, &fields))
        .collect();
    let mut items = Vec::new();
    for o in doomed {
        let ns = o["metadata"]["namespace"].as_str().unwrap_or("");
        let name = o["metadata"]["name"].as_str().unwrap_or("");
        let key = Key::new(&t.rt.group, &t.rt.plural, ns, name);
        if dry_run(req) {
            let keep = !finalizers(&o).is_empty();
            items.push(t.present(if keep { marked(&o) } else { o }));
        } else if let Some(o) = remove(&mut store, &key) {
            items.push(t.present(o));
        }
    }
    Response::json(
        200,
        &json!({
            "kind": format!("{}List", t.rt.kind),
            "apiVersion": t.gv(),
            "metadata": {"resourceVersion": store.resource_version().to_string()},
            "items": items,
        }),
    )
}
