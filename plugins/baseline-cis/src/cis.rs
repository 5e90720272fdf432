//! CIS Kubernetes Benchmark section 5 controls beyond the Pod Security Standards, and the
//! HMS hardening warnings (image digest, resources, probes, high UID).
//!
//! Per-pod checks: 5.1.5/5.1.6 (service account and token automount), 5.4.1 (secrets in env),
//! `HMS-*` warnings. Per-object: 5.7.4 (default namespace). Across the whole set: 5.3.2 (a
//! NetworkPolicy per namespace that runs pods) and 5.2.1 (the namespace's Pod Security label).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::model::{
    Finding, ObjectRef, Profile, Severity, Sink, arr_at, at, ptr, ptr_i, show, str_at,
};
use crate::pods::{ContainerList, PodView, containers, is_windows, pod_sc, pod_sc_path};

const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// UIDs below this may collide with host users (checkov CKV_K8S_40).
const HIGH_UID: f64 = 10000.0;

/// Facts about the whole manifest set that the per-object checks need.
#[derive(Default)]
pub struct Inventory {
    /// `automountServiceAccountToken` of each ServiceAccount in the set, by (namespace, name).
    service_accounts: HashMap<(String, String), Option<bool>>,
    /// Namespaces that have at least one NetworkPolicy in the set.
    policed_namespaces: HashSet<String>,
}

/// The namespace an object lands in: its own, else the spec's, else `default`.
pub fn effective_namespace(object: &ObjectRef, ctx_namespace: &str) -> String {
    if !object.namespace.is_empty() {
        object.namespace.clone()
    } else if !ctx_namespace.is_empty() {
        ctx_namespace.to_string()
    } else {
        "default".to_string()
    }
}

fn is_network_policy(object: &ObjectRef) -> bool {
    object.kind == "NetworkPolicy" || object.kind == "CiliumNetworkPolicy"
}

impl Inventory {
    /// Collects service accounts and network policies.
    pub fn new(objects: &[(Value, ObjectRef)], ctx_namespace: &str) -> Self {
        let mut inv = Inventory::default();
        for (obj, r) in objects {
            let ns = effective_namespace(r, ctx_namespace);
            if r.group.is_empty() && r.kind == "ServiceAccount" {
                let automount = at(obj, &["automountServiceAccountToken"]).and_then(Value::as_bool);
                inv.service_accounts.insert((ns, r.name.clone()), automount);
            } else if is_network_policy(r) {
                inv.policed_namespaces.insert(ns);
            }
        }
        inv
    }
}

/// CIS and HMS checks of one pod whose object lands in namespace `ns`.
pub fn check_pod(pod: &PodView<'_>, ns: &str, inv: &Inventory, sink: &mut Sink<'_>) {
    service_account(pod, ns, inv, sink);
    secrets_in_env(pod, sink);
    images_and_resources(pod, sink);
    run_as_high_uid(pod, sink);
}

fn service_account(pod: &PodView<'_>, ns: &str, inv: &Inventory, sink: &mut Sink<'_>) {
    let sa_field = ["serviceAccountName", "serviceAccount"]
        .into_iter()
        .find(|k| str_at(pod.spec, &[k]).is_some_and(|s| !s.is_empty()));
    let sa = sa_field
        .and_then(|k| str_at(pod.spec, &[k]))
        .unwrap_or("default");
    let pod_setting = at(pod.spec, &["automountServiceAccountToken"]).and_then(Value::as_bool);
    let sa_setting = inv
        .service_accounts
        .get(&(ns.to_string(), sa.to_string()))
        .copied();
    let mounted = pod_setting.or(sa_setting.flatten()).unwrap_or(true);

    if mounted {
        let why = match (pod_setting, sa_setting) {
            (Some(_), _) => "the pod sets automountServiceAccountToken=true".to_string(),
            (None, Some(_)) => format!(
                "neither the pod nor its ServiceAccount {sa:?} sets automountServiceAccountToken=false"
            ),
            (None, None) => format!(
                "the pod does not set automountServiceAccountToken=false and its ServiceAccount {sa:?} is not in the manifests"
            ),
        };
        sink.error(
            "CIS-5.1.6",
            ptr(&pod.spec_path, "automountServiceAccountToken"),
            format!("the service account token is mounted into the pod: {why}"),
            "set automountServiceAccountToken: false on the pod spec (or its ServiceAccount); mount a projected token only where the workload calls the API",
        );
    }
    if sa == "default" {
        let severity = if mounted {
            Severity::Error
        } else {
            Severity::Warning
        };
        sink.push(
            severity,
            "CIS-5.1.5",
            ptr(&pod.spec_path, sa_field.unwrap_or("serviceAccountName")),
            if mounted {
                "the pod runs as the namespace's default ServiceAccount with its token mounted"
                    .to_string()
            } else {
                "the pod runs as the namespace's default ServiceAccount".to_string()
            },
            "create a dedicated ServiceAccount for the workload and set serviceAccountName",
        );
    }
}

