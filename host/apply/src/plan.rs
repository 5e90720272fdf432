//! `plan`: what apply would do, by server-side dry run, with field-level diffs for updates.

use std::collections::BTreeSet;
use std::fmt;

use futures::{StreamExt, stream};
use kube::Client;
use kube::api::Api;
use serde::Serialize;
use serde_json::Value;

use crate::client::{api_for, retry};
use crate::ops::{self, ApplyOptions, Item};
use crate::{Desired, Error, ObjectRef, Set, applyset, prune};

/// What apply would do to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Create,
    Update,
    Prune,
    /// The spec's namespace, no longer rendered: kept (it holds the inventory), unlabelled.
    Release,
    Unchanged,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Prune => "prune",
            Change::Release => "release (kept: holds the inventory)",
            Change::Unchanged => "unchanged",
        })
    }
}

/// One line of the plan, with a unified diff (live -> applied) for updates.
#[derive(Clone, Debug)]
pub struct PlanEntry {
    pub object: ObjectRef,
    pub change: Change,
    pub diff: Option<String>,
}

/// The plan for `objects`: every rendered object, then the objects apply would prune.
pub async fn plan(
    client: &Client,
    set: &Set,
    objects: &[Desired],
    opts: &ApplyOptions,
) -> Result<Vec<PlanEntry>, Error> {
    let p = ops::prepare(client, set, objects, opts.adopt).await?;
    let dry = ApplyOptions {
        dry_run: true,
        ..opts.clone()
    };
    // Namespaces apply would create: the server cannot dry-run what goes into them.
    let mut new_namespaces = BTreeSet::new();
    for item in p
        .items
        .iter()
        .filter(|i| i.r.group.is_empty() && i.r.kind == "Namespace")
    {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        if retry(&item.r.to_string(), || api.get_opt(&item.r.name))
            .await?
            .is_none()
        {
            new_namespaces.insert(item.r.name.clone());
        }
    }
    let entries: Vec<Result<PlanEntry, Error>> = stream::iter(p.items.iter().map(|item| {
        let checked = !new_namespaces.contains(&item.r.namespace);
        entry(client, &p, item, &dry, checked)
    }))
    .buffered(opts.concurrency.max(1))
    .collect()
    .await;
    let mut out = entries.into_iter().collect::<Result<Vec<_>, _>>()?;
    for c in prune::candidates(client, &p, set).await?.0 {
        out.push(PlanEntry {
            object: c.r,
            change: if c.release {
                Change::Release
            } else {
                Change::Prune
            },
            diff: None,
        });
    }
    Ok(out)
}

async fn entry(
    client: &Client,
    p: &ops::Prepared<'_>,
    item: &Item<'_>,
    dry: &ApplyOptions,
    checked: bool,
) -> Result<PlanEntry, Error> {
    if item.awaits.is_some() {
        // Its CRD is rendered but not served yet: it cannot exist, and the server cannot
        // dry-run it before the CRD is applied.
        return Ok(PlanEntry {
            object: item.r.clone(),
            change: Change::Create,
            diff: None,
        });
    }
    let (ar, caps) = p.kinds.resolve(&item.r)?;
    let api = api_for(client, &ar, &caps, &item.r.namespace);
    let live = retry(&item.r.to_string(), || api.get_opt(&item.r.name)).await?;
    let Some(live) = live else {
        // A create is still checked by the server (schema, admission), unless its namespace
        // does not exist yet.
        if checked {
            ops::ssa(client, &p.kinds, item, dry).await?;
        }
        return Ok(PlanEntry {
            object: item.r.clone(),
            change: Change::Create,
            diff: None,
        });
    };
    let live = serde_json::to_value(&live).map_err(|e| Error::Invalid(e.to_string()))?;
    if applyset::part_of(&live) != Some(p.id.as_str()) && !dry.adopt {
        return Err(Error::Foreign(vec![item.r.clone()]));
    }
    let after = ops::ssa(client, &p.kinds, item, dry).await?;
    let after = serde_json::to_value(&after).map_err(|e| Error::Invalid(e.to_string()))?;
    let diff = diff(&live, &after);
    Ok(PlanEntry {
        object: item.r.clone(),
        change: if diff.is_some() {
            Change::Update
        } else {
            Change::Unchanged
        },
        diff,
    })
}

/// A unified diff of two objects without server bookkeeping, or `None` when they are equal.
pub fn diff(live: &Value, after: &Value) -> Option<String> {
    let (a, b) = (normalize(live), normalize(after));
    if a == b {
        return None;
    }
    let (a, b) = (yaml(&a), yaml(&b));
    let text = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header("live", "after apply")
        .to_string();
    Some(text)
}

fn yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_else(|_| v.to_string())
}

/// Drops what the server maintains: status and the bookkeeping metadata fields.
pub fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(k);
        }
        let empty_ann = meta
            .get("annotations")
            .and_then(Value::as_object)
            .is_some_and(serde_json::Map::is_empty);
        if empty_ann {
            meta.remove("annotations");
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bookkeeping_is_not_a_change() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "7",
            "uid": "u", "managedFields": [{}], "generation": 2}, "data": {"k": "v"}, "status": {}});
        let after = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "8"},
            "data": {"k": "v"}});
        assert_eq!(diff(&live, &after), None);
    }

    #[test]
    fn field_changes_are_shown() {
        let live =
            json!({"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 3}});
        let after =
            json!({"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 10}});
        let d = diff(&live, &after).expect("a diff");
        assert!(d.contains("-  replicas: 3"), "{d}");
        assert!(d.contains("+  replicas: 10"), "{d}");
    }
}
