//! Simulated controllers, each acting `controller_delay` after a change: the Deployment
//! controller (pods Ready, status with observedGeneration and Available=True), PVC binding, and
//! node pools (Cluster API MachineDeployment, Karpenter NodePool) whose Nodes appear NotReady,
//! become Ready after `node_ready_delay`, and are counted into the pool's status.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::server::Shared;
use super::store::{Inner, Key, now_rfc3339};

/// Label on simulated Nodes naming their pool: `<group>.<plural>.<namespace>.<name>`.
pub const POOL_LABEL: &str = "test.hms.io/pool";

enum Task {
    Reconcile(Key),
    NodeReady(Key),
}

fn relevant(key: &Key) -> bool {
    matches!(
        (key.group.as_str(), key.plural.as_str()),
        ("apps", "deployments")
            | ("", "persistentvolumeclaims")
            | ("cluster.x-k8s.io", "machinedeployments")
            | ("karpenter.sh", "nodepools")
            | ("", "nodes")
    )
}

pub fn spawn(shared: Arc<Shared>) -> JoinHandle<()> {
    let (tx, rx) = mpsc::channel::<Key>();
    shared.store.lock().subscribe(None, move |e| {
        !relevant(&e.key) || tx.send(e.key.clone()).is_ok()
    });
    std::thread::spawn(move || {
        let delay = shared.config.controller_delay;
        let mut pending: Vec<(Instant, Task)> = Vec::new();
        while !shared.shutdown.load(Ordering::SeqCst) {
            let next = pending.iter().map(|(t, _)| *t).min();
            let wait = next.map_or(Duration::from_millis(200), |t| {
                t.saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(200))
            });
            match rx.recv_timeout(wait) {
                Ok(key) if key.plural == "nodes" => {
                    // A node changed: its pool recounts at once.
                    let store = shared.store.lock();
                    if let Some(pool) = store.get(&key).and_then(|n| {
                        n["metadata"]["labels"][POOL_LABEL]
                            .as_str()
                            .map(String::from)
                    }) {
                        let parts: Vec<&str> = pool.rsplitn(4, '.').collect();
                        if let [name, ns, plural, group] = parts.as_slice() {
                            pending.push((
                                Instant::now(),
                                Task::Reconcile(Key::new(group, plural, ns, name)),
                            ));
                        }
                    }
                }
                Ok(key) => pending.push((Instant::now() + delay, Task::Reconcile(key))),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let now = Instant::now();
            let (due, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(t, _)| *t <= now);
            pending = later;
            for (_, task) in due {
                let mut store = shared.store.lock();
                match task {
                    Task::NodeReady(node) => set_node_ready(&mut store, &node),
                    Task::Reconcile(key) => {
                        for node in reconcile(&mut store, &key) {
                            pending.push((
                                Instant::now() + shared.config.node_ready_delay,
                                Task::NodeReady(node),
                            ));
                        }
                    }
                }
            }
        }
    })
}

/// Writes `status` if it differs from the stored one.
fn set_status(store: &mut Inner, key: &Key, status: Value) {
    let Some(mut obj) = store.get(key).cloned() else {
        return;
    };
    if obj["status"] != status {
        obj["status"] = status;
        store.put(key, obj);
    }
}

fn condition(kind: &str, status: bool, reason: &str) -> Value {
    json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "reason": reason,
        "message": "",
        "lastTransitionTime": now_rfc3339(),
        "lastUpdateTime": now_rfc3339(),
    })
}

fn hash(v: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{:08x}", h as u32)
}

/// Reconciles one object; returns the nodes it created (they become Ready later).
fn reconcile(store: &mut Inner, key: &Key) -> Vec<Key> {
    let Some(obj) = store.get(key).cloned() else {
        if matches!(
            key.plural.as_str(),
            "machinedeployments" | "nodepools" | "deployments"
        ) {
            scale(store, key, &obj_stub(key), 0);
        }
        return Vec::new();
    };
    match key.plural.as_str() {
        "deployments" => {
            let replicas = obj["spec"]["replicas"].as_u64().unwrap_or(1);
            scale(store, key, &obj, replicas);
            let status = json!({
                "observedGeneration": obj["metadata"]["generation"],
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "conditions": [
                    condition("Available", true, "MinimumReplicasAvailable"),
                    condition("Progressing", true, "NewReplicaSetAvailable"),
                ],
            });
            if obj["status"]["observedGeneration"] != status["observedGeneration"]
                || obj["status"]["readyReplicas"] != status["readyReplicas"]
            {
                set_status(store, key, status);
            }
            Vec::new()
        }
        "persistentvolumeclaims" => {
            if obj["status"]["phase"] != "Bound" {
                let status = json!({
                    "phase": "Bound",
                    "accessModes": obj["spec"]["accessModes"],
                    "capacity": {"storage": obj["spec"]["resources"]["requests"]["storage"]},
                });
                set_status(store, key, status);
            }
            Vec::new()
        }
        "machinedeployments" | "nodepools" => node_pool(store, key, &obj),
        _ => Vec::new(),
    }
}

fn obj_stub(key: &Key) -> Value {
    json!({"metadata": {"name": key.name, "namespace": key.namespace}})
}

