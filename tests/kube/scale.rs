//! The `/scale` subresource (autoscaling/v1 Scale) of Deployments and MachineDeployments, for
//! `kubectl scale`.

use serde_json::{Value, json};

use super::apply;
use super::discovery::ResourceType;
use super::http::{Request, Response};
use super::rest::{Target, dry_run, error, manager, parse_body};
use super::server::Shared;

pub fn scalable(rt: &ResourceType) -> bool {
    matches!(
        (rt.group.as_str(), rt.kind.as_str()),
        ("apps", "Deployment") | ("cluster.x-k8s.io", "MachineDeployment")
    )
}

fn scale_of(obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let selector = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_u64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_u64().unwrap_or(0), "selector": selector},
    })
}

pub fn serve(shared: &Shared, req: &Request, t: &Target, name: &str) -> Response {
    let mut store = shared.store.lock();
    let key = t.key(name);
    let Some(old) = store.get(&key).cloned() else {
        return t.not_found(name);
    };
    match req.method.as_str() {
        "GET" => Response::json(200, &scale_of(&old)),
        "PUT" | "PATCH" => {
            let body = match parse_body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(replicas) = body["spec"]["replicas"].as_u64() else {
                return error(422, "Invalid", "spec.replicas: Required value");
            };
            let mut new = old.clone();
            new["spec"]["replicas"] = json!(replicas);
            apply::record_update(Some(&old), &mut new, &manager(req), &t.gv(), "");
            let stored = if dry_run(req) {
                new
            } else {
                store.put(&key, new)
            };
            Response::json(200, &scale_of(&stored))
        }
        _ => error(405, "MethodNotAllowed", "method not allowed"),
    }
}
