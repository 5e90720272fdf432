//! Turns the raw spec into the defaulted `Spec`: top level, `nodePool` and `baseline`, collecting every error.

use std::collections::BTreeMap;

use crate::Section;
use crate::check::{Ctx, LABEL_HINT};
use crate::error::{Location, SpecError};
use crate::model::raw::Given;
use crate::model::{
    BaselineUse, Choice, ClusterApi, Grant, Karpenter, NodePool, Spec, StaticPool, TemplateRef, raw,
};
use crate::names::{dns1123_label_reason, is_dns1123_subdomain, parse_kind_ref};
use crate::plugin_ref::{PluginRef, REF_HINT};
use crate::sections;
use crate::source::Source;

const PROVIDERS: &[&str] = &["cluster-api", "karpenter", "static"];
const SECTION_KEYS: &[&str] = &["nodePool", "storage", "network", "workload"];

/// Validates `raw` and applies the defaults; all errors, sorted by location, on failure.
pub(crate) fn validate(raw: &raw::Spec, src: &Source) -> Result<Spec, Vec<SpecError>> {
    let mut cx = Ctx::new(src);
    let present = [
        raw.node_pool.is_some(),
        raw.storage.is_some(),
        raw.network.is_some(),
        raw.workload.is_some(),
        raw.baseline.is_some(),
    ];
    for (key, here) in SECTION_KEYS.iter().chain(["baseline"].iter()).zip(present) {
        let ptr = format!("/{key}");
        if !here && src.contains(&ptr) {
            let hint = format!("fill in `{key}` (see docs/spec.md) or remove it");
            cx.at(
                src.locate_pointer(&ptr),
                format!("`{key}` is empty"),
                Some(hint),
            );
        }
    }
    if !present[..4].iter().any(|p| *p) {
        if cx.errors.is_empty() {
            cx.at(
                Location::START,
                "the spec has no sections: at least one of `nodePool`, `storage`, `network`, `workload` is needed",
                Some("see examples/dcaa_cluster.yml".into()),
            );
        }
        return Err(cx.errors);
    }

    let workload_name = raw.workload.as_ref().and_then(|w| match w {
        Given::Typed(w) => sections::workload_name(w),
        Given::AsWritten(_) => w.written_str("/name").map(str::to_string),
    });
    let pool_name = raw.node_pool.as_ref().and_then(|n| match n {
        Given::Typed(n) => n.name.clone(),
        Given::AsWritten(_) => n.written_str("/name").map(str::to_string),
    });
    let (name, name_ptr) = if let Some(n) = &raw.name {
        if let Some(reason) = dns1123_label_reason(n) {
            let msg = format!("invalid spec name `{n}`: {reason}");
            cx.at(src.locate_pointer("/name"), msg, Some(LABEL_HINT.into()));
        }
        (n.clone(), "/name")
    } else if let Some(n) = pool_name {
        (n, "/nodePool/name")
    } else if let Some(n) = workload_name {
        (n, "/workload")
    } else if raw.node_pool.as_ref().is_some_and(|n| n.typed().is_some())
        || raw.workload.as_ref().is_some_and(|w| w.typed().is_some())
    {
        // They report their own missing `name` or `image`.
        (String::new(), "")
    } else {
        let msg = "the spec has no name: there is no `name:`, no `nodePool.name` and no workload name to take it from";
        cx.at(Location::START, msg, Some("add a top-level `name:`".into()));
        (String::new(), "")
    };
    // A name taken from a section kept as written was checked by nobody yet.
    let from_written = match name_ptr {
        "/nodePool/name" => matches!(raw.node_pool, Some(Given::AsWritten(_))),
        "/workload" => matches!(raw.workload, Some(Given::AsWritten(_))),
        _ => false,
    };
    if from_written && let Some(reason) = dns1123_label_reason(&name) {
        let ptr = if name_ptr == "/workload" {
            "/workload/name"
        } else {
            name_ptr
        };
        let msg = format!(
            "invalid spec name `{name}` (from `{}`): {reason}",
            &ptr[1..].replace('/', ".")
        );
        let hint = "set a top-level `name:` that is a DNS-1123 label".to_string();
        cx.at(src.locate_pointer(ptr), msg, Some(hint));
    }
    let namespace = namespace(&mut cx, raw, &name, name_ptr);

    let mut custom = BTreeMap::new();
    let mut keep = |s: Section, v: &serde_json::Value| {
        custom.insert(s, v.clone());
    };
    let node_pool = match &raw.node_pool {
        Some(Given::Typed(n)) => node_pool(&mut cx, n, &name),
        Some(Given::AsWritten(v)) => {
            // `nodePool.baseline` is the envelope's shorthand, not the plugin's field.
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove("baseline");
            }
            keep(Section::NodePool, &v);
            None
        }
        None => None,
    };
    let storage = match &raw.storage {
        Some(Given::Typed(s)) => sections::storage(&mut cx, s),
        Some(Given::AsWritten(v)) => {
            keep(Section::Storage, v);
            None
        }
        None => None,
    };
    // The network plugin owns its whole section (fields, defaults, checks): kept as written.
    if let Some(v) = &raw.network {
        keep(Section::Network, v);
    }
    let volume_name = raw.storage.as_ref().and_then(|s| match s {
        Given::Typed(s) => s.volume.as_ref().and_then(|v| v.name.as_deref()),
        Given::AsWritten(_) => s.written_str("/volume/name"),
    });
    let workload = match &raw.workload {
        Some(Given::Typed(w)) => sections::workload(&mut cx, w, raw.storage.is_some(), volume_name),
        Some(Given::AsWritten(v)) => {
            keep(Section::Workload, v);
            None
        }
        None => None,
    };
    let baselines = baselines(&mut cx, raw);
    let plugins = plugins(&mut cx, raw);
    let grants = grants(&mut cx, raw);

    if cx.errors.is_empty() {
        Ok(Spec {
            name,
            namespace,
            node_pool,
            storage,
            workload,
            custom,
            baselines,
            plugins,
            grants,
        })
    } else {
        let mut errors = cx.errors;
        errors.sort_by_key(|e| e.location);
        Err(errors)
    }
}