fn secrets_in_env(pod: &PodView<'_>, sink: &mut Sink<'_>) {
    let hint = "mount the Secret as a volume (or use an external secret store) instead of environment variables";
    for c in containers(pod.spec, &pod.spec_path) {
        for (i, var) in arr_at(c.value, &["env"]).iter().enumerate() {
            if at(var, &["valueFrom", "secretKeyRef"]).is_some() {
                let name = at(var, &["name"]).map(show).unwrap_or_default();
                sink.warning(
                    "CIS-5.4.1",
                    ptr(
                        &ptr(&ptr_i(&ptr(&c.path, "env"), i), "valueFrom"),
                        "secretKeyRef",
                    ),
                    format!(
                        "{} reads a Secret into environment variable {name}",
                        c.label()
                    ),
                    hint,
                );
            }
        }
        for (i, source) in arr_at(c.value, &["envFrom"]).iter().enumerate() {
            if at(source, &["secretRef"]).is_some() {
                sink.warning(
                    "CIS-5.4.1",
                    ptr(&ptr_i(&ptr(&c.path, "envFrom"), i), "secretRef"),
                    format!(
                        "{} imports a whole Secret as environment variables",
                        c.label()
                    ),
                    hint,
                );
            }
        }
    }
}

fn images_and_resources(pod: &PodView<'_>, sink: &mut Sink<'_>) {
    for c in containers(pod.spec, &pod.spec_path) {
        let image = str_at(c.value, &["image"]).unwrap_or("");
        if !hms_plugin_sdk::image::pinned_by_digest(image) {
            sink.warning(
                "HMS-IMAGE-DIGEST",
                ptr(&c.path, "image"),
                format!(
                    "{} image {image:?} is not pinned by a sha256 digest (NIST SI-7)",
                    c.label()
                ),
                "pin the image by digest: image: <repository>@sha256:<digest>",
            );
        }
        if c.list == ContainerList::Ephemeral {
            continue;
        }
        let missing: Vec<&str> = [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "cpu"),
            ("limits", "memory"),
        ]
        .into_iter()
        .filter(|(k, r)| at(c.value, &["resources", k, r]).is_none())
        .map(|(k, r)| match (k, r) {
            ("requests", "cpu") => "requests.cpu",
            ("requests", _) => "requests.memory",
            (_, "cpu") => "limits.cpu",
            _ => "limits.memory",
        })
        .collect();
        if !missing.is_empty() {
            sink.warning(
                "HMS-RESOURCES",
                ptr(&c.path, "resources"),
                format!("{} does not set {}", c.label(), missing.join(", ")),
                "set resources.requests and resources.limits for cpu and memory",
            );
        }
        if c.list == ContainerList::Regular && !pod.batch {
            let absent: Vec<&str> = ["livenessProbe", "readinessProbe"]
                .into_iter()
                .filter(|k| at(c.value, &[k]).is_none())
                .collect();
            if let Some(first) = absent.first() {
                sink.warning(
                    "HMS-PROBES",
                    ptr(&c.path, first),
                    format!("{} has no {}", c.label(), absent.join(" or ")),
                    "add livenessProbe and readinessProbe (httpGet, tcpSocket, grpc or exec)",
                );
            }
        }
    }
}

fn run_as_high_uid(pod: &PodView<'_>, sink: &mut Sink<'_>) {
    if is_windows(pod) {
        return;
    }
    let hint = "set securityContext.runAsUser to 10000 or more on the pod";
    let pod_uid = pod_sc(pod, &["runAsUser"]);
    let mut inheriting = Vec::new();
    for c in containers(pod.spec, &pod.spec_path) {
        match c.sc(&["runAsUser"]) {
            Some(uid) => {
                if uid.as_f64().is_none_or(|u| u < HIGH_UID) {
                    sink.warning(
                        "HMS-RUN-AS-USER",
                        c.sc_path(&["runAsUser"]),
                        format!("{} runs as UID {}, below 10000", c.label(), show(uid)),
                        hint,
                    );
                }
            }
            None => inheriting.push(c.name.clone()),
        }
    }
    if inheriting.is_empty() {
        return;
    }
    match pod_uid {
        Some(uid) if uid.as_f64().is_some_and(|u| u >= HIGH_UID) => {}
        Some(uid) => sink.warning(
            "HMS-RUN-AS-USER",
            pod_sc_path(pod, &["runAsUser"]),
            format!("pod runs as UID {}, below 10000", show(uid)),
            hint,
        ),
        None => sink.warning(
            "HMS-RUN-AS-USER",
            pod_sc_path(pod, &["runAsUser"]),
            format!(
                "runAsUser is not set, so containers {:?} run as the image's user",
                inheriting
            ),
            hint,
        ),
    }
}