fn pool_id(key: &Key) -> String {
    format!(
        "{}.{}.{}.{}",
        key.group, key.plural, key.namespace, key.name
    )
}

/// Pods of a Deployment, or Nodes of a pool, brought to `n`; returns the nodes created.
fn scale(store: &mut Inner, key: &Key, obj: &Value, n: u64) -> Vec<Key> {
    let is_deploy = key.plural == "deployments";
    let (plural, ns) = if is_deploy {
        ("pods", key.namespace.as_str())
    } else {
        ("nodes", "")
    };
    let template = &obj["spec"]["template"];
    let prefix = if is_deploy {
        format!("{}-{}-", key.name, hash(template))
    } else {
        format!("{}-", key.name)
    };
    let owned = |o: &Value| {
        if is_deploy {
            o["metadata"]["ownerReferences"][0]["name"] == key.name.as_str()
        } else {
            o["metadata"]["labels"][POOL_LABEL] == pool_id(key).as_str()
        }
    };
    let mut created = Vec::new();
    for o in store.list("", plural, Some(ns)) {
        let name = o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let index = name
            .strip_prefix(&prefix)
            .and_then(|i| i.parse::<u64>().ok());
        if owned(&o) && index.is_none_or(|i| i >= n) {
            store.delete(&Key::new("", plural, ns, &name));
        }
    }
    for i in 0..n {
        let name = format!("{prefix}{i}");
        let k = Key::new("", plural, ns, &name);
        if store.get(&k).is_some() {
            continue;
        }
        let obj = if is_deploy {
            pod(key, obj, &name)
        } else {
            created.push(k.clone());
            node(key, obj, &name)
        };
        store.put(&k, obj);
    }
    created
}

fn pod(key: &Key, deploy: &Value, name: &str) -> Value {
    let template = &deploy["spec"]["template"];
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": key.namespace,
            "labels": template["metadata"]["labels"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": key.name, "uid": deploy["metadata"]["uid"], "controller": true}],
        },
        "spec": template["spec"],
        "status": {
            "phase": "Running",
            "conditions": [condition("Ready", true, "PodReady"), condition("ContainersReady", true, "")],
            "startTime": now_rfc3339(),
        },
    })
}

fn node(key: &Key, pool: &Value, name: &str) -> Value {
    let template_labels = pool["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut labels = serde_json::Map::new();
    for (k, v) in template_labels {
        let domain = k.split('/').next().unwrap_or("");
        if key.plural == "nodepools"
            || domain == "node.cluster.x-k8s.io"
            || domain.ends_with(".node.cluster.x-k8s.io")
        {
            labels.insert(k, v);
        }
    }
    if key.plural == "nodepools" {
        labels.insert("karpenter.sh/nodepool".into(), json!(key.name));
    }
    labels.insert("kubernetes.io/hostname".into(), json!(name));
    labels.insert(POOL_LABEL.into(), json!(pool_id(key)));
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": format!("test://{name}")},
        "status": {"conditions": [condition("Ready", false, "KubeletNotReady")]},
    })
}

fn set_node_ready(store: &mut Inner, key: &Key) {
    if let Some(node) = store.get(key) {
        let mut status = node["status"].clone();
        status["conditions"] = json!([condition("Ready", true, "KubeletReady")]);
        set_status(store, key, status);
    }
}

fn node_pool(store: &mut Inner, key: &Key, obj: &Value) -> Vec<Key> {
    let spec = &obj["spec"];
    let replicas = spec["replicas"].as_u64().or_else(|| {
        let limit = &spec["limits"]["nodes"];
        limit
            .as_u64()
            .or_else(|| limit.as_str().and_then(|s| s.parse().ok()))
    });
    let created = scale(store, key, obj, replicas.unwrap_or(0));
    let ready = store
        .list("", "nodes", None)
        .iter()
        .filter(|n| n["metadata"]["labels"][POOL_LABEL] == pool_id(key).as_str())
        .filter(|n| {
            n["status"]["conditions"].as_array().is_some_and(|c| {
                c.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
        .count() as u64;
    let want = replicas.unwrap_or(0);
    let done = ready >= want;
    let reason = if done { "Ready" } else { "NodesNotReady" };
    let status = if key.plural == "machinedeployments" {
        json!({
            "observedGeneration": obj["metadata"]["generation"],
            "replicas": want, "readyReplicas": ready, "availableReplicas": ready,
            "updatedReplicas": want, "upToDateReplicas": want,
            "phase": if done { "Running" } else { "ScalingUp" },
            "conditions": [condition("Available", done, reason), condition("Ready", done, reason)],
        })
    } else {
        json!({
            "nodes": ready,
            "conditions": [condition("Ready", done, reason), condition("NodeClassReady", true, "Ready")],
        })
    };
    let same = obj["status"]["readyReplicas"] == status["readyReplicas"]
        && obj["status"]["nodes"] == status["nodes"]
        && obj["status"]["observedGeneration"] == status["observedGeneration"]
        && obj["status"]["conditions"][0]["status"] == status["conditions"][0]["status"];
    if !same {
        set_status(store, key, status);
    }
    created
}
