//! `status`: what the cluster has of a spec's objects, and the generic readiness of a
//! section. The lines themselves are judged by the plugin that rendered each section (the CLI
//! calls it); this crate applies the generic kstatus rules (`hms_plugin_sdk::kstatus`) when a
//! plugin does not judge its section, and to every object under `apply --wait`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use hms_plugin_sdk::kstatus::{self, Readiness};
use k8s_openapi::api::core::v1::{ConfigMap, Node};
use kube::Client;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::applyset::{self, ANN_STATUS, LABEL_ID, LABEL_SPEC};
use crate::client::{Kinds, api_for, retry};
use crate::{Error, ObjectRef};

/// What status needs to know about a spec; stored on the parent at apply time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusInfo {
    /// The layout of this record; 2 since plugins judge their sections.
    pub version: u32,
    pub namespace: String,
    pub spec_name: String,
    /// The spec as written, as JSON: the plugins' `context.spec`; each section is in it as
    /// written, as `render` got it.
    pub spec: Value,
    pub common_labels: BTreeMap<String, String>,
    /// The label(s) the node pool's backend puts on its nodes.
    pub node_selector: BTreeMap<String, String>,
    /// Each rendered section, in order, with its plugin and its objects.
    pub sections: Vec<SectionInfo>,
}

/// The layout [`StatusInfo`] is written in.
pub const STATUS_VERSION: u32 = 2;

/// One section of an applied spec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SectionInfo {
    /// `nodePool`, `storage`, ...
    pub section: String,
    /// The plugin that rendered it: its name and `sha256:` digest.
    pub plugin: String,
    pub digest: String,
    /// Whether the plugin is bundled with hms-sys (found again by name).
    pub bundled: bool,
    /// `apiVersion`, `kind`, namespace (empty when cluster-scoped) and name of each object.
    pub objects: Vec<[String; 4]>,
}

impl SectionInfo {
    /// The references of its objects.
    pub fn refs(&self) -> impl Iterator<Item = ObjectRef> + '_ {
        self.objects
            .iter()
            .map(|[api_version, kind, namespace, name]| {
                let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
                ObjectRef {
                    group: group.to_string(),
                    version: version.to_string(),
                    kind: kind.clone(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                }
            })
    }
}

/// The cluster's view of an applied spec: every object of every section (`None`: not found)
/// and the nodes carrying the node pool's labels.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub info: StatusInfo,
    /// Per section of `info.sections`, its objects in order.
    pub objects: Vec<Vec<(ObjectRef, Option<Value>)>>,
    pub nodes: Vec<Value>,
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum State {
    Ready,
    #[default]
    InProgress,
    Failed,
}

/// One status line: `✔ Node pool created (10/10 ready)`, or `…`/`✗` with the reason. The
/// text and reason may come from a plugin: whoever prints them escapes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The section.
    pub item: String,
    pub state: State,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Line {
    pub fn new(item: &str, state: State, text: String, reason: Option<String>) -> Line {
        Line {
            item: item.to_string(),
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

/// The generic line of a section whose plugin does not judge it: every object of the section
/// by kstatus (`hms_plugin_sdk::kstatus`). `why` says why the generic rules apply.
pub fn generic_line(section: &str, objects: &[(ObjectRef, Option<Value>)], why: &str) -> Line {
    let n = objects.len();
    // Each object not ready: what it is, why, and whether it failed.
    let pending: Vec<(&ObjectRef, String, bool)> = objects
        .iter()
        .filter_map(|(r, live)| match object_readiness(r, live.as_ref()) {
            Readiness::Ready => None,
            Readiness::InProgress(why) => Some((r, why, false)),
            Readiness::Failed(why) => Some((r, why, true)),
        })
        .collect();
    let s = if n == 1 { "" } else { "s" };
    let text = format!(
        "{section}: {}/{n} object{s} ready ({why})",
        n - pending.len()
    );
    let Some((first, reason, _)) = pending.first() else {
        return Line::new(section, State::Ready, text, None);
    };
    let more = match pending.len() {
        1 => String::new(),
        k => format!(" (and {} more)", k - 1),
    };
    let state = if pending.iter().any(|(_, _, failed)| *failed) {
        State::Failed
    } else {
        State::InProgress
    };
    Line::new(
        section,
        state,
        text,
        Some(format!("{first}: {reason}{more}")),
    )
}

/// kstatus readiness of one object; one that does not exist has failed.
pub fn object_readiness(r: &ObjectRef, live: Option<&Value>) -> Readiness {
    match live {
        Some(v) => kstatus::readiness(&r.kind, v),
        None => Readiness::Failed("not found".to_string()),
    }
}

/// Every object of `observed` that kstatus does not call ready, in a section whose line is
/// ready (an object of a section whose line is not ready is explained by the line), with the
/// reason: what `apply --wait` and the controller wait for beside the lines.
pub fn pending_objects(observed: &Observed, lines: &[Line]) -> Vec<String> {
    observed
        .objects
        .iter()
        .enumerate()
        .filter(|(i, _)| lines.get(*i).is_some_and(|l| l.state == State::Ready))
        .flat_map(|(_, objects)| objects.iter())
        .filter_map(|(r, live)| match object_readiness(r, live.as_ref()) {
            Readiness::Ready => None,
            Readiness::InProgress(why) | Readiness::Failed(why) => Some(format!("{r}: {why}")),
        })
        .collect()
}

/// Reads spec `name`'s status record (its parent is looked up in `namespace`, else anywhere)
/// and every object it lists, and the nodes of its node pool.
pub async fn observe(
    client: &Client,
    name: &str,
    namespace: Option<&str>,
) -> Result<Observed, Error> {
    let info = find_info(client, name, namespace).await?;
    if info.version != STATUS_VERSION {
        return Err(Error::Invalid(format!(
            "spec {name} was applied by an older hms-sys, whose status record this one does \
             not read; apply it again with this version"
        )));
    }
    let refs: Vec<Vec<ObjectRef>> = info.sections.iter().map(|s| s.refs().collect()).collect();
    let group_kinds: BTreeSet<String> = crate::client::group_kinds(refs.iter().flatten());
    let kinds = Kinds::discover(client, &group_kinds).await?;
    let mut objects = Vec::with_capacity(refs.len());
    for section in refs {
        let mut live = Vec::with_capacity(section.len());
        for r in section {
            let value = match kinds.resolve(&r) {
                Ok((ar, caps)) => {
                    let api = api_for(client, &ar, &caps, &r.namespace);
                    let what = r.to_string();
                    retry(&what, || api.get_opt(&r.name))
                        .await?
                        .and_then(|o| serde_json::to_value(o).ok())
                }
                // The cluster no longer serves the kind (its CRD is gone): not found.
                Err(Error::UnknownKind(_)) => None,
                Err(e) => return Err(e),
            };
            live.push((r, value));
        }
        objects.push(live);
    }
    let mut nodes = Vec::new();
    if !info.node_selector.is_empty() {
        let selector: Vec<String> = info
            .node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let lp = ListParams::default().labels(&selector.join(","));
        let api: Api<Node> = Api::all(client.clone());
        let list = retry("list nodes", || api.list(&lp)).await?;
        nodes = list
            .items
            .iter()
            .filter_map(|n| serde_json::to_value(n).ok())
            .collect();
    }
    Ok(Observed {
        info,
        objects,
        nodes,
    })
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
