//! Drift: the objects of every set, watched per kind, and what a foreign writer changed in them.
//!
//! A field is drifted when the live object no longer holds the value hms-sys applied there and
//! hms-sys no longer owns it in `managedFields` (another manager's write took it, or it was
//! removed). A difference in a field hms-sys still owns is the API server's normalisation (a
//! quantity, a default), not a foreign change, and is left alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::GroupVersionKind;
use kube::runtime::reflector::{self, ObjectRef as StoreRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::applyset::LABEL_PART_OF;
use crate::{FIELD_MANAGER, ObjectRef};

/// The watches of the kinds the sets hold, and which SysSpec each set id belongs to.
#[derive(Clone)]
pub struct Watches {
    client: Client,
    inner: Arc<Mutex<Inner>>,
    /// Reconcile this SysSpec (by name): one of its objects changed.
    trigger: mpsc::UnboundedSender<String>,
}

#[derive(Default)]
struct Inner {
    kinds: HashMap<(String, String), Watched>,
    /// Set id -> SysSpec name.
    owners: HashMap<String, String>,
}

/// One watched kind: the objects of every set, as last seen.
#[derive(Clone)]
pub struct Watched {
    store: Store<DynamicObject>,
    resource: kube::api::ApiResource,
}

impl Watches {
    pub fn new(client: Client, trigger: mpsc::UnboundedSender<String>) -> Watches {
        Watches {
            client,
            inner: Arc::default(),
            trigger,
        }
    }

    /// Records that set `id` belongs to SysSpec `name`.
    pub fn own(&self, id: &str, name: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.owners.insert(id.to_string(), name.to_string());
    }

    /// Forgets set `id` (its SysSpec is gone).
    pub fn disown(&self, id: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.owners.remove(id);
    }

    /// Watches the kind of `r` (every object with a `part-of` label, cluster-wide) unless it is
    /// watched already; waits (at most `wait`) until its first list is in. `None` when the
    /// cluster does not serve the kind or the first list is not in yet (drift unknown).
    pub async fn ensure(&self, r: &ObjectRef, wait: Duration) -> Option<Watched> {
        let key = (r.group.clone(), r.kind.clone());
        let existing = {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.kinds.get(&key).cloned()
        };
        let watched = match existing {
            Some(w) => w,
            None => {
                let gvk = GroupVersionKind::gvk(&r.group, &r.version, &r.kind);
                let (resource, _) = kube::discovery::pinned_kind(&self.client, &gvk)
                    .await
                    .ok()?;
                let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
                let writer = reflector::store::Writer::new(resource.clone());
                let store = writer.as_reader();
                let config = watcher::Config::default().labels(LABEL_PART_OF);
                let stream = reflector::reflector(writer, watcher(api, config));
                let inner = self.inner.clone();
                let trigger = self.trigger.clone();
                let mut inner_guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(w) = inner_guard.kinds.get(&key) {
                    // Another reconcile started this watch meanwhile.
                    w.clone()
                } else {
                    tokio::spawn(async move {
                        let mut stream = std::pin::pin!(stream);
                        let mut retry = Duration::from_millis(100);
                        while let Some(event) = stream.next().await {
                            let obj = match event {
                                Ok(watcher::Event::Apply(o) | watcher::Event::Delete(o)) => o,
                                Ok(_) => {
                                    retry = Duration::from_millis(100);
                                    continue;
                                }
                                Err(e) => {
                                    tracing::debug!(error = %e, "watch failed; retrying");
                                    tokio::time::sleep(retry).await;
                                    retry = (retry * 2).min(Duration::from_secs(5));
                                    continue;
                                }
                            };
                            let labels = obj.labels();
                            let Some(id) = labels.get(LABEL_PART_OF) else {
                                continue;
                            };
                            let owner = inner
                                .lock()
                                .ok()
                                .and_then(|i| i.owners.get(id.as_str()).cloned());
                            if let Some(name) = owner {
                                let _ = trigger.send(name);
                            }
                        }
                    });
                    let w = Watched { store, resource };
                    inner_guard.kinds.insert(key, w.clone());
                    w
                }
            }
        };
        let ready = tokio::time::timeout(wait, watched.store.wait_until_ready()).await;
        matches!(ready, Ok(Ok(()))).then_some(watched)
    }
}

/// One drifted field: where, what hms-sys applied, what is live and who changed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub object: ObjectRef,
    /// `spec.replicas`, `spec.template.spec.containers[name=audit].image`; empty when the
    /// object itself is gone.
    pub field: String,
    pub want: Value,
    pub live: Option<Value>,
    /// The managers that own the field now (from `managedFields`), or the latest other writer
    /// when nobody does (the field was removed).
    pub by: Vec<String>,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by = if self.by.is_empty() {
            "an unknown writer".to_string()
        } else {
            self.by.join(", ")
        };
        if self.field.is_empty() {
            return write!(f, "{} was deleted; recreated", self.object);
        }
        let want = short(&self.want);
        match &self.live {
            Some(live) => write!(
                f,
                "{}: {} was changed to {} by {by}; reverted to {want}",
                self.object,
                self.field,
                short(live)
            ),
            None => write!(
                f,
                "{}: {} was removed by {by}; restored to {want}",
                self.object, self.field
            ),
        }
    }
}

