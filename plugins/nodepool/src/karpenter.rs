//! The Karpenter (AWS) backend: a karpenter.sh/v1 NodePool and a karpenter.k8s.aws/v1
//! EC2NodeClass, or an error when Karpenter cannot provide the runtime.

use hms_plugin_sdk::labels;
use hms_plugin_sdk::{Diagnostic, Output, Reader};
use serde_json::{Map, Value, json};

use crate::render::Pool;

/// The label Karpenter puts on every node of a NodePool.
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";
const DISCOVERY_TAG: &str = "karpenter.sh/discovery";

/// How the EC2NodeClass selects the runtime's AMI.
enum Ami {
    Alias(&'static str),
    Ssm(String),
}

/// The AMI selection for `runtime`, or the error diagnostic when Karpenter cannot provide it.
fn ami_for(runtime: &str, k8s: &str) -> Result<Ami, Box<Diagnostic>> {
    match runtime {
        "bottlerocket" => Ok(Ami::Alias("bottlerocket@latest")),
        "al2023" => Ok(Ami::Alias("al2023@latest")),
        "fips-bottlerocket" => Ok(Ami::Ssm(format!(
            "/aws/service/bottlerocket/aws-k8s-{k8s}-fips/x86_64/latest/image_id"
        ))),
        other => {
            let fips = other.starts_with("fips-");
            let what = if other.contains("ubuntu") {
                "there is no EKS-optimized Ubuntu image for Karpenter to select"
            } else {
                "there is no EKS-optimized FIPS AL2023 image (and no FIPS alias)"
            };
            let hint = if fips {
                "use runtime fips-bottlerocket on karpenter, or provider cluster-api with your \
                 Ubuntu Pro FIPS image, or provider static with pre-built FIPS nodes"
            } else {
                "use runtime bottlerocket or al2023 on karpenter, or provider cluster-api or \
                 static with your own Ubuntu nodes"
            };
            Err(Box::new(
                Diagnostic::error(
                    "NODEPOOL-RUNTIME-UNSUPPORTED",
                    format!("Karpenter cannot guarantee runtime {other}: {what}"),
                )
                .at("/runtime")
                .hint(hint),
            ))
        }
    }
}

/// `1.33`, `v1.33` and `v1.33.1` all give `1.33`, the form the SSM path takes.
fn minor_version(v: &str) -> String {
    let v = v.strip_prefix('v').unwrap_or(v);
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Renders the NodePool and EC2NodeClass.
pub fn render(pool: &Pool<'_>, v: &Value, r: &mut Reader) -> Output {
    let cluster = r.str(v, "/karpenter/clusterName");
    let role = r.str(v, "/karpenter/role");
    let static_capacity = r.bool_or(v, "/karpenter/staticCapacity", false);
    let k8s = r.str(v, "/karpenter/kubernetesVersion");
    let (Some(cluster), Some(role), Some(k8s)) = (cluster, role, k8s) else {
        return Output::default();
    };
    let ami = match ami_for(pool.runtime, &minor_version(k8s)) {
        Ok(ami) => ami,
        Err(d) => return Output::failed(vec![*d]),
    };
    let mut diagnostics = Vec::new();
    if static_capacity {
        diagnostics.push(
            Diagnostic::info(
                "NODEPOOL-STATIC-CAPACITY",
                format!(
                    "spec.replicas = {} keeps a fixed node count; it needs Karpenter's alpha \
                     StaticCapacity feature gate and cannot be removed once set",
                    pool.count
                ),
            )
            .at("/karpenter/staticCapacity"),
        );
    } else {
        diagnostics.push(
            Diagnostic::warning(
                "NODEPOOL-COUNT-IS-A-LIMIT",
                format!(
                    "Karpenter sizes the pool from pending pods: count {} becomes limits.nodes \
                     (a ceiling), not a node count",
                    pool.count
                ),
            )
            .at("/count")
            .hint("set karpenter.staticCapacity: true (alpha StaticCapacity gate) to keep exactly `count` nodes"),
        );
    }
    if let Ami::Ssm(path) = &ami {
        diagnostics.push(
            Diagnostic::info(
                "NODEPOOL-FIPS-IMAGE",
                format!(
                    "runtime {} selects the Bottlerocket FIPS AMI through SSM parameter {path}; \
                     AWS ships these with FIPS 140-3 validated modules",
                    pool.runtime
                ),
            )
            .at("/runtime"),
        );
    }
    Output {
        manifests: vec![
            node_pool(pool, static_capacity),
            node_class(pool, cluster, role, &ami),
        ],
        diagnostics,
        node_selector: vec![(NODEPOOL_LABEL.into(), pool.name.into())],
    }
}

fn node_pool(pool: &Pool<'_>, static_capacity: bool) -> Value {
    let node_labels =
        labels::from_pairs(&[("hms.io/pool", pool.name), ("hms.io/runtime", pool.runtime)]);
    let requirement =
        |key: &str, values: &[&str]| json!({"key": key, "operator": "In", "values": values});
    let mut spec = Map::new();
    if static_capacity {
        spec.insert("replicas".into(), json!(pool.count));
    }
    spec.insert(
        "template".into(),
        json!({
            "metadata": {"labels": labels::to_json(&node_labels)},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool.name},
                "requirements": [
                    requirement("kubernetes.io/arch", &["amd64"]),
                    requirement("kubernetes.io/os", &["linux"]),
                    requirement("karpenter.sh/capacity-type", &["on-demand"])
                ],
                "expireAfter": "720h"
            }
        }),
    );
    spec.insert("limits".into(), json!({"nodes": pool.count.to_string()}));
    spec.insert(
        "disruption".into(),
        json!({
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": "5m",
            "budgets": [{"nodes": "10%"}]
        }),
    );
    pool.object("karpenter.sh/v1", "NodePool")
        .cluster_scoped()
        .body(json!({ "spec": spec }))
}

