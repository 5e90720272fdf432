//! `hms-sys controller manifests`: what installs the SYS Controller in a cluster, as one YAML
//! stream. The CRD is `hms_apply::controller::sysspec::crd()`; "pinned" is
//! `hms_plugin_sdk::image::pinned_by_digest`; the RBAC rules are derived from what the
//! controller and `hms_apply::apply` do against the API (each rule says where it comes from;
//! README, "Running the controller in a cluster", says how to extend them).
//!
//! The stream passes the bundled baseline (`hms-sys check - --profile cis-level-2`) without an
//! exception: the pod does not automount its service-account token (CIS 5.1.6) but mounts the
//! same files as a projected volume, since the controller calls the API; the namespace enforces
//! the restricted Pod Security Standard (5.2.1) and has a NetworkPolicy (5.3.2).

use hms_apply::controller::{self, sysspec};
use serde_json::{Value, json};

/// The port of `/metrics`, `/healthz` and `/readyz` in the pod.
pub const METRICS_PORT: u16 = 8080;
/// Where the compiled-plugin cache lives in the pod (an emptyDir: the root is read-only).
pub const CACHE_DIR: &str = "/var/cache/hms-sys";
/// The UID and GID the container runs as (distroless `nonroot`).
pub const UID: i64 = 65532;
/// Where a pod's service-account files are, as the kubelet would mount them and as the Kubernetes
/// clients (kube-rs's in-cluster configuration) read them.
const TOKEN_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// What to install.
pub struct Install<'a> {
    pub namespace: &'a str,
    /// An image pinned by digest (the caller checks).
    pub image: &'a str,
    pub replicas: u16,
}

/// The verbs of a kind the controller applies, prunes and watches: `get` (preflight, status),
/// `list`/`watch` (prune lists a set's objects by label; drift watches them), `create` and
/// `patch` (server-side apply; the API server authorizes an apply that creates as `create`),
/// `delete` (prune).
const APPLIED: &[&str] = &["get", "list", "watch", "create", "patch", "delete"];

/// The kinds the bundled plugins emit (`hms-sys plugins list -o json`, `emits`), as
/// (group, resource, kind). A test checks this against the plugins.
pub const RENDERED: &[(&str, &str, &str)] = &[
    ("", "namespaces", "Namespace"),
    ("", "serviceaccounts", "ServiceAccount"),
    ("", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("apps", "deployments", "Deployment"),
    ("networking.k8s.io", "networkpolicies", "NetworkPolicy"),
    ("storage.k8s.io", "storageclasses", "StorageClass"),
    (
        "cluster.x-k8s.io",
        "machinedeployments",
        "MachineDeployment",
    ),
    (
        "cluster.x-k8s.io",
        "machinehealthchecks",
        "MachineHealthCheck",
    ),
    ("karpenter.sh", "nodepools", "NodePool"),
    ("karpenter.k8s.aws", "ec2nodeclasses", "EC2NodeClass"),
];

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": [group], "resources": resources, "verbs": verbs})
}

/// The ClusterRole's rules, each derived from the code that needs it.
pub fn cluster_rules() -> Vec<Value> {
    let mut rules = vec![
        // The controller's watch of SysSpecs (kube-runtime `Controller`, the readiness list)
        // and its finalizer (a JSON patch of metadata.finalizers).
        rule(sysspec::GROUP, &["sysspecs"], &["list", "watch", "patch"]),
        // `write_status`: a merge patch of the status subresource.
        rule(sysspec::GROUP, &["sysspecs/status"], &["patch"]),
        // kube-runtime's Recorder creates events and patches them when they repeat; those of
        // the cluster-scoped SysSpec go to namespace `default`.
        rule("events.k8s.io", &["events"], &["create", "patch"]),
        // The set's inventory, ConfigMap hms-sys-<name> in the spec's namespace: read
        // (preflight, status), server-side applied, deleted when its SysSpec is deleted.
        rule("", &["configmaps"], &["get", "create", "patch", "delete"]),
        // `status::observe` lists the nodes carrying the node pool's labels.
        rule("", &["nodes"], &["list"]),
    ];
    // One rule per group of rendered kinds.
    let mut groups: Vec<&str> = Vec::new();
    for (g, _, _) in RENDERED {
        if !groups.contains(g) {
            groups.push(g);
        }
    }
    for group in groups {
        let resources: Vec<&str> = RENDERED
            .iter()
            .filter(|(g, _, _)| *g == group)
            .map(|(_, r, _)| *r)
            .collect();
        rules.push(rule(group, &resources, APPLIED));
    }
    rules
}

fn labels() -> Value {
    json!({
        "app.kubernetes.io/name": "hms-sys",
        "app.kubernetes.io/component": "controller",
        "app.kubernetes.io/version": env!("CARGO_PKG_VERSION"),
        "app.kubernetes.io/managed-by": "hms-sys",
    })
}

fn selector() -> Value {
    json!({"app.kubernetes.io/name": "hms-sys", "app.kubernetes.io/component": "controller"})
}

fn meta(name: &str, namespace: Option<&str>) -> Value {
    let mut m = json!({"name": name, "labels": labels()});
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    m
}