fn namespace(cx: &mut Ctx<'_>, raw: &raw::Spec, name: &str, name_ptr: &str) -> String {
    let (ns, ptr) = match &raw.namespace {
        Some(ns) => {
            if let Some(reason) = dns1123_label_reason(ns) {
                let msg = format!("invalid namespace `{ns}`: {reason}");
                cx.at(
                    cx.src.locate_pointer("/namespace"),
                    msg,
                    Some(LABEL_HINT.into()),
                );
            }
            (ns.clone(), "/namespace")
        }
        None => (name.to_string(), name_ptr),
    };
    if ns == "default" || ns.starts_with("kube-") {
        let msg = format!(
            "namespace `{ns}` is refused (CIS 5.7.4: do not use the default or kube-* namespaces)"
        );
        let hint = if raw.namespace.is_some() {
            "set `namespace:` to a dedicated namespace, e.g. the spec name".to_string()
        } else {
            "the namespace defaults to the spec name; set `namespace:` to a dedicated one"
                .to_string()
        };
        cx.at(cx.src.locate_pointer(ptr), msg, Some(hint));
    }
    ns
}

fn node_pool(cx: &mut Ctx<'_>, np: &raw::NodePool, spec_name: &str) -> Option<NodePool> {
    const S: Section = Section::NodePool;
    let name = cx.required(S, "", "name", np.name.as_deref());
    let name_ok = name.is_some_and(|n| cx.label(S, "/name", n));
    let count = match np.count {
        None => {
            cx.required(S, "", "count", None);
            None
        }
        Some(c) => cx.count(S, "/count", c),
    };
    let runtime = cx.required(S, "", "runtime", np.runtime.as_deref());
    // Which runtimes exist is the node-pool plugin's to say (its schema's enum).
    let runtime_ok = runtime.is_some();
    let provider = np.provider.as_deref().unwrap_or("cluster-api");
    let provider_ok = cx.choice(S, "/provider", provider, PROVIDERS);
    if provider_ok {
        if np.cluster_api.is_some() && provider != "cluster-api" {
            cx.only_with(S, "/clusterApi", "clusterApi", "cluster-api", provider);
        }
        if np.karpenter.is_some() && provider != "karpenter" {
            cx.only_with(S, "/karpenter", "karpenter", "karpenter", provider);
        }
        if np.static_pool.is_some() && provider != "static" {
            cx.only_with(S, "/static", "static", "static", provider);
        }
    }
    let pool = name.unwrap_or_default();
    let cluster_api = (provider == "cluster-api")
        .then(|| cluster_api(cx, np.cluster_api.as_ref(), spec_name, pool));
    let karpenter =
        (provider == "karpenter").then(|| karpenter(cx, np.karpenter.as_ref(), spec_name));
    let static_pool = (provider == "static").then(|| StaticPool {
        labels: np
            .static_pool
            .as_ref()
            .and_then(|s| s.labels.clone())
            .unwrap_or_else(|| BTreeMap::from([("hms.io/pool".to_string(), pool.to_string())])),
    });
    if let Some(labels) = np.static_pool.as_ref().and_then(|s| s.labels.as_ref())
        && labels.is_empty()
    {
        let hint = "give the labels that select the existing nodes, or remove `labels`";
        cx.err(
            S,
            "/static/labels",
            "`nodePool.static.labels` is empty",
            Some(hint.into()),
        );
    }
    if !(name_ok && runtime_ok && provider_ok) {
        return None;
    }
    Some(NodePool {
        name: pool.to_string(),
        count: count?,
        runtime: runtime?.to_string(),
        provider: provider.to_string(),
        cluster_api,
        karpenter,
        static_pool,
    })
}