/// An encrypted gp3 EBS volume.
fn ebs(device: &str, size: &str, root: bool) -> Value {
    json!({
        "deviceName": device,
        "rootVolume": root,
        "ebs": {
            "volumeSize": size,
            "volumeType": "gp3",
            "encrypted": true,
            "deleteOnTermination": true
        }
    })
}

fn node_class(pool: &Pool<'_>, cluster: &str, role: &str, ami: &Ami) -> Value {
    let discovery = json!([{ "tags": { DISCOVERY_TAG: cluster } }]);
    let mut spec = Map::new();
    let bottlerocket = match ami {
        Ami::Alias(alias) => {
            spec.insert("amiSelectorTerms".into(), json!([{ "alias": alias }]));
            alias.starts_with("bottlerocket")
        }
        Ami::Ssm(path) => {
            spec.insert("amiFamily".into(), json!("Bottlerocket"));
            spec.insert("amiSelectorTerms".into(), json!([{ "ssmParameter": path }]));
            true
        }
    };
    spec.insert("role".into(), json!(role));
    spec.insert("subnetSelectorTerms".into(), discovery.clone());
    spec.insert("securityGroupSelectorTerms".into(), discovery);
    spec.insert(
        "metadataOptions".into(),
        json!({
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required"
        }),
    );
    // Bottlerocket keeps the OS on /dev/xvda and the kubelet's data on /dev/xvdb.
    let disks = if bottlerocket {
        json!([
            ebs("/dev/xvda", "4Gi", false),
            ebs("/dev/xvdb", "20Gi", true)
        ])
    } else {
        json!([ebs("/dev/xvda", "20Gi", true)])
    };
    spec.insert("blockDeviceMappings".into(), disks);
    pool.object("karpenter.k8s.aws/v1", "EC2NodeClass")
        .cluster_scoped()
        .body(json!({ "spec": spec }))
}
