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
pub use crate::readiness::{nodes_line, policy_line, volume_line, workload_line};

/// What status needs to know about a spec; stored on the parent at apply time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// The (encrypted) StorageClass the claim must be on.
    pub storage_class: Option<String>,
    /// The NetworkPolicy's rendered spec: the live one must contain all of it.
    pub policy_spec: Option<Value>,
    /// The node pool's own object (MachineDeployment, Karpenter NodePool), for its kstatus.
    pub pool: Option<PoolRef>,
}

/// The object a node-pool backend reconciles: `apiVersion`, `kind`, `name` (in the spec
/// namespace unless cluster-scoped, as a Karpenter NodePool is).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PoolRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespaced: bool,
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
    pub(crate) fn new(
        item: &'static str,
        state: State,
        text: String,
        reason: Option<String>,
    ) -> Line {
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
    if info.nodes_desired > 0 && info.node_selector.is_empty() {
        lines.push(crate::readiness::unlabelled_pool(info.nodes_desired));
    } else if info.nodes_desired > 0 || !info.node_selector.is_empty() {
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
        let pool = match &info.pool {
            Some(r) => Some((r, get_pool(client, ns, r).await?)),
            None => None,
        };
        let pool = pool
            .as_ref()
            .map(|(r, live)| (r.kind.as_str(), r.name.as_str(), live.as_ref()));
        lines.push(nodes_line(info.nodes_desired, &nodes, pool));
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
            info.storage_class.as_deref(),
            live.as_ref(),
            deployment.as_ref(),
        ));
    }
    if let Some(policy) = &info.policy {
        let live = get::<NetworkPolicy>(client, ns, policy).await?;
        lines.push(policy_line(
            policy,
            info.policy_spec.as_ref(),
            live.as_ref(),
        ));
    }
    if let Some(d) = &info.deployment {
        lines.push(workload_line(d, info.replicas, deployment.as_ref()));
    }
    Ok(lines)
}

/// The pool object, if it exists (any kind: resolved by its apiVersion and kind).
async fn get_pool(client: &Client, ns: &str, r: &PoolRef) -> Result<Option<Value>, Error> {
    let (group, version) = r
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &r.api_version));
    let gvk = kube::core::GroupVersionKind::gvk(group, version, &r.kind);
    let ar = kube::discovery::ApiResource::from_gvk(&gvk);
    let api: Api<kube::api::DynamicObject> = if r.namespaced {
        Api::namespaced_with(client.clone(), ns, &ar)
    } else {
        Api::all_with(client.clone(), &ar)
    };
    let what = format!("{} {}", r.kind, r.name);
    let live = retry(&what, || api.get_opt(&r.name)).await?;
    Ok(live.and_then(|o| serde_json::to_value(o).ok()))
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
