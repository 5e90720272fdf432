//! The Cluster API backend: a v1beta2 MachineDeployment and MachineHealthCheck.

use hms_plugin_sdk::labels::{self, Labels};
use hms_plugin_sdk::object::match_labels;
use hms_plugin_sdk::{Diagnostic, Output, Reader};
use serde_json::{Map, Value, json};

use crate::render::Pool;

const API: &str = "cluster.x-k8s.io/v1beta2";
/// The label that selects the pool's nodes; `node.cluster.x-k8s.io/*` labels sync to Nodes.
pub const POOL_LABEL: &str = "node.cluster.x-k8s.io/pool";
const RUNTIME_LABEL: &str = "node.cluster.x-k8s.io/runtime";

/// A v1beta2 contract reference `{apiGroup, kind, name}` read from the section.
fn reference(v: &Value, r: &mut Reader, base: &str) -> Option<Value> {
    let group = r.str(v, &format!("{base}/apiGroup"));
    let kind = r.str(v, &format!("{base}/kind"));
    let name = r.str(v, &format!("{base}/name"));
    Some(json!({"apiGroup": group?, "kind": kind?, "name": name?}))
}

/// Renders the MachineDeployment and MachineHealthCheck.
pub fn render(pool: &Pool<'_>, v: &Value, r: &mut Reader) -> Output {
    let cluster = r.str(v, "/clusterApi/clusterName");
    let version = r.opt_str(v, "/clusterApi/kubernetesVersion");
    let infra = reference(v, r, "/clusterApi/infrastructure");
    let bootstrap = reference(v, r, "/clusterApi/bootstrap");
    let (Some(cluster), Some(infra), Some(bootstrap)) = (cluster, infra, bootstrap) else {
        return Output::default();
    };
    let obj_labels = labels::from_pairs(&[("cluster.x-k8s.io/cluster-name", cluster)]);
    let selector = labels::from_pairs(&[(POOL_LABEL, pool.name)]);
    let mut diagnostics = Vec::new();
    if pool.fips() {
        let kind = infra["kind"].as_str().unwrap_or_default();
        let name = infra["name"].as_str().unwrap_or_default();
        diagnostics.push(
            Diagnostic::info(
                "NODEPOOL-FIPS-IMAGE",
                format!(
                    "runtime {} on cluster-api is met by the agency's image in {kind} {name}; \
                     hms-sys does not inspect that template",
                    pool.runtime
                ),
            )
            .at("/clusterApi/infrastructure")
            .hint(
                "build the image with Ubuntu Pro FIPS (`pro enable fips`) and check that \
                 /proc/sys/crypto/fips_enabled reads 1",
            ),
        );
    }
    Output {
        manifests: vec![
            machine_deployment(
                pool,
                cluster,
                version,
                infra,
                bootstrap,
                &obj_labels,
                &selector,
            ),
            health_check(pool, cluster, &obj_labels),
        ],
        diagnostics,
        node_selector: vec![(POOL_LABEL.into(), pool.name.into())],
    }
}

fn machine_deployment(
    pool: &Pool<'_>,
    cluster: &str,
    version: Option<&str>,
    infra: Value,
    bootstrap: Value,
    obj_labels: &Labels,
    selector: &Labels,
) -> Value {
    let mut template_labels = selector.clone();
    template_labels.insert(RUNTIME_LABEL.into(), pool.runtime.into());
    let mut machine = Map::new();
    machine.insert("clusterName".into(), json!(cluster));
    machine.insert("bootstrap".into(), json!({ "configRef": bootstrap }));
    machine.insert("infrastructureRef".into(), infra);
    if let Some(v) = version {
        machine.insert("version".into(), json!(v));
    }
    pool.object(API, "MachineDeployment")
        .labels(obj_labels)
        .body(json!({
            "spec": {
                "clusterName": cluster,
                "replicas": pool.count,
                "selector": match_labels(selector),
                "template": {
                    "metadata": {"labels": labels::to_json(&template_labels)},
                    "spec": machine
                }
            }
        }))
}

/// Remediates Machines whose Node is not Ready for 5 minutes or never joins within 10, while
/// at most 40% of the pool is unhealthy.
fn health_check(pool: &Pool<'_>, cluster: &str, obj_labels: &Labels) -> Value {
    let ready = |status| json!({"type": "Ready", "status": status, "timeoutSeconds": 300});
    pool.object(API, "MachineHealthCheck")
        .labels(obj_labels)
        .body(json!({
            "spec": {
                "clusterName": cluster,
                "selector": {"matchLabels": {"cluster.x-k8s.io/deployment-name": pool.name}},
                "checks": {
                    "nodeStartupTimeoutSeconds": 600,
                    "unhealthyNodeConditions": [ready("Unknown"), ready("False")]
                },
                "remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": "40%"}}
            }
        }))
}