fn cluster_api(
    cx: &mut Ctx<'_>,
    c: Option<&raw::ClusterApi>,
    spec_name: &str,
    pool: &str,
) -> ClusterApi {
    const S: Section = Section::NodePool;
    let cluster_name = c
        .and_then(|c| c.cluster_name.clone())
        .unwrap_or_else(|| spec_name.to_string());
    if !is_dns1123_subdomain(&cluster_name) && c.is_some_and(|c| c.cluster_name.is_some()) {
        let msg = format!("invalid `clusterName` `{cluster_name}`: not a DNS-1123 subdomain");
        cx.err(S, "/clusterApi/clusterName", msg, None);
    }
    let version = c.and_then(|c| c.kubernetes_version.clone());
    if let Some(v) = &version
        && !v.starts_with('v')
    {
        let msg = format!("`nodePool.clusterApi.kubernetesVersion` must start with `v`, got `{v}`");
        cx.err(
            S,
            "/clusterApi/kubernetesVersion",
            msg,
            Some(format!("use `v{v}`")),
        );
    }
    let mut template = |field: &str, given: Option<&raw::TemplateRef>, group: &str, kind: &str| {
        let given = given.unwrap_or(&raw::TemplateRef {
            api_group: None,
            kind: None,
            name: None,
        });
        let t = TemplateRef {
            api_group: given.api_group.clone().unwrap_or_else(|| group.to_string()),
            kind: given.kind.clone().unwrap_or_else(|| kind.to_string()),
            name: given.name.clone().unwrap_or_else(|| pool.to_string()),
        };
        if given.name.is_some() && !is_dns1123_subdomain(&t.name) {
            let msg = format!(
                "invalid template name `{}`: not a DNS-1123 subdomain",
                t.name
            );
            cx.err(S, &format!("/clusterApi/{field}/name"), msg, None);
        }
        if t.kind.is_empty() || t.api_group.is_empty() {
            let msg =
                format!("`nodePool.clusterApi.{field}` needs a non-empty `apiGroup` and `kind`");
            cx.err(S, &format!("/clusterApi/{field}"), msg, None);
        }
        t
    };
    let infrastructure = template(
        "infrastructure",
        c.and_then(|c| c.infrastructure.as_ref()),
        "infrastructure.cluster.x-k8s.io",
        "AWSMachineTemplate",
    );
    let bootstrap = template(
        "bootstrap",
        c.and_then(|c| c.bootstrap.as_ref()),
        "bootstrap.cluster.x-k8s.io",
        "KubeadmConfigTemplate",
    );
    ClusterApi {
        cluster_name,
        kubernetes_version: version,
        infrastructure,
        bootstrap,
    }
}