fn short(v: &Value) -> String {
    super::cut(&v.to_string(), 80)
}

/// What drifted in `live` from `desired` (the rendered object, as applied).
pub fn drift(r: &ObjectRef, desired: &Value, live: Option<&Value>) -> Vec<Drift> {
    let Some(live) = live else {
        return vec![Drift {
            object: r.clone(),
            field: String::new(),
            want: Value::Null,
            live: None,
            by: Vec::new(),
        }];
    };
    let managed = managers(live);
    let mut diffs = Vec::new();
    let mut path = Vec::new();
    compare(desired, Some(live), &mut path, &mut diffs, true);
    diffs
        .into_iter()
        .filter_map(|(path, want, got)| {
            let owners: Vec<&Manager> = managed.iter().filter(|m| m.owns(&path)).collect();
            if owners.iter().any(|m| m.name == FIELD_MANAGER) {
                // Still ours: the server normalised the value.
                return None;
            }
            let mut by: Vec<String> = owners.iter().map(|m| m.label()).collect();
            if by.is_empty()
                && let Some(last) = managed
                    .iter()
                    .filter(|m| m.name != FIELD_MANAGER && m.subresource.is_empty())
                    .max_by(|a, b| a.time.cmp(&b.time))
            {
                by.push(last.label());
            }
            by.sort();
            by.dedup();
            Some(Drift {
                object: r.clone(),
                field: render_path(&path),
                want,
                live: got,
                by,
            })
        })
        .collect()
}

/// One step into an object: a field, or a list item by its key field and value, or by index
/// (an atomic list's item).
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Keyed(String, Value),
    Index(usize),
}

const LIST_KEYS: [&str; 4] = ["name", "type", "mountPath", "containerPort"];

fn list_key(items: &[Value]) -> Option<&'static str> {
    if items.is_empty() || !items.iter().all(Value::is_object) {
        return None;
    }
    LIST_KEYS
        .into_iter()
        .find(|k| items.iter().all(|i| i[*k].is_string() || i[*k].is_number()))
}

type Diff = (Vec<Step>, Value, Option<Value>);

/// Every leaf of `want` that `got` does not hold (fields `got` has beyond `want` are the
/// server's and other managers': not compared).
fn compare(
    want: &Value,
    got: Option<&Value>,
    path: &mut Vec<Step>,
    out: &mut Vec<Diff>,
    top: bool,
) {
    match (want, got) {
        (Value::Object(w), Some(Value::Object(g))) => {
            for (k, wv) in w {
                if top && matches!(k.as_str(), "status" | "apiVersion" | "kind") {
                    continue;
                }
                if top && k == "metadata" {
                    for part in ["labels", "annotations"] {
                        if let Some(wm) = wv.get(part) {
                            path.push(Step::Field("metadata".into()));
                            path.push(Step::Field(part.into()));
                            compare(
                                wm,
                                g.get("metadata").and_then(|m| m.get(part)),
                                path,
                                out,
                                false,
                            );
                            path.pop();
                            path.pop();
                        }
                    }
                    continue;
                }
                path.push(Step::Field(k.clone()));
                compare(wv, g.get(k), path, out, false);
                path.pop();
            }
        }
        (Value::Array(w), Some(Value::Array(g))) => match list_key(w) {
            Some(key) => {
                for item in w {
                    let kv = &item[key];
                    let live = g.iter().find(|i| &i[key] == kv);
                    path.push(Step::Keyed(key.to_string(), kv.clone()));
                    compare(item, live, path, out, false);
                    path.pop();
                }
            }
            None if w.len() == g.len() => {
                for (n, (wi, gi)) in w.iter().zip(g).enumerate() {
                    path.push(Step::Index(n));
                    compare(wi, Some(gi), path, out, false);
                    path.pop();
                }
            }
            None => out.push((path.clone(), want.clone(), got.cloned())),
        },
        (Value::Number(w), Some(Value::Number(g))) if w.as_f64() == g.as_f64() => {}
        (w, Some(g)) if w == g => {}
        (Value::Object(_) | Value::Array(_), None) if is_empty(want) => {}
        _ => out.push((path.clone(), want.clone(), got.cloned())),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn render_path(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Field(f) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(f);
            }
            Step::Keyed(k, v) => {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                s.push_str(&format!("[{k}={v}]"));
            }
            Step::Index(n) => s.push_str(&format!("[{n}]")),
        }
    }
    s
}

/// One `managedFields` entry.
struct Manager {
    name: String,
    operation: String,
    subresource: String,
    time: String,
    fields: Value,
}

