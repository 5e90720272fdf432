//! CustomResourceDefinitions written at run time: a stored CRD gets `acceptedNames` and the
//! `NamesAccepted` and `Established` conditions (at once, or `Established` only after
//! [`super::ServerConfig::crd_establish_delay`]), and once established its kind is served
//! (discovery and REST paths) until the CRD is deleted, which takes its objects with it.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde_json::{Value, json};

use super::discovery::{self, ResourceType};
use super::server::Shared;
use super::store::{Event, Inner, Key, now_rfc3339};

pub const GROUP: &str = "apiextensions.k8s.io";
pub const PLURAL: &str = "customresourcedefinitions";

pub fn is_crd(rt: &ResourceType) -> bool {
    rt.group == GROUP && rt.plural == PLURAL
}

fn condition(kind: &str, status: bool, reason: &str, message: &str) -> Value {
    json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "lastTransitionTime": now_rfc3339(),
    })
}

fn established(crd: &Value) -> bool {
    crd["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    })
}

/// Called before a CRD is stored (not for dry runs): one not yet established gets its status,
/// `Established=True` at once, or `False` (`Installing`) until the configured delay has passed.
pub fn on_write(shared: &Shared, key: &Key, crd: &mut Value) {
    let delay = shared.config.crd_establish_delay;
    let mut queue = shared
        .establishing
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if established(crd) || queue.iter().any(|(_, k)| k == key) {
        return;
    }
    let now = delay.is_zero();
    crd["status"] = json!({
        "acceptedNames": crd["spec"]["names"],
        "storedVersions": crd["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["storage"] == true)
            .map(|v| v["name"].clone())
            .collect::<Vec<_>>(),
        "conditions": [
            condition("NamesAccepted", true, "NoConflicts", "no conflicts found"),
            if now {
                condition("Established", true, "InitialNamesAccepted", "the initial names have been accepted")
            } else {
                condition("Established", false, "Installing", "the CRD is being installed")
            },
        ],
    });
    if !now {
        queue.push((Instant::now() + delay, key.clone()));
    }
}

/// Establishes the CRDs whose delay has passed (called on every request: a client polling the
/// CRD sees it established once the delay is over, with no thread of its own).
pub fn establish_due(shared: &Shared) {
    let due: Vec<Key> = {
        let mut queue = shared
            .establishing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let (due, later) = queue.drain(..).partition(|(at, _)| *at <= now);
        *queue = later;
        due.into_iter().map(|(_, k)| k).collect()
    };
    if due.is_empty() {
        return;
    }
    let mut store = shared.store.lock();
    for key in due {
        let Some(mut crd) = store.get(&key).cloned() else {
            continue;
        };
        let ok = condition(
            "Established",
            true,
            "InitialNamesAccepted",
            "the initial names have been accepted",
        );
        if let Some(conditions) = crd["status"]["conditions"].as_array_mut() {
            conditions.retain(|c| c["type"] != "Established");
            conditions.push(ok);
        }
        store.put(&key, crd);
    }
}

/// The store subscriber that serves the kind of an established CRD and stops serving the kind of
/// a deleted one. (CRDs loaded from files are served from the start, status or not.)
pub fn track(types: Arc<RwLock<Vec<ResourceType>>>) -> impl FnMut(&Event) -> bool + Send {
    move |e| {
        if e.key.group != GROUP || e.key.plural != PLURAL {
            return true;
        }
        let Some(rt) = discovery::from_crd(&e.object) else {
            return true;
        };
        let mut types = types.write().unwrap_or_else(|e| e.into_inner());
        let at = types
            .iter()
            .position(|t| t.group == rt.group && t.plural == rt.plural);
        match (e.kind, at) {
            ("DELETED", Some(i)) => {
                types.remove(i);
            }
            ("DELETED", None) => {}
            (_, at) if established(&e.object) => match at {
                Some(i) => types[i] = rt,
                None => types.push(rt),
            },
            _ => {}
        }
        true
    }
}

/// The objects of the kind a CRD defines (deleted with it).
pub fn objects_of(store: &Inner, crd: &Value) -> Vec<Key> {
    let spec = &crd["spec"];
    let (Some(group), Some(plural)) = (spec["group"].as_str(), spec["names"]["plural"].as_str())
    else {
        return Vec::new();
    };
    store
        .list(group, plural, None)
        .iter()
        .map(|o| {
            let s = |p: &str| o["metadata"][p].as_str().unwrap_or_default();
            Key::new(group, plural, s("namespace"), s("name"))
        })
        .collect()
}
