//! DELETE of one object (a namespace or a CRD takes its objects with it) and of a collection.

use serde_json::{Value, json};

use super::http::{Request, Response};
use super::rest::{Target, dry_run, matching, selectors};
use super::server::Shared;
use super::store::Key;

pub fn delete(shared: &Shared, req: &Request, t: &Target, name: &str) -> Response {
    let mut store = shared.store.lock();
    let key = t.key(name);
    let Some(obj) = store.get(&key).cloned() else {
        return t.not_found(name);
    };
    if dry_run(req) {
        return Response::json(200, &t.present(obj));
    }
    if t.rt.group.is_empty() && t.rt.plural == "namespaces" {
        let doomed: Vec<Key> = store.keys_in_namespace(name);
        for k in doomed {
            store.delete(&k);
        }
    }
    if super::crds::is_crd(t.rt) {
        for k in super::crds::objects_of(&store, &obj) {
            store.delete(&k);
        }
    }
    match store.delete(&key) {
        Some(obj) => Response::json(200, &t.present(obj)),
        None => t.not_found(name),
    }
}

pub fn delete_collection(shared: &Shared, req: &Request, t: &Target) -> Response {
    let (labels, fields) = match selectors(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
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
            items.push(t.present(o));
        } else if let Some(o) = store.delete(&key) {
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
