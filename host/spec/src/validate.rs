//! Turns the raw spec into the defaulted `Spec`: top level, `nodePool` and `baseline`, collecting every error.

use std::collections::BTreeMap;

use crate::Section;
use crate::check::{Ctx, LABEL_HINT};
use crate::error::{Location, SpecError};
use crate::model::{Baseline, ClusterApi, Karpenter, NodePool, Spec, StaticPool, TemplateRef, raw};
use crate::names::{dns1123_label_reason, is_dns1123_subdomain};
use crate::sections;
use crate::source::Source;

const RUNTIMES: &[&str] = &[
    "fips-ubuntu-22.04",
    "ubuntu-22.04",
    "ubuntu-24.04",
    "fips-ubuntu-24.04",
    "bottlerocket",
    "fips-bottlerocket",
    "al2023",
    "fips-al2023",
];
const PROVIDERS: &[&str] = &["cluster-api", "karpenter", "static"];
const BASELINES: &[&str] = &["cis-level-2"];
const PROFILES: &[&str] = &["restricted", "baseline"];
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

    let workload_name = raw.workload.as_ref().and_then(sections::workload_name);
    let pool_name = raw.node_pool.as_ref().and_then(|n| n.name.clone());
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
    } else if raw.node_pool.is_some() || raw.workload.is_some() {
        // They report their own missing `name` or `image`.
        (String::new(), "")
    } else {
        let msg = "the spec has no name: there is no `name:`, no `nodePool.name` and no workload to take it from";
        cx.at(Location::START, msg, Some("add a top-level `name:`".into()));
        (String::new(), "")
    };
    let namespace = namespace(&mut cx, raw, &name, name_ptr);

    let node_pool = raw
        .node_pool
        .as_ref()
        .and_then(|n| node_pool(&mut cx, n, &name));
    let storage = raw
        .storage
        .as_ref()
        .and_then(|s| sections::storage(&mut cx, s));
    let network = raw
        .network
        .as_ref()
        .and_then(|n| sections::network(&mut cx, n));
    let volume_name = raw
        .storage
        .as_ref()
        .and_then(|s| s.volume.as_ref())
        .and_then(|v| v.name.as_deref());
    let workload = raw
        .workload
        .as_ref()
        .and_then(|w| sections::workload(&mut cx, w, raw.storage.is_some(), volume_name));
    let baseline = baseline(&mut cx, raw);

    if cx.errors.is_empty() {
        Ok(Spec {
            name,
            namespace,
            node_pool,
            storage,
            network,
            workload,
            baseline,
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
    let runtime_ok = runtime.is_some_and(|r| cx.choice(S, "/runtime", r, RUNTIMES));
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

fn baseline(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Option<Baseline> {
    const S: Section = Section::Baseline;
    let short = raw.node_pool.as_ref().and_then(|n| n.baseline.as_deref());
    let given = match (&raw.baseline, short) {
        (None, None) => return None,
        (Some(b), None) => b,
        (None, Some(name)) => {
            let ok = cx.choice(S, "/name", name, BASELINES);
            return ok.then(|| Baseline {
                name: name.to_string(),
                profile: "restricted".to_string(),
            });
        }
        (Some(b), Some(_)) => {
            let top = cx.src.key_location("/baseline").unwrap_or(Location::START);
            let nested = cx
                .src
                .key_location("/nodePool/baseline")
                .unwrap_or(Location::START);
            let msg = "`baseline` is given twice: at the top level and as `nodePool.baseline`";
            cx.at(top.max(nested), msg, Some("keep only one of them".into()));
            b
        }
    };
    let name = cx.required(S, "", "name", given.name.as_deref());
    let name_ok = name.is_some_and(|n| cx.choice(S, "/name", n, BASELINES));
    let profile = given.profile.as_deref().unwrap_or("restricted");
    let profile_ok = cx.choice(S, "/profile", profile, PROFILES);
    (name_ok && profile_ok).then(|| Baseline {
        name: name.unwrap_or_default().to_string(),
        profile: profile.to_string(),
    })
}