fn karpenter(cx: &mut Ctx<'_>, k: Option<&raw::Karpenter>, spec_name: &str) -> Karpenter {
    const S: Section = Section::NodePool;
    let cluster_name = k
        .and_then(|k| k.cluster_name.clone())
        .unwrap_or_else(|| spec_name.to_string());
    if cluster_name.is_empty() {
        cx.err(
            S,
            "/karpenter/clusterName",
            "`nodePool.karpenter.clusterName` is empty",
            None,
        );
    }
    let role = k
        .and_then(|k| k.role.clone())
        .unwrap_or_else(|| format!("KarpenterNodeRole-{cluster_name}"));
    if role.is_empty() {
        cx.err(
            S,
            "/karpenter/role",
            "`nodePool.karpenter.role` is empty",
            None,
        );
    }
    let version = k
        .and_then(|k| k.kubernetes_version.clone())
        .unwrap_or_else(|| "1.33".to_string());
    let well_formed = version.split_once('.').is_some_and(|(a, b)| {
        [a, b]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    if !well_formed {
        let msg = format!(
            "`nodePool.karpenter.kubernetesVersion` must be MAJOR.MINOR like `1.33`, got `{version}`"
        );
        let hint = version
            .strip_prefix('v')
            .map(|v| format!("use `{v}` (no `v`)"));
        cx.err(S, "/karpenter/kubernetesVersion", msg, hint);
    }
    Karpenter {
        cluster_name,
        role,
        static_capacity: k.and_then(|k| k.static_capacity).unwrap_or(false),
        kubernetes_version: version,
    }
}

/// The baselines to run: `baseline:` (a name, a mapping, or a list of them) or the
/// `nodePool.baseline` shorthand. Each entry's fields other than `name` and `plugin` are the
/// baseline plugin's parameters, judged by its schema.
fn baselines(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Vec<BaselineUse> {
    let short = raw.node_pool.as_ref().and_then(|n| match n {
        Given::Typed(n) => n.baseline.clone(),
        Given::AsWritten(v) => {
            let given = v.pointer("/baseline");
            if given.is_some_and(|b| !b.is_string()) {
                let msg = "`nodePool.baseline` must be one baseline's name";
                let hint =
                    "list several baselines, or give parameters, under the top-level `baseline:`";
                cx.at(
                    cx.src.locate_pointer("/nodePool/baseline"),
                    msg,
                    Some(hint.into()),
                );
            }
            given
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        }
    });
    let entries: Vec<(serde_json::Value, String)> = match (&raw.baseline, short) {
        (None, None) => return Vec::new(),
        (Some(b), short) => {
            if short.is_some() {
                let top = cx.src.key_location("/baseline").unwrap_or(Location::START);
                let nested = cx
                    .src
                    .key_location("/nodePool/baseline")
                    .unwrap_or(Location::START);
                let msg = "`baseline` is given twice: at the top level and as `nodePool.baseline`";
                cx.at(top.max(nested), msg, Some("keep only one of them".into()));
            }
            match b {
                raw::Baselines::One(v) => vec![(v.clone(), "/baseline".to_string())],
                raw::Baselines::List(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.clone(), format!("/baseline/{i}")))
                    .collect(),
            }
        }
        (None, Some(name)) => vec![(
            serde_json::Value::String(name),
            "/nodePool/baseline".to_string(),
        )],
    };
    let mut out: Vec<BaselineUse> = Vec::new();
    for (entry, pointer) in entries {
        let at = |cx: &Ctx<'_>, p: &str| cx.src.locate_pointer(&format!("{pointer}{p}"));
        let mut params = match entry {
            serde_json::Value::String(name) => serde_json::json!({ "name": name }),
            serde_json::Value::Object(m) => serde_json::Value::Object(m),
            other => {
                let msg = format!(
                    "a baseline entry must be a name or a mapping with `name`, not `{other}`"
                );
                let hint = "write `- cis-level-2` or `- name: cis-level-2`";
                cx.at(at(cx, ""), msg, Some(hint.into()));
                continue;
            }
        };
        let Some(name) = params["name"].as_str().map(str::to_string) else {
            let msg = if params.get("name").is_some() {
                "the baseline's `name` must be a string"
            } else {
                "missing required field `name` in `baseline`"
            };
            let hint = "name the baseline plugin, e.g. `name: cis-level-2`";
            cx.at(at(cx, ""), msg, Some(hint.into()));
            continue;
        };
        if let Some(reason) = dns1123_label_reason(&name) {
            let msg = format!("invalid baseline name `{name}`: {reason}");
            cx.at(at(cx, "/name"), msg, Some(LABEL_HINT.into()));
            continue;
        }
        if out.iter().any(|b| b.name == name) {
            let msg = format!("baseline `{name}` is listed twice");
            cx.at(at(cx, ""), msg, Some("list each baseline once".into()));
            continue;
        }
        let plugin = match params.as_object_mut().and_then(|m| m.remove("plugin")) {
            None => None,
            Some(serde_json::Value::String(r)) => match PluginRef::parse(&r) {
                Ok(r) => Some(r),
                Err(msg) => {
                    cx.at(at(cx, "/plugin"), msg, Some(REF_HINT.into()));
                    continue;
                }
            },
            Some(_) => {
                let msg = "the baseline's `plugin` must be a string";
                cx.at(at(cx, "/plugin"), msg, Some(REF_HINT.into()));
                continue;
            }
        };
        out.push(BaselineUse {
            name,
            plugin,
            params,
            pointer,
        });
    }
    out
}

/// `plugins:`: a section key to a plugin reference.
fn plugins(cx: &mut Ctx<'_>, raw: &raw::Spec) -> BTreeMap<Section, Choice> {
    let mut out = BTreeMap::new();
    for (key, reference) in raw.plugins.iter().flatten() {
        let pointer = format!("/plugins/{}", crate::source::escape(key));
        let Some(section) = Section::from_key(key).filter(|s| *s != Section::Baseline) else {
            let (msg, hint) = if key == "baseline" {
                (
                    "`plugins` does not choose baselines".to_string(),
                    "give a baseline's plugin in its entry: `baseline: [{name: agency-rules, plugin: ./agency-rules.wasm}]`".to_string(),
                )
            } else {
                (
                    format!("`plugins` has no section `{key}`"),
                    crate::names::choice_hint(key, SECTION_KEYS, "sections"),
                )
            };
            let location = cx.src.key_location(&pointer).unwrap_or(Location::START);
            cx.at(location, msg, Some(hint));
            continue;
        };
        match PluginRef::parse(reference) {
            Ok(reference) => {
                out.insert(section, Choice { reference, pointer });
            }
            Err(msg) => {
                let location = cx.src.locate_pointer(&pointer);
                cx.at(location, msg, Some(REF_HINT.into()));
            }
        }
    }
    out
}

/// `grants:`: a plugin name to the kinds it may emit beyond its section's allow-list.
fn grants(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Vec<Grant> {
    let mut out = Vec::new();
    for (plugin, kinds) in raw.grants.iter().flatten() {
        let base = format!("/grants/{}", crate::source::escape(plugin));
        if let Some(reason) = dns1123_label_reason(plugin) {
            let location = cx.src.key_location(&base).unwrap_or(Location::START);
            let msg = format!("invalid plugin name `{plugin}` in `grants`: {reason}");
            cx.at(location, msg, Some(LABEL_HINT.into()));
            continue;
        }
        for (i, k) in kinds.iter().enumerate() {
            let pointer = format!("{base}/{i}");
            match parse_kind_ref(k) {
                Ok((group, kind)) => out.push(Grant {
                    plugin: plugin.clone(),
                    group,
                    kind,
                    pointer,
                }),
                Err(msg) => {
                    let location = cx.src.locate_pointer(&pointer);
                    let hint = "write `Kind` for the core group or `Kind.group`, e.g. `ClusterRoleBinding.rbac.authorization.k8s.io`";
                    cx.at(
                        location,
                        format!("invalid grant `{k}`: {msg}"),
                        Some(hint.into()),
                    );
                }
            }
        }
    }
    out
}
