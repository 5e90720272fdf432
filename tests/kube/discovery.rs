//! The kinds the test server knows (core kinds hms-sys emits, the CRDs in
//! `shared/testdata/crds`, and CRDs established at run time: `crds.rs`) and the discovery
//! documents built from them.

use std::path::Path;

use serde_json::{Value, json};

/// One served resource: a group/version/kind and its REST name.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Whether the kind has a `/status` subresource: then the main endpoint ignores `.status`,
    /// `/status` changes only `.status`, and status changes leave `metadata.generation` alone.
    /// Without one (a CRD that declares no `subresources.status`), `.status` is an ordinary field.
    pub status: bool,
}

impl ResourceType {
    pub fn group_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }
}

pub const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn builtin(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    ns: bool,
    short: &[&str],
) -> ResourceType {
    ResourceType {
        group: group.into(),
        versions: vec![version.into()],
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        namespaced: ns,
        short_names: short.iter().map(|s| s.to_string()).collect(),
        categories: if ns
            && !matches!(
                kind,
                "ServiceAccount" | "Secret" | "ConfigMap" | "Event" | "Lease"
            ) {
            vec!["all".into()]
        } else {
            vec![]
        },
        status: matches!(
            plural,
            "namespaces"
                | "persistentvolumeclaims"
                | "pods"
                | "nodes"
                | "deployments"
                | "customresourcedefinitions"
        ),
    }
}

/// The built-in kinds.
pub fn builtins() -> Vec<ResourceType> {
    vec![
        builtin("", "v1", "Namespace", "namespaces", false, &["ns"]),
        builtin("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
        builtin("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
        builtin("", "v1", "Secret", "secrets", true, &[]),
        builtin(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            &["pvc"],
        ),
        builtin("", "v1", "Pod", "pods", true, &["po"]),
        builtin("", "v1", "Node", "nodes", false, &["no"]),
        builtin("", "v1", "Event", "events", true, &["ev"]),
        // Leader election (kube-lease-manager, client-go's leaderelection).
        builtin("coordination.k8s.io", "v1", "Lease", "leases", true, &[]),
        // The newer Event API; stored apart from the core v1 Events here (see the module doc).
        builtin("events.k8s.io", "v1", "Event", "events", true, &["ev"]),
        builtin("apps", "v1", "Deployment", "deployments", true, &["deploy"]),
        builtin(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
            &["netpol"],
        ),
        builtin(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
            &["sc"],
        ),
        builtin(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            &["crd", "crds"],
        ),
    ]
}

/// Reads every CRD (`*.yaml`) in `dir`; served versions only.
pub fn load_crds(dir: &Path) -> Vec<(ResourceType, Value)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "yaml" && e != "yml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(crd) = serde_yaml_ng::from_str::<Value>(&text) else {
            continue;
        };
        if crd["kind"] != "CustomResourceDefinition" {
            continue;
        }
        if let Some(rt) = from_crd(&crd) {
            out.push((rt, crd));
        }
    }
    out
}

/// The resource type a CRD serves (its served versions, the storage version first), or `None`
/// when it names no plural or serves no version.
pub fn from_crd(crd: &Value) -> Option<ResourceType> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut versions: Vec<(bool, String)> = spec["versions"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter(|v| v["served"].as_bool().unwrap_or(false))
                .filter_map(|v| {
                    Some((
                        v["storage"].as_bool().unwrap_or(false),
                        v["name"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    // The storage version first: discovery lists the preferred version first.
    versions.sort_by_key(|(storage, _)| !*storage);
    let kind = names["kind"].as_str().unwrap_or_default().to_string();
    let rt = ResourceType {
        group: spec["group"].as_str().unwrap_or_default().into(),
        versions: versions.into_iter().map(|(_, v)| v).collect(),
        singular: names["singular"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| kind.to_lowercase()),
        kind,
        plural: names["plural"].as_str().unwrap_or_default().into(),
        namespaced: spec["scope"] == "Namespaced",
        short_names: strs(&names["shortNames"]),
        categories: strs(&names["categories"]),
        status: has_status_subresource(crd),
    };
    (!rt.plural.is_empty() && !rt.versions.is_empty()).then_some(rt)
}

/// Whether a CRD declares the status subresource (in any served version: the test server does not
/// tell versions apart).
pub fn has_status_subresource(crd: &Value) -> bool {
    crd["spec"]["versions"].as_array().is_some_and(|vs| {
        vs.iter()
            .any(|v| v["served"] != false && v["subresources"]["status"].is_object())
    }) || crd["spec"]["subresources"]["status"].is_object()
}

/// `/api`
pub fn core_versions(addr: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr}],
    })
}

fn groups(types: &[ResourceType]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for t in types.iter().filter(|t| !t.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, vs)) => {
                for v in &t.versions {
                    if !vs.contains(v) {
                        vs.push(v.clone());
                    }
                }
            }
            None => out.push((t.group.clone(), t.versions.clone())),
        }
    }
    out
}

/// `/apis`
pub fn group_list(types: &[ResourceType]) -> Value {
    let groups: Vec<Value> = groups(types)
        .into_iter()
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`
pub fn group(types: &[ResourceType], name: &str) -> Option<Value> {
    let list = group_list(types);
    let g = list["groups"]
        .as_array()?
        .iter()
        .find(|g| g["name"] == name)?
        .clone();
    let mut g = g;
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

/// `/api/v1` or `/apis/<group>/<version>`; `None` when nothing is served there.
pub fn resource_list(types: &[ResourceType], group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for t in types
        .iter()
        .filter(|t| t.group == group && t.versions.iter().any(|v| v == version))
    {
        let mut r = json!({
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": VERBS,
        });
        if !t.short_names.is_empty() {
            r["shortNames"] = json!(t.short_names);
        }
        if !t.categories.is_empty() {
            r["categories"] = json!(t.categories);
        }
        resources.push(r);
        if super::scale::scalable(t) {
            resources.push(json!({
                "name": format!("{}/scale", t.plural),
                "singularName": "",
                "namespaced": t.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }));
        }
        if t.status {
            resources.push(json!({
                "name": format!("{}/status", t.plural),
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// `/version`
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-hms-test",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/openapi/v3`: one document per group/version. The documents carry only what clients probe
/// (kubectl looks for the `fieldValidation` parameter of PATCH to leave validation to the server).
pub fn openapi_root(types: &[ResourceType]) -> Value {
    let mut paths = serde_json::Map::new();
    for t in types {
        for v in &t.versions {
            let p = if t.group.is_empty() {
                format!("api/{v}")
            } else {
                format!("apis/{}/{v}", t.group)
            };
            let url = format!("/openapi/v3/{p}?hash=0");
            paths.insert(p, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V`: the PATCH operations with their parameters.
pub fn openapi_group_version(types: &[ResourceType], group: &str, version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    for t in types
        .iter()
        .filter(|t| t.group == group && t.versions.iter().any(|v| v == version))
    {
        let scope = if t.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let params: Vec<Value> = ["dryRun", "fieldManager", "fieldValidation", "force"]
            .iter()
            .map(|p| json!({"name": p, "in": "query", "schema": {"type": "string"}}))
            .collect();
        paths.insert(
            format!("{prefix}{scope}/{}/{{name}}", t.plural),
            json!({"patch": {
                "operationId": format!("patch{}", t.kind),
                "x-kubernetes-group-version-kind": {"group": t.group, "version": version, "kind": t.kind},
                "x-kubernetes-action": "patch",
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
            }}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
