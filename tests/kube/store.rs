//! The object store: one global resourceVersion counter, uids, generations, the event history
//! that WATCH replays from, and the subscribers (watch streams, controllers) told of each change.
//! Finalizers: an object being deleted (`metadata.deletionTimestamp`) goes once a write leaves it
//! without finalizers, and a terminating namespace once it is empty.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Where an object lives: group and plural (every version shares storage), namespace ("" for
/// cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(group: &str, plural: &str, namespace: &str, name: &str) -> Key {
        Key {
            group: group.into(),
            plural: plural.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// One change, as WATCH reports it.
#[derive(Debug, Clone)]
pub struct Event {
    /// ADDED, MODIFIED or DELETED.
    pub kind: &'static str,
    pub rv: u64,
    pub key: Key,
    pub object: Value,
    /// The object before a MODIFIED change (watchers with selectors need both sides).
    pub old: Option<Value>,
}

type Subscriber = Box<dyn FnMut(&Event) -> bool + Send>;

#[derive(Default)]
pub struct Inner {
    rv: u64,
    uid: u64,
    objects: BTreeMap<Key, Value>,
    history: Vec<Event>,
    subscribers: Vec<Subscriber>,
}

#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The spec-like part of an object: everything but metadata and (unless it is an ordinary field
/// of the kind) status.
fn content(obj: &Value, status_is_spec: bool) -> Value {
    let mut c = obj.clone();
    if let Some(m) = c.as_object_mut() {
        for k in ["metadata", "apiVersion", "kind"] {
            m.remove(k);
        }
        if !status_is_spec {
            m.remove("status");
        }
    }
    c
}

/// `metadata.finalizers`, as strings.
pub fn finalizers(obj: &Value) -> Vec<String> {
    obj["metadata"]["finalizers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the object is being deleted (has a `metadata.deletionTimestamp`).
pub fn terminating(obj: &Value) -> bool {
    obj["metadata"]["deletionTimestamp"].is_string()
}

fn is_namespace(key: &Key) -> bool {
    key.group.is_empty() && key.plural == "namespaces"
}

/// An object without what the server stamps, for no-op detection.
fn comparable(obj: &Value, key: &Key) -> Value {
    let mut c = obj.clone();
    if let Some(m) = c["metadata"].as_object_mut() {
        for k in ["resourceVersion", "generation", "uid", "creationTimestamp"] {
            m.remove(k);
        }
        m.insert("name".into(), json!(key.name));
        if !key.namespace.is_empty() {
            m.insert("namespace".into(), json!(key.namespace));
        }
        if let Some(Value::Array(entries)) = m.get_mut("managedFields") {
            for e in entries {
                e["time"] = Value::Null;
            }
        }
    }
    c
}

impl Inner {
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.objects.get(key)
    }

    /// Objects of one resource, in one namespace or all (`None`), sorted by namespace and name.
    pub fn list(&self, group: &str, plural: &str, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(k, _)| k.group == group && k.plural == plural)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Keys of every object in a namespace.
    pub fn keys_in_namespace(&self, namespace: &str) -> Vec<Key> {
        self.objects
            .keys()
            .filter(|k| k.namespace == namespace)
            .cloned()
            .collect()
    }

    /// Writes `obj` (creating or replacing), stamping resourceVersion, uid, creationTimestamp and
    /// generation; tells the subscribers. Returns the stored object.
    /// Like the API server, a write that changes nothing (managedFields times aside) is a no-op:
    /// no new resourceVersion, no event. A write that leaves an object being deleted without
    /// finalizers deletes it instead (one DELETED event carrying the written object), as the API
    /// server does within the update.
    pub fn put(&mut self, key: &Key, obj: Value) -> Value {
        if let Some(old) = self.objects.get(key)
            && comparable(old, key) == comparable(&obj, key)
        {
            return old.clone();
        }
        self.rv += 1;
        let previous = self.objects.get(key).cloned();
        let kind = if previous.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        let obj = self.stamp(key, obj, previous.as_ref(), self.rv);
        if previous.is_none() {
            self.uid += 1;
        }
        if previous.is_some()
            && !is_namespace(key)
            && terminating(&obj)
            && finalizers(&obj).is_empty()
        {
            self.objects.remove(key);
            self.emit("DELETED", key, obj.clone(), None);
            self.namespace_emptied(key);
            return obj;
        }
        self.objects.insert(key.clone(), obj.clone());
        self.emit(kind, key, obj.clone(), previous);
        obj
    }

    /// Marks an object as being deleted, as the API server does for one with finalizers:
    /// `deletionTimestamp` now, `deletionGracePeriodSeconds: 0`, the generation bumped (in
    /// `stamp`). One already being deleted is left as it is. Returns the stored object.
    pub fn mark_deleting(&mut self, key: &Key) -> Option<Value> {
        let mut obj = self.objects.get(key)?.clone();
        if terminating(&obj) {
            return Some(obj);
        }
        obj["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
        obj["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        Some(self.put(key, obj))
    }

    /// After an object left a namespace: a terminating namespace that is now empty goes too.
    fn namespace_emptied(&mut self, key: &Key) {
        if key.namespace.is_empty() {
            return;
        }
        let ns = Key::new("", "namespaces", "", &key.namespace);
        let doomed = self.objects.get(&ns).is_some_and(terminating);
        if doomed && self.keys_in_namespace(&key.namespace).is_empty() {
            self.delete(&ns);
        }
    }

    /// Whether `.status` is an ordinary field of the kind (a CRD stored here that declares no
    /// status subresource), so that changing it bumps the generation.
    fn status_is_spec(&self, key: &Key) -> bool {
        if key.group.is_empty() || !key.group.contains('.') {
            return false;
        }
        let crd = Key::new(
            super::crds::GROUP,
            super::crds::PLURAL,
            "",
            &format!("{}.{}", key.plural, key.group),
        );
        self.objects
            .get(&crd)
            .is_some_and(|crd| !super::discovery::has_status_subresource(crd))
    }

    /// What a dry run of `put` would store: the same stamps, nothing written. A new object gets
    /// no resourceVersion (`""`).
    pub fn preview(&self, key: &Key, obj: Value) -> Value {
        let old = self.objects.get(key);
        if let Some(old) = old
            && comparable(old, key) == comparable(&obj, key)
        {
            return old.clone();
        }
        let rv = old.and(Some(self.rv + 1));
        let mut out = self.stamp(key, obj, old, rv.unwrap_or(0));
        if rv.is_none() {
            out["metadata"]["resourceVersion"] = json!("");
        }
        out
    }

    fn stamp(&self, key: &Key, mut obj: Value, old: Option<&Value>, rv: u64) -> Value {
        let meta = &mut obj["metadata"];
        if !meta.is_object() {
            *meta = json!({});
        }
        meta["name"] = json!(key.name);
        if !key.namespace.is_empty() {
            meta["namespace"] = json!(key.namespace);
        }
        meta["resourceVersion"] = json!(rv.to_string());
        match old {
            Some(old) => {
                meta["uid"] = old["metadata"]["uid"].clone();
                meta["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
                let generation = old["metadata"]["generation"].as_u64().unwrap_or(1);
                let status_is_spec = self.status_is_spec(key);
                // Marking an object for deletion bumps its generation too (the API server's
                // markAsDeleting), so controllers waiting on observedGeneration see it.
                let changed = content(old, status_is_spec) != content(&obj, status_is_spec)
                    || (!terminating(old) && terminating(&obj));
                obj["metadata"]["generation"] = json!(generation + u64::from(changed));
            }
            None => {
                meta["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uid + 1));
                meta["creationTimestamp"] = json!(now_rfc3339());
                meta["generation"] = json!(1);
            }
        }
        obj
    }

    /// Removes an object; returns it as it was (with a fresh resourceVersion, like the API server).
    pub fn delete(&mut self, key: &Key) -> Option<Value> {
        let mut obj = self.objects.remove(key)?;
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.emit("DELETED", key, obj.clone(), None);
        self.namespace_emptied(key);
        Some(obj)
    }

    fn emit(&mut self, kind: &'static str, key: &Key, object: Value, old: Option<Value>) {
        let event = Event {
            kind,
            rv: self.rv,
            key: key.clone(),
            object,
            old,
        };
        self.subscribers.retain_mut(|s| s(&event));
        self.history.push(event);
    }

    /// Replays every event after `since` (all history when `None`) to `f`, then keeps calling it
    /// for new events until it returns false.
    pub fn subscribe(
        &mut self,
        since: Option<u64>,
        mut f: impl FnMut(&Event) -> bool + Send + 'static,
    ) {
        let since = since.unwrap_or(0);
        for e in self.history.iter().filter(|e| e.rv > since) {
            if !f(e) {
                return;
            }
        }
        self.subscribers.push(Box::new(f));
    }

    /// Drops every subscriber (the server is shutting down; watch streams end).
    pub fn close(&mut self) {
        self.subscribers.clear();
    }
}

/// The current time as RFC 3339 UTC with second precision (`2026-01-01T00:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