impl Manager {
    fn label(&self) -> String {
        if self.operation.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.operation)
        }
    }

    /// Whether this manager's field set holds `path` (or an atomic list above it).
    fn owns(&self, path: &[Step]) -> bool {
        let mut node = &self.fields;
        for (n, step) in path.iter().enumerate() {
            let next = match step {
                Step::Field(f) => node.get(format!("f:{f}")),
                Step::Keyed(k, v) => node.as_object().and_then(|m| keyed(m, k, v)),
                // An atomic list is owned as a whole: its field is the leaf.
                Step::Index(_) => return n > 0,
            };
            match next {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    }
}

/// The `k:{...}` entry of a field set whose key `k` has value `v`.
fn keyed<'a>(set: &'a Map<String, Value>, k: &str, v: &Value) -> Option<&'a Value> {
    set.iter().find_map(|(name, sub)| {
        let key: Value = serde_json::from_str(name.strip_prefix("k:")?).ok()?;
        let same = match (&key[k], v) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        };
        same.then_some(sub)
    })
}

fn managers(live: &Value) -> Vec<Manager> {
    let s = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| Manager {
                    name: s(e, "manager"),
                    operation: s(e, "operation"),
                    subresource: s(e, "subresource"),
                    time: s(e, "time"),
                    fields: e.get("fieldsV1").cloned().unwrap_or(Value::Null),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Watched {
    /// The live object of `r`, as the watch last saw it, as JSON.
    pub fn live(&self, r: &ObjectRef) -> Option<Value> {
        let mut key = StoreRef::new_with(&r.name, self.resource.clone());
        if !r.namespace.is_empty() {
            key = key.within(&r.namespace);
        }
        self.store
            .get(&key)
            .and_then(|o| serde_json::to_value(&*o).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r() -> ObjectRef {
        ObjectRef::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n"}})).expect("a reference")
    }

    #[test]
    fn a_field_another_manager_took_is_drift_and_names_it() {
        let desired = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"}}, "spec": {"replicas": 10, "template": {"spec": {"containers": [{"name": "audit", "image": "img:1"}]}}}});
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"}, "managedFields": [
            {"manager": "hms-sys", "operation": "Apply", "time": "2026-01-01T00:00:00Z", "fieldsV1": {"f:metadata": {"f:labels": {"f:x": {}}}, "f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"audit\"}": {"f:image": {}}}}}}}},
            {"manager": "kubectl-edit", "operation": "Update", "time": "2026-01-02T00:00:00Z", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
        ]}, "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "audit", "image": "img:1", "imagePullPolicy": "IfNotPresent"}]}}}, "status": {"replicas": 3}});
        let d = drift(&r(), &desired, Some(&live));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].field, "spec.replicas");
        assert_eq!(d[0].live, Some(json!(3)));
        assert_eq!(d[0].by, vec!["kubectl-edit (Update)".to_string()]);
        assert_eq!(
            d[0].to_string(),
            "Deployment.apps n/a: spec.replicas was changed to 3 by kubectl-edit (Update); reverted to 10"
        );
    }

    #[test]
    fn a_difference_in_a_field_we_still_own_is_normalisation_not_drift() {
        let desired = json!({"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "1024Gi"}}}});
        let live = json!({"kind": "PersistentVolumeClaim", "metadata": {"managedFields": [
            {"manager": "hms-sys", "operation": "Apply", "fieldsV1": {"f:spec": {"f:resources": {"f:requests": {"f:storage": {}}}}}}
        ]}, "spec": {"resources": {"requests": {"storage": "1Ti"}}}});
        assert!(drift(&r(), &desired, Some(&live)).is_empty());
    }

    #[test]
    fn a_keyed_list_item_changed_by_another_manager_is_drift() {
        let desired = json!({"spec": {"template": {"spec": {"containers": [{"name": "audit", "image": "img:1"}]}}}});
        let live = json!({"metadata": {"managedFields": [
            {"manager": "hms-sys", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"audit\"}": {"f:name": {}}}}}}}},
            {"manager": "kubectl", "operation": "Apply", "time": "t", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"audit\"}": {"f:image": {}}}}}}}}
        ]}, "spec": {"template": {"spec": {"containers": [{"name": "audit", "image": "evil:2"}]}}}});
        let d = drift(&r(), &desired, Some(&live));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].field,
            "spec.template.spec.containers[name=audit].image"
        );
        assert_eq!(d[0].by, vec!["kubectl (Apply)".to_string()]);
    }

    #[test]
    fn a_removed_field_and_a_deleted_object_are_drift() {
        let desired = json!({"metadata": {"labels": {"x": "1"}}});
        let live = json!({"metadata": {"labels": {}, "managedFields": [
            {"manager": "hms-sys", "operation": "Apply", "time": "1", "fieldsV1": {}},
            {"manager": "kubectl-label", "operation": "Update", "time": "2", "fieldsV1": {}}
        ]}});
        let d = drift(&r(), &desired, Some(&live));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field, "metadata.labels.x");
        assert_eq!(d[0].by, vec!["kubectl-label (Update)".to_string()]);
        let gone = drift(&r(), &desired, None);
        assert_eq!(
            gone[0].to_string(),
            "Deployment.apps n/a was deleted; recreated"
        );
    }

    #[test]
    fn server_additions_are_not_drift() {
        let desired = json!({"spec": {"ports": [{"port": 80}]}});
        let live =
            json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}], "clusterIP": "10.0.0.1"}});
        assert!(drift(&r(), &desired, Some(&live)).is_empty());
    }
}
