//! `status`: the four lines of a spec, computed from the live cluster by kstatus rules.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, PersistentVolumeClaim};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Client;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use crate::applyset::{self, ANN_STATUS, LABEL_ID, LABEL_SPEC};
use crate::client::retry;

/// What status needs to know about a spec; stored on the parent at apply time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusInfo {
    pub namespace: String,
    /// The label(s) the node pool's backend puts on its nodes.
    pub node_selector: BTreeMap<String, String>,
    pub nodes_desired: u32,
    pub pvc: Option<String>,
    pub mount_path: Option<String>,
    pub policy: Option<String>,
    pub deployment: Option<String>,
    pub replicas: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    Ready,
    InProgress,
    Failed,
}

/// One status line: `✔ Node pool created (10/10 ready)`, or `…`/`✗` with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub item: &'static str,
    pub state: State,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Line {
    fn new(item: &'static str, state: State, text: String, reason: Option<String>) -> Line {
        Line {
            item,
            state,
            text,
            reason,
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.state {
            State::Ready => "✔",
            State::InProgress => "…",
            State::Failed => "✗",
        };
        write!(f, "{mark} {}", self.text)?;
        match &self.reason {
            Some(r) => write!(f, ": {r}"),
            None => Ok(()),
        }
    }
}

/// The status of spec `name` (its parent is looked up in `namespace`, else anywhere).
pub async fn status(
    client: &Client,
    name: &str,
    namespace: Option<&str>,
) -> Result<Vec<Line>, Error> {
    let info = find_info(client, name, namespace).await?;
    let ns = info.namespace.as_str();
    let mut lines = Vec::new();
    if info.nodes_desired > 0 || !info.node_selector.is_empty() {
        let selector: Vec<String> = info
            .node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let lp = ListParams::default().labels(&selector.join(","));
        let api: Api<Node> = Api::all(client.clone());
        let nodes = retry("list nodes", || api.list(&lp)).await?;
        let nodes: Vec<Value> = nodes
            .items
            .iter()
            .filter_map(|n| serde_json::to_value(n).ok())
            .collect();
        lines.push(nodes_line(info.nodes_desired, &nodes));
    }
    let deployment = match &info.deployment {
        Some(d) => get::<Deployment>(client, ns, d).await?,
        None => None,
    };
    if let Some(pvc) = &info.pvc {
        let live = get::<PersistentVolumeClaim>(client, ns, pvc).await?;
        lines.push(volume_line(
            pvc,
            info.mount_path.as_deref(),
            live.as_ref(),
            deployment.as_ref(),
        ));
    }
    if let Some(policy) = &info.policy {
        let live = get::<NetworkPolicy>(client, ns, policy).await?;
        lines.push(policy_line(policy, live.as_ref()));
    }
    if let Some(d) = &info.deployment {
        lines.push(workload_line(d, info.replicas, deployment.as_ref()));
    }
    Ok(lines)
}

async fn get<K>(client: &Client, ns: &str, name: &str) -> Result<Option<Value>, Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + Serialize
        + fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let live = retry(name, || api.get_opt(name)).await?;
    Ok(live.and_then(|o| serde_json::to_value(o).ok()))
}

async fn find_info(
    client: &Client,
    name: &str,
    namespace: Option<&str>,
) -> Result<StatusInfo, Error> {
    let parent = applyset::parent_name(name);
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace.unwrap_or(name));
    let mut found = retry(&parent, || api.get_opt(&parent)).await?;
    if found.is_none() && namespace.is_none() {
        let all: Api<ConfigMap> = Api::all(client.clone());
        let lp = ListParams::default().labels(&format!("{LABEL_SPEC}={name},{LABEL_ID}"));
        let list = retry("list inventories", || all.list(&lp)).await?;
        found = list
            .items
            .into_iter()
            .find(|c| c.metadata.name.as_deref() == Some(parent.as_str()));
    }
    let found = found.ok_or_else(|| Error::NoInventory(name.to_string()))?;
    let ann = found.metadata.annotations.unwrap_or_default();
    let text = ann
        .get(ANN_STATUS)
        .ok_or_else(|| Error::NoInventory(name.to_string()))?;
    serde_json::from_str(text).map_err(|e| Error::Invalid(format!("{ANN_STATUS} of {parent}: {e}")))
}

fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn is_true(c: Option<&Value>) -> bool {
    c.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True")
}

