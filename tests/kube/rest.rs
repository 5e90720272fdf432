//! Resource verbs: GET, LIST, WATCH, POST, PUT, PATCH (apply, merge, strategic as merge) and
//! DELETE, with dry runs, metav1.Status errors and the `/status` subresource. Writes keep
//! `metadata.deletionTimestamp` as the server set it, refuse new finalizers on an object being
//! deleted, and honour a `metadata.resourceVersion` in the body as a precondition.

use serde_json::{Value, json};

use super::apply;
use super::discovery::ResourceType;
use super::http::{Request, Response};
use super::patch as patches;
use super::select::Selector;
use super::server::{Shared, status};
use super::store::{Inner, Key, finalizers, terminating};

/// What a resource path names.
pub struct Target<'a> {
    pub rt: &'a ResourceType,
    pub version: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    pub subresource: Option<&'a str>,
}

impl Target<'_> {
    pub fn key(&self, name: &str) -> Key {
        Key::new(
            &self.rt.group,
            &self.rt.plural,
            self.namespace.unwrap_or(""),
            name,
        )
    }
    pub fn gv(&self) -> String {
        self.rt.group_version(self.version)
    }
    pub fn resource(&self) -> String {
        if self.rt.group.is_empty() {
            self.rt.plural.clone()
        } else {
            format!("{}.{}", self.rt.plural, self.rt.group)
        }
    }
    /// The object as served at this version.
    pub fn present(&self, mut obj: Value) -> Value {
        obj["apiVersion"] = json!(self.gv());
        obj["kind"] = json!(self.rt.kind);
        obj
    }
    pub fn not_found(&self, name: &str) -> Response {
        let mut s = status(
            404,
            "NotFound",
            &format!("{} \"{name}\" not found", self.resource()),
        );
        s["details"] = json!({"name": name, "group": self.rt.group, "kind": self.rt.plural});
        Response::json(404, &s)
    }
}

pub fn error(code: u16, reason: &str, message: &str) -> Response {
    Response::json(code, &status(code, reason, message))
}

pub fn selectors(req: &Request) -> Result<(Selector, Selector), Response> {
    let parse = |p: &str| {
        Selector::parse(req.param(p).unwrap_or("")).map_err(|e| error(400, "BadRequest", &e))
    };
    Ok((parse("labelSelector")?, parse("fieldSelector")?))
}