/// Checks of any object: 5.7.4 (default namespace) and 5.1.5 for a `default` ServiceAccount.
pub fn check_object(obj: &Value, object: &ObjectRef, pod_kind: bool, sink: &mut Sink<'_>) {
    let hint = "put the object in a dedicated namespace (set metadata.namespace)";
    if object.namespace == "default" {
        sink.error(
            "CIS-5.7.4",
            "/metadata/namespace".to_string(),
            format!("{} is in the default namespace", object.display()),
            hint,
        );
    } else if object.namespace.is_empty() && pod_kind {
        sink.error(
            "CIS-5.7.4",
            "/metadata/namespace".to_string(),
            format!(
                "{} has no namespace and would be created in the current one, usually default",
                object.display()
            ),
            hint,
        );
    }
    if object.group.is_empty()
        && object.kind == "ServiceAccount"
        && object.name == "default"
        && at(obj, &["automountServiceAccountToken"]) != Some(&Value::Bool(false))
    {
        sink.warning(
            "CIS-5.1.5",
            "/automountServiceAccountToken".to_string(),
            "the default ServiceAccount mounts its token into every pod that uses it".to_string(),
            "set automountServiceAccountToken: false on the default ServiceAccount",
        );
    }
}

/// A namespace that runs pods, with the first object that puts a pod there.
pub struct PodNamespace {
    pub name: String,
    pub first: ObjectRef,
}

/// 5.3.2 and 5.2.1 over the namespaces that run pods.
pub fn check_namespaces(
    objects: &[(Value, ObjectRef)],
    pod_namespaces: &[PodNamespace],
    inv: &Inventory,
    profile: Profile,
    out: &mut Vec<Finding>,
) {
    let namespace_object = |name: &str| {
        objects
            .iter()
            .find(|(_, r)| r.group.is_empty() && r.kind == "Namespace" && r.name == name)
    };
    for pns in pod_namespaces {
        let ns_obj = namespace_object(&pns.name);
        if !inv.policed_namespaces.contains(&pns.name) {
            let object = ns_obj.map(|(_, r)| r).unwrap_or(&pns.first);
            Sink { object, out }.error(
                "CIS-5.3.2",
                String::new(),
                format!(
                    "namespace {:?} runs pods ({}) but the manifests contain no NetworkPolicy for it",
                    pns.name,
                    pns.first.display()
                ),
                "add a NetworkPolicy in the namespace (default-deny ingress and egress, then allow what is needed)",
            );
        }
        let Some((obj, object)) = ns_obj else {
            continue;
        };
        let label = at(obj, &["metadata", "labels"])
            .and_then(|labels| at(labels, &[ENFORCE_LABEL]))
            .and_then(Value::as_str);
        let ok = match profile {
            Profile::Restricted => label == Some("restricted"),
            Profile::Baseline => matches!(label, Some("restricted" | "baseline")),
        };
        if !ok {
            let message = match label {
                Some(l) => format!(
                    "namespace {:?} runs pods but enforces Pod Security level {l:?}, weaker than {:?}",
                    pns.name,
                    profile.as_str()
                ),
                None => format!(
                    "namespace {:?} runs pods but has no {ENFORCE_LABEL} label",
                    pns.name
                ),
            };
            Sink { object, out }.error(
                "CIS-5.2.1",
                ptr("/metadata/labels", ENFORCE_LABEL),
                message,
                &format!(
                    "label the namespace {ENFORCE_LABEL}: {} (and {ENFORCE_LABEL}-version: latest)",
                    profile.as_str()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_namespace_falls_back() {
        let mut r = ObjectRef::default();
        assert_eq!(effective_namespace(&r, ""), "default");
        assert_eq!(effective_namespace(&r, "ctx"), "ctx");
        r.namespace = "own".into();
        assert_eq!(effective_namespace(&r, "ctx"), "own");
    }
}