fn field(c: Option<&Value>, field: &str) -> String {
    c.and_then(|c| c.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Nodes with `Ready=True` out of the desired count.
pub fn nodes_line(desired: u32, nodes: &[Value]) -> Line {
    let ready = nodes
        .iter()
        .filter(|n| is_true(condition(n, "Ready")))
        .count();
    let text = format!("Node pool created ({ready}/{desired} ready)");
    if ready >= desired as usize && desired > 0 {
        return Line::new("nodePool", State::Ready, text, None);
    }
    let reason = if nodes.is_empty() {
        "no nodes with the pool's label yet".to_string()
    } else {
        format!("{} of {} nodes not Ready", nodes.len() - ready, nodes.len())
    };
    Line::new("nodePool", State::InProgress, text, Some(reason))
}

/// The claim is Bound and the workload mounts it.
pub fn volume_line(
    pvc: &str,
    mount: Option<&str>,
    live: Option<&Value>,
    deployment: Option<&Value>,
) -> Line {
    let text = format!(
        "Volume encrypted & mounted ({})",
        mount.unwrap_or("not mounted")
    );
    let Some(live) = live else {
        return Line::new(
            "storage",
            State::Failed,
            text,
            Some(format!("PersistentVolumeClaim {pvc} not found")),
        );
    };
    let phase = live.pointer("/status/phase").and_then(Value::as_str);
    match phase {
        Some("Bound") => {}
        Some("Lost") => {
            return Line::new(
                "storage",
                State::Failed,
                text,
                Some(format!("claim {pvc} lost its volume")),
            );
        }
        Some(p) => {
            return Line::new(
                "storage",
                State::InProgress,
                text,
                Some(format!("claim {pvc} is {p}")),
            );
        }
        None => {
            return Line::new(
                "storage",
                State::InProgress,
                text,
                Some(format!("claim {pvc} has no status yet")),
            );
        }
    }
    let mounted = deployment
        .and_then(|d| d.pointer("/spec/template/spec/volumes"))
        .and_then(Value::as_array)
        .is_some_and(|vs| {
            vs.iter().any(|v| {
                v.pointer("/persistentVolumeClaim/claimName")
                    .and_then(Value::as_str)
                    == Some(pvc)
            })
        });
    if mount.is_some() && !mounted {
        return Line::new(
            "storage",
            State::InProgress,
            text,
            Some(format!("no workload mounts claim {pvc} yet")),
        );
    }
    Line::new("storage", State::Ready, text, None)
}

/// The policy exists; egress DENY when it governs egress with no rule.
pub fn policy_line(name: &str, live: Option<&Value>) -> Line {
    let Some(live) = live else {
        return Line::new(
            "network",
            State::Failed,
            "Network policy enforced".into(),
            Some(format!("NetworkPolicy {name} not found")),
        );
    };
    let types: Vec<&str> = live
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rules = live
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let egress = match (types.contains(&"Egress"), rules) {
        (true, 0) => "DENY".to_string(),
        (true, n) => format!("{n} rules"),
        (false, _) => "ALLOW".to_string(),
    };
    Line::new(
        "network",
        State::Ready,
        format!("Network policy enforced (egress: {egress})"),
        None,
    )
}

/// kstatus for a Deployment: observedGeneration, Available, readyReplicas.
pub fn workload_line(name: &str, replicas: u32, live: Option<&Value>) -> Line {
    let Some(live) = live else {
        return Line::new(
            "workload",
            State::Failed,
            "Workload running".into(),
            Some(format!("Deployment {name} not found")),
        );
    };
    let num = |p: &str| live.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let ready = num("/status/readyReplicas");
    let text = format!("Workload running ({ready} pods)");
    let progress = |r: String| Line::new("workload", State::InProgress, text.clone(), Some(r));
    if live.get("status").is_none() {
        return progress(format!("Deployment {name} has no status yet"));
    }
    let generation = num("/metadata/generation");
    if num("/status/observedGeneration") < generation {
        return progress(format!(
            "the controller has not observed generation {generation} yet"
        ));
    }
    let progressing = condition(live, "Progressing");
    if field(progressing, "reason") == "ProgressDeadlineExceeded" {
        return Line::new(
            "workload",
            State::Failed,
            text.clone(),
            Some(field(progressing, "message")),
        );
    }
    if ready < u64::from(replicas) {
        return progress(format!("{ready}/{replicas} pods ready"));
    }
    if !is_true(condition(live, "Available")) {
        return progress(format!("Deployment {name} is not Available yet"));
    }
    Line::new(
        "workload",
        State::Ready,
        format!("Workload running ({ready} pods)"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(ready: &str) -> Value {
        json!({"status": {"conditions": [{"type": "Ready", "status": ready}]}})
    }

    #[test]
    fn nodes_count_ready_ones() {
        let all: Vec<Value> = (0..10).map(|_| node("True")).collect();
        assert_eq!(
            nodes_line(10, &all).to_string(),
            "✔ Node pool created (10/10 ready)"
        );
        let some = vec![node("True"), node("False")];
        let l = nodes_line(10, &some);
        assert_eq!(l.state, State::InProgress);
        assert_eq!(
            l.to_string(),
            "… Node pool created (1/10 ready): 1 of 2 nodes not Ready"
        );
    }

    #[test]
    fn volume_bound_and_mounted() {
        let pvc = json!({"status": {"phase": "Bound"}});
        let dep = json!({"spec": {"template": {"spec": {"volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]}}}});
        let l = volume_line("c", Some("/data/pdfs"), Some(&pvc), Some(&dep));
        assert_eq!(l.to_string(), "✔ Volume encrypted & mounted (/data/pdfs)");
        let pending = json!({"status": {"phase": "Pending"}});
        assert_eq!(
            volume_line("c", Some("/d"), Some(&pending), Some(&dep)).state,
            State::InProgress
        );
        assert_eq!(
            volume_line("c", Some("/d"), Some(&json!({})), Some(&dep)).state,
            State::InProgress
        );
        assert_eq!(
            volume_line("c", Some("/d"), None, None).state,
            State::Failed
        );
    }

    #[test]
    fn policy_egress() {
        let np = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": []}});
        assert_eq!(
            policy_line("p", Some(&np)).to_string(),
            "✔ Network policy enforced (egress: DENY)"
        );
        assert_eq!(policy_line("p", None).state, State::Failed);
    }

    #[test]
    fn workload_follows_kstatus() {
        let ok = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "readyReplicas": 10, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&ok)).to_string(),
            "✔ Workload running (10 pods)"
        );
        let stale = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2,
            "readyReplicas": 10, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&stale)).state,
            State::InProgress
        );
        let none = json!({"metadata": {"generation": 1}});
        assert_eq!(workload_line("w", 10, Some(&none)).state, State::InProgress);
        let dead = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "took too long"}]}});
        assert_eq!(workload_line("w", 10, Some(&dead)).state, State::Failed);
    }
}