/// Every object, in the order `kubectl apply -f -` should create them.
pub fn objects(install: &Install<'_>) -> Vec<Value> {
    let ns = install.namespace;
    let name = controller::CONTROLLER;
    let mut crd = serde_json::to_value(sysspec::crd()).unwrap_or(Value::Null);
    if let Some(m) = crd.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("labels".into(), labels());
    }
    let subject = json!([{"kind": "ServiceAccount", "name": name, "namespace": ns}]);
    vec![
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": ns,
                "labels": merge(labels(), json!({
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                })),
            },
        }),
        crd,
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta(name, Some(ns)),
            // The pod mounts a projected token itself (see the Deployment).
            "automountServiceAccountToken": false,
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta(name, None),
            "rules": cluster_rules(),
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta(name, None),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": subject,
        }),
        // Leader election (kube-lease-manager): it creates the Lease when there is none, then
        // reads it and patches it (server-side apply and strategic merge); nothing else.
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta(&format!("{name}-lease"), Some(ns)),
            "rules": [
                rule("coordination.k8s.io", &["leases"], &["create"]),
                {
                    "apiGroups": ["coordination.k8s.io"],
                    "resources": ["leases"],
                    "resourceNames": [name],
                    "verbs": ["get", "patch"],
                },
            ],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta(&format!("{name}-lease"), Some(ns)),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("{name}-lease")},
            "subjects": subject,
        }),
        network_policy(ns),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(&format!("{name}-metrics"), Some(ns)),
            "spec": {
                "selector": selector(),
                "ports": [{"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}],
            },
        }),
        deployment(install),
    ]
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// Ingress only to the metrics port; egress only to DNS and HTTPS (the API server, which is
/// behind port 443 or 6443, and the registries `oci://` plugins are pulled from). The API
/// server's address is the cluster's: narrow `to` where it is known.
fn network_policy(ns: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(controller::CONTROLLER, Some(ns)),
        "spec": {
            "podSelector": {"matchLabels": selector()},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": METRICS_PORT}]}],
            "egress": [
                {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
            ],
        },
    })
}

fn deployment(install: &Install<'_>) -> Value {
    let name = controller::CONTROLLER;
    let field_env = |var: &str, path: &str| json!({"name": var, "valueFrom": {"fieldRef": {"fieldPath": path}}});
    let probe = |path: &str, period: u32| {
        json!({
            "httpGet": {"path": path, "port": "metrics"},
            "periodSeconds": period,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        })
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, Some(install.namespace)),
        "spec": {
            "replicas": install.replicas,
            "selector": {"matchLabels": selector()},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "serviceAccountName": name,
                    // The controller calls the API, so the pod has a token; mounted as the
                    // projected volume below rather than automatically (CIS 5.1.6): the same
                    // files where the clients look, and only in this container.
                    "automountServiceAccountToken": false,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "fsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "terminationGracePeriodSeconds": 30,
                    "containers": [{
                        "name": "controller",
                        "image": install.image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": [
                            "controller", "run",
                            "--listen", format!("0.0.0.0:{METRICS_PORT}"),
                            "--cache-dir", CACHE_DIR,
                        ],
                        "env": [
                            field_env("POD_NAME", "metadata.name"),
                            field_env("POD_NAMESPACE", "metadata.namespace"),
                        ],
                        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
                        "livenessProbe": probe("/healthz", 20),
                        "readinessProbe": probe("/readyz", 10),
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "256Mi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                        "securityContext": {
                            "runAsNonRoot": true,
                            "runAsUser": UID,
                            "runAsGroup": UID,
                            "readOnlyRootFilesystem": true,
                            "allowPrivilegeEscalation": false,
                            "privileged": false,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumeMounts": [
                            {"name": "plugin-cache", "mountPath": CACHE_DIR},
                            {"name": "tmp", "mountPath": "/tmp"},
                            {"name": "api-token", "mountPath": TOKEN_DIR, "readOnly": true},
                        ],
                    }],
                    "volumes": [
                        {"name": "plugin-cache", "emptyDir": {"sizeLimit": "512Mi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        {"name": "api-token", "projected": {
                            "defaultMode": 0o444,
                            "sources": [
                                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
                            ],
                        }},
                    ],
                },
            },
        },
    })
}

/// The YAML stream, with a header that says what it is and what it needs.
pub fn render(install: &Install<'_>) -> anyhow::Result<String> {
    let mut out = format!(
        "# The SYS Controller (hms-sys {version}), from `hms-sys controller manifests`.\n\
         # Install: hms-sys controller manifests --image REF@sha256:<digest> \\\n\
         #            | kubectl apply --server-side -f -\n\
         # Namespace {ns}: the controller's Deployment ({replicas} replicas, one leading through\n\
         # the Lease {name}), its ServiceAccount, RBAC, NetworkPolicy and metrics Service; and\n\
         # the cluster-scoped SysSpec CRD and ClusterRole. The ClusterRole grants what the bundled\n\
         # plugins render; a plugin that renders other kinds needs them added (README, \"Running\n\
         # the controller in a cluster\").\n",
        version = env!("CARGO_PKG_VERSION"),
        ns = install.namespace,
        replicas = install.replicas,
        name = controller::CONTROLLER,
    );
    for o in objects(install) {
        out.push_str("---\n");
        out.push_str(&serde_yaml_ng::to_string(&o)?);
    }
    Ok(out)
}
