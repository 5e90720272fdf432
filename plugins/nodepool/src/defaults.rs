//! The `nodePool` section as written -> the section every backend reads: this plugin's
//! defaults filled in, and the rules that join fields (a backend's block only with that
//! backend; version formats with a hint). The section's schema has judged each field alone.

use hms_plugin_sdk::pointer::set_default;
use hms_plugin_sdk::{Ctx, Diagnostic};
use serde_json::{Value, json};

/// The backend when `provider` is not given.
pub const DEFAULT_PROVIDER: &str = "cluster-api";
/// Karpenter's `kubernetesVersion` when not given (the EKS minor the AMI paths name).
pub const DEFAULT_KARPENTER_VERSION: &str = "1.33";

/// Each backend's own block.
const BLOCKS: [(&str, &str); 3] = [
    ("cluster-api", "clusterApi"),
    ("karpenter", "karpenter"),
    ("static", "static"),
];

/// Fills in the defaults of `v` (the section as written) and returns the errors of the rules
/// that join fields. `ctx.spec_name` names the cluster when the section does not.
pub fn apply(v: &mut Value, ctx: &Ctx) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    set_default(v, "/provider", DEFAULT_PROVIDER.into());
    let provider = v["provider"].as_str().unwrap_or_default().to_string();
    for (backend, block) in BLOCKS {
        if backend != provider && v.get(block).is_some_and(|b| !b.is_null()) {
            errors.push(
                Diagnostic::error(
                    "NODEPOOL-BLOCK-PROVIDER",
                    format!(
                        "`{block}` is only allowed with `provider: {backend}`, but the provider is `{provider}`"
                    ),
                )
                .at(format!("/{block}"))
                .hint(format!("remove `{block}`, or set `provider: {backend}`")),
            );
        }
    }
    let pool = v["name"].as_str().unwrap_or_default().to_string();
    match provider.as_str() {
        "cluster-api" => {
            set_default(v, "/clusterApi/clusterName", ctx.spec_name.clone().into());
            for (field, group, kind) in [
                (
                    "infrastructure",
                    "infrastructure.cluster.x-k8s.io",
                    "AWSMachineTemplate",
                ),
                (
                    "bootstrap",
                    "bootstrap.cluster.x-k8s.io",
                    "KubeadmConfigTemplate",
                ),
            ] {
                set_default(v, &format!("/clusterApi/{field}/apiGroup"), group.into());
                set_default(v, &format!("/clusterApi/{field}/kind"), kind.into());
                set_default(v, &format!("/clusterApi/{field}/name"), pool.clone().into());
            }
            if let Some(version) = v
                .pointer("/clusterApi/kubernetesVersion")
                .and_then(Value::as_str)
                && !version.starts_with('v')
            {
                errors.push(
                    Diagnostic::error(
                        "NODEPOOL-VERSION",
                        format!("`nodePool.clusterApi.kubernetesVersion` must start with `v`, got `{version}`"),
                    )
                    .at("/clusterApi/kubernetesVersion")
                    .hint(format!("use `v{version}`")),
                );
            }
        }
        "karpenter" => {
            set_default(v, "/karpenter/clusterName", ctx.spec_name.clone().into());
            let cluster = v
                .pointer("/karpenter/clusterName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            set_default(
                v,
                "/karpenter/role",
                format!("KarpenterNodeRole-{cluster}").into(),
            );
            set_default(v, "/karpenter/staticCapacity", false.into());
            set_default(
                v,
                "/karpenter/kubernetesVersion",
                DEFAULT_KARPENTER_VERSION.into(),
            );
            let version = v
                .pointer("/karpenter/kubernetesVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let well_formed = version.split_once('.').is_some_and(|(a, b)| {
                [a, b]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
            });
            if !well_formed {
                let mut d = Diagnostic::error(
                    "NODEPOOL-VERSION",
                    format!("`nodePool.karpenter.kubernetesVersion` must be MAJOR.MINOR like `{DEFAULT_KARPENTER_VERSION}`, got `{version}`"),
                )
                .at("/karpenter/kubernetesVersion");
                if let Some(bare) = version.strip_prefix('v') {
                    d = d.hint(format!("use `{bare}` (no `v`)"));
                }
                errors.push(d);
            }
        }
        "static" => set_default(v, "/static/labels", json!({ "hms.io/pool": pool })),
        _ => {}
    }
    errors
}