pub fn serve(shared: &Shared, req: &Request, t: &Target) -> Response {
    if t.rt.namespaced && t.namespace.is_none() && t.name.is_some() {
        return error(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    match (t.subresource, t.name) {
        (None, _) => {}
        (Some("status"), Some(_)) if t.rt.status => {}
        (Some("scale"), Some(name)) if super::scale::scalable(t.rt) => {
            return super::scale::serve(shared, req, t, name);
        }
        _ => {
            return error(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    }
    let watching = matches!(req.param("watch"), Some("true" | "1"));
    match (req.method.as_str(), t.name) {
        ("GET", _) if watching => super::watch::serve(shared, req, t),
        ("GET", None) => list(shared, req, t),
        ("GET", Some(name)) => match shared.store.lock().get(&t.key(name)) {
            Some(obj) => Response::json(200, &t.present(obj.clone())),
            None => t.not_found(name),
        },
        ("POST", None) => create(shared, req, t),
        ("PUT", Some(name)) => update(shared, req, t, name),
        ("PATCH", Some(name)) => patch(shared, req, t, name),
        ("DELETE", Some(name)) => super::delete::delete(shared, req, t, name),
        ("DELETE", None) => super::delete::delete_collection(shared, req, t),
        _ => error(
            405,
            "MethodNotAllowed",
            &format!("{} is not supported here", req.method),
        ),
    }
}

pub fn matching(t: &Target, obj: &Value, labels: &Selector, fields: &Selector) -> bool {
    labels.matches(&obj["metadata"]["labels"])
        && fields.matches_fields(obj)
        && t.namespace
            .is_none_or(|ns| obj["metadata"]["namespace"] == ns)
}

fn list(shared: &Shared, req: &Request, t: &Target) -> Response {
    let (labels, fields) = match selectors(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Pagination: `limit`, and `continue` = the opaque token of the previous page (here the
    // offset; a real server's token also pins the resourceVersion).
    let limit = req.param("limit").and_then(|l| l.parse::<usize>().ok());
    let offset = match req.param("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => match c.strip_prefix("hms-test-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return error(400, "BadRequest", "invalid continue token"),
        },
    };
    let store = shared.store.lock();
    let all: Vec<Value> = store
        .list(&t.rt.group, &t.rt.plural, t.namespace)
        .into_iter()
        .filter(|o| matching(t, o, &labels, &fields))
        .collect();
    let total = all.len();
    let end = limit
        .filter(|l| *l > 0)
        .map_or(total, |l| (offset + l).min(total));
    let items: Vec<Value> = all
        .into_iter()
        .skip(offset)
        .take(end.saturating_sub(offset))
        .map(|o| t.present(o))
        .collect();
    let mut metadata = json!({"resourceVersion": store.resource_version().to_string()});
    if end < total {
        metadata["continue"] = json!(format!("hms-test-{end}"));
        metadata["remainingItemCount"] = json!(total - end);
    }
    Response::json(
        200,
        &json!({
            "kind": format!("{}List", t.rt.kind),
            "apiVersion": t.gv(),
            "metadata": metadata,
            "items": items,
        }),
    )
}

pub fn parse_body(req: &Request) -> Result<Value, Response> {
    let text = String::from_utf8_lossy(&req.body);
    let value: Result<Value, String> = serde_json::from_str(&text)
        .or_else(|_| serde_yaml_ng::from_str(&text).map_err(|e| e.to_string()));
    match value {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(error(400, "BadRequest", "the body must be an object")),
        Err(e) => Err(error(
            400,
            "BadRequest",
            &format!("the body could not be decoded: {e}"),
        )),
    }
}

pub fn dry_run(req: &Request) -> bool {
    req.param("dryRun").is_some_and(|v| v == "All")
}

/// The manager of a non-apply write: `fieldManager`, else the client's name from User-Agent.
pub fn manager(req: &Request) -> String {
    req.param("fieldManager")
        .map(String::from)
        .unwrap_or_else(|| {
            let ua = req.header("User-Agent").unwrap_or("unknown");
            ua.split('/').next().unwrap_or("unknown").to_string()
        })
}

/// Namespaced objects need their namespace, and one that is not being deleted.
fn namespace_missing(store: &Inner, t: &Target) -> Option<Response> {
    let ns = t.namespace?;
    if !t.rt.namespaced {
        return None;
    }
    match store.get(&Key::new("", "namespaces", "", ns)) {
        Some(n) if terminating(n) => {
            let msg = format!(
                "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                t.resource(),
                t.name.unwrap_or("")
            );
            let mut s = status(403, "Forbidden", &msg);
            s["details"] = json!({"name": t.name.unwrap_or(""), "group": t.rt.group, "kind": t.rt.plural,
                "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]});
            Some(Response::json(403, &s))
        }
        Some(_) => None,
        None => {
            let mut s = status(404, "NotFound", &format!("namespaces \"{ns}\" not found"));
            s["details"] = json!({"name": ns, "kind": "namespaces"});
            Some(Response::json(404, &s))
        }
    }
}

/// The 409 of a write whose `metadata.resourceVersion` is not the stored one.
fn stale(t: &Target, name: &str) -> Response {
    let msg = format!(
        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
        t.resource()
    );
    let mut s = status(409, "Conflict", &msg);
    s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.plural});
    Response::json(409, &s)
}

/// What every write must respect, as the API server's metadata rules: `deletionTimestamp` and
/// `deletionGracePeriodSeconds` are the server's (a client's value is ignored), and an object
/// being deleted takes no new finalizers (422).
fn guard(t: &Target, old: Option<&Value>, new: &mut Value) -> Result<(), Response> {
    let empty = json!({});
    let old = old.unwrap_or(&empty);
    for field in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
        match old["metadata"].get(field) {
            Some(v) => new["metadata"][field] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    if terminating(old) {
        let before = finalizers(old);
        let added: Vec<String> = finalizers(new)
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        if !added.is_empty() {
            let name = old["metadata"]["name"].as_str().unwrap_or("");
            let list = added
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            let detail = format!(
                "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{list}}}"
            );
            let mut s = status(
                422,
                "Invalid",
                &format!(
                    "{} \"{name}\" is invalid: metadata.finalizers: {detail}",
                    t.rt.kind
                ),
            );
            s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.kind,
                "causes": [{"reason": "FieldValueForbidden", "message": detail, "field": "metadata.finalizers"}]});
            return Err(Response::json(422, &s));
        }
    }
    Ok(())
}

/// Stores `obj` unless this is a dry run, where the would-be object is returned. A CRD stored
/// gets its status (`crds.rs`).
fn write(
    shared: &Shared,
    store: &mut Inner,
    req: &Request,
    t: &Target,
    key: &Key,
    mut obj: Value,
) -> Value {
    if dry_run(req) {
        t.present(store.preview(key, obj))
    } else {
        if super::crds::is_crd(t.rt) {
            super::crds::on_write(shared, key, &mut obj);
        }
        t.present(store.put(key, obj))
    }
}

fn create(shared: &Shared, req: &Request, t: &Target) -> Response {
    let mut obj = match parse_body(req) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut store = shared.store.lock();
    if let Some(r) = namespace_missing(&store, t) {
        return r;
    }
    let name = match (
        obj["metadata"]["name"].as_str(),
        obj["metadata"]["generateName"].as_str(),
    ) {
        (Some(n), _) => n.to_string(),
        (None, Some(prefix)) => format!("{prefix}{:05x}", store.resource_version() + 1),
        _ => {
            return error(
                422,
                "Invalid",
                "metadata.name: Required value: name or generateName is required",
            );
        }
    };
    let key = t.key(&name);
    if store.get(&key).is_some() {
        let mut s = status(
            409,
            "AlreadyExists",
            &format!("{} \"{name}\" already exists", t.resource()),
        );
        s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.plural});
        return Response::json(409, &s);
    }
    obj = t.present(obj);
    if t.rt.status
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    if let Err(r) = guard(t, None, &mut obj) {
        return r;
    }
    apply::record_update(None, &mut obj, &manager(req), &t.gv(), "");
    Response::json(201, &write(shared, &mut store, req, t, &key, obj))
}

/// `new` replaces `old`, keeping what the path may not change: with a status subresource, the
/// main endpoint keeps the status and `/status` changes only the status; without one, everything
/// is the main endpoint's.
fn combine(t: &Target, old: &Value, mut new: Value) -> Value {
    if t.subresource == Some("status") {
        let mut out = old.clone();
        out["status"] = new["status"].take();
        if new["metadata"].get("managedFields").is_some() {
            out["metadata"]["managedFields"] = new["metadata"]["managedFields"].take();
        }
        out
    } else if !t.rt.status {
        new
    } else {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        new
    }
}

fn update(shared: &Shared, req: &Request, t: &Target, name: &str) -> Response {
    let obj = match parse_body(req) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut store = shared.store.lock();
    let key = t.key(name);
    let Some(old) = store.get(&key).cloned() else {
        return t.not_found(name);
    };
    if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
        && Some(rv) != old["metadata"]["resourceVersion"].as_str()
    {
        return stale(t, name);
    }
    let mut new = t.present(combine(t, &old, obj));
    if let Err(r) = guard(t, Some(&old), &mut new) {
        return r;
    }
    new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    apply::record_update(
        Some(&old),
        &mut new,
        &manager(req),
        &t.gv(),
        t.subresource.unwrap_or(""),
    );
    Response::json(200, &write(shared, &mut store, req, t, &key, new))
}

fn patch(shared: &Shared, req: &Request, t: &Target, name: &str) -> Response {
    let json_patch = req
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("application/json-patch+json"));
    let body = match json_patch {
        true => match serde_json::from_slice::<Value>(&req.body) {
            Ok(v) => v,
            Err(e) => return error(400, "BadRequest", &format!("invalid JSON patch: {e}")),
        },
        false => match parse_body(req) {
            Ok(v) => v,
            Err(r) => return r,
        },
    };
    let content_type = req
        .header("Content-Type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let mut store = shared.store.lock();
    let key = t.key(name);
    let old = store.get(&key).cloned();
    let new = match content_type {
        "application/apply-patch+yaml" => {
            let Some(manager) = req.param("fieldManager").filter(|m| !m.is_empty()) else {
                return error(
                    400,
                    "BadRequest",
                    "PATCH, either fieldManager must be set or the user agent must be set for apply patches",
                );
            };
            if old.is_none()
                && let Some(r) = namespace_missing(&store, t)
            {
                return r;
            }
            if body["metadata"]["name"].as_str().is_some_and(|n| n != name) {
                return error(
                    400,
                    "BadRequest",
                    "the name of the object in the body does not match the name in the URL",
                );
            }
            let force = req.param("force").is_some_and(|f| f == "true");
            let mut applied = body;
            if t.rt.status
                && t.subresource != Some("status")
                && let Some(m) = applied.as_object_mut()
            {
                m.remove("status");
            }
            // A resourceVersion in the applied object is a precondition, as for any update.
            if let (Some(old), Some(rv)) = (&old, applied["metadata"]["resourceVersion"].as_str())
                && Some(rv) != old["metadata"]["resourceVersion"].as_str()
            {
                return stale(t, name);
            }
            let sub = t.subresource.unwrap_or("");
            match apply::apply(old.as_ref(), &applied, manager, &t.gv(), sub, force) {
                Ok(obj) => match &old {
                    Some(old) => combine(t, old, obj),
                    None => obj,
                },
                Err(conflicts) => return conflict(conflicts),
            }
        }
        "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/json-patch+json" => {
            let Some(old) = old.clone() else {
                return t.not_found(name);
            };
            let mut new = old.clone();
            match content_type {
                "application/merge-patch+json" => patches::merge_patch(&mut new, &body),
                "application/strategic-merge-patch+json" => {
                    patches::strategic_merge(&mut new, &body)
                }
                _ => {
                    if let Err(e) = patches::json_patch(&mut new, &body) {
                        return error(422, "Invalid", &e);
                    }
                }
            }
            // A resourceVersion the patch sets is a precondition (kube-lease-manager's and
            // client-go's optimistic locking through a patch).
            if let Some(rv) = new["metadata"]["resourceVersion"].as_str()
                && !rv.is_empty()
                && Some(rv) != old["metadata"]["resourceVersion"].as_str()
            {
                return stale(t, name);
            }
            let mut new = combine(t, &old, new);
            apply::record_update(
                Some(&old),
                &mut new,
                &manager(req),
                &t.gv(),
                t.subresource.unwrap_or(""),
            );
            new
        }
        other => {
            return error(
                415,
                "UnsupportedMediaType",
                &format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"
                ),
            );
        }
    };
    let created = old.is_none();
    let mut new = t.present(new);
    if let Err(r) = guard(t, old.as_ref(), &mut new) {
        return r;
    }
    let obj = write(shared, &mut store, req, t, &key, new);
    Response::json(if created { 201 } else { 200 }, &obj)
}

fn with_subresource(c: &apply::Conflict) -> String {
    match c.subresource.as_str() {
        "" => String::new(),
        s => format!(" with subresource \"{s}\""),
    }
}

fn conflict(conflicts: Vec<apply::Conflict>) -> Response {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            json!({
                "type": "FieldManagerConflict",
                "message": format!("conflict with \"{}\"{} using {}", c.manager, with_subresource(c), c.api_version),
                "field": c.field,
            })
        })
        .collect();
    let list: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "- conflict with \"{}\"{} using {}: {}",
                c.manager,
                with_subresource(c),
                c.api_version,
                c.field
            )
        })
        .collect();
    let n = conflicts.len();
    let message = format!(
        "Apply failed with {n} conflict{}: {}",
        if n == 1 { "" } else { "s" },
        list.join("\n").trim_start_matches("- ")
    );
    let mut s = status(409, "Conflict", &message);
    s["details"] = json!({"causes": causes});
    Response::json(409, &s)
}
