//! The hardened Deployment: restricted pod and container security contexts, the volume
//! mount, probes, spreading over nodes and the node pool's selector.

use hms_plugin_sdk::Ctx;
use hms_plugin_sdk::labels::{self, Labels};
use hms_plugin_sdk::object::match_labels;
use serde_json::{Map, Value, json};

/// The section's fields, read and checked.
pub struct Workload<'a> {
    pub image: &'a str,
    pub replicas: u64,
    pub name: &'a str,
    /// The PVC to mount; `None` for `volume: none`.
    pub volume: Option<&'a str>,
    pub mount_path: &'a str,
    pub read_only: bool,
    pub port: Option<u64>,
    pub run_as_user: u64,
    pub resources: Value,
}

fn container(w: &Workload<'_>) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!(w.name));
    c.insert("image".into(), json!(w.image));
    let policy = if hms_plugin_sdk::image::pinned_by_digest(w.image) {
        "IfNotPresent"
    } else {
        "Always"
    };
    c.insert("imagePullPolicy".into(), json!(policy));
    if let Some(port) = w.port {
        c.insert(
            "ports".into(),
            json!([{"name": "app", "containerPort": port, "protocol": "TCP"}]),
        );
        c.insert(
            "readinessProbe".into(),
            json!({"tcpSocket": {"port": port}, "initialDelaySeconds": 5, "periodSeconds": 10}),
        );
        c.insert(
            "livenessProbe".into(),
            json!({"tcpSocket": {"port": port}, "initialDelaySeconds": 15, "periodSeconds": 20}),
        );
    }
    c.insert("resources".into(), w.resources.clone());
    c.insert(
        "securityContext".into(),
        json!({
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "privileged": false,
            "runAsNonRoot": true,
            "capabilities": {"drop": ["ALL"]}
        }),
    );
    let mut mounts = Vec::new();
    if w.volume.is_some() {
        mounts.push(json!({"name": "data", "mountPath": w.mount_path, "readOnly": w.read_only}));
    }
    mounts.push(json!({"name": "tmp", "mountPath": "/tmp"}));
    c.insert("volumeMounts".into(), json!(mounts));
    Value::Object(c)
}

fn pod_spec(w: &Workload<'_>, ctx: &Ctx, selector: &Labels) -> Value {
    let mut s = Map::new();
    s.insert("serviceAccountName".into(), json!(w.name));
    s.insert("automountServiceAccountToken".into(), json!(false));
    if !ctx.node_selector.is_empty() {
        let ns = labels::from_pairs(&ctx.node_selector);
        s.insert("nodeSelector".into(), labels::to_json(&ns));
    }
    s.insert(
        "topologySpreadConstraints".into(),
        json!([{
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": match_labels(selector)
        }]),
    );
    s.insert(
        "securityContext".into(),
        json!({
            "runAsNonRoot": true,
            "runAsUser": w.run_as_user,
            "runAsGroup": w.run_as_user,
            "fsGroup": w.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"}
        }),
    );
    s.insert("containers".into(), json!([container(w)]));
    let mut volumes = Vec::new();
    if let Some(claim) = w.volume {
        volumes.push(json!({"name": "data", "persistentVolumeClaim": {"claimName": claim}}));
    }
    volumes.push(json!({"name": "tmp", "emptyDir": {}}));
    s.insert("volumes".into(), json!(volumes));
    Value::Object(s)
}

/// The Deployment; its pods carry all of `labels` and are selected by the name label.
pub fn deployment(w: &Workload<'_>, ctx: &Ctx, labels: &Labels) -> Value {
    let selector = labels::from_pairs(&[("app.kubernetes.io/name", w.name)]);
    ctx.object("apps/v1", "Deployment", w.name, crate::render::COMPONENT)
        .labels(labels)
        .body(json!({
            "spec": {
                "replicas": w.replicas,
                "selector": match_labels(&selector),
                "template": {
                    "metadata": {"labels": labels::to_json(labels)},
                    "spec": pod_spec(w, ctx, &selector)
                }
            }
        }))
}
