//! Finds the pod spec (and the pod metadata) inside Pods and the workload kinds that hold a pod template.

use serde_json::Value;

use crate::model::{at, ptr, ptr_i, str_at};

/// Where a kind keeps its pod template: `None` for kinds without one. The built-in kinds by
/// group and kind; any other kind (an Argo `Rollout`, an OpenKruise `CloneSet`, a Knative
/// `Service`, ...) when it carries a pod template where the workload kinds keep theirs:
/// `spec.template` (or a CronJob-like `spec.jobTemplate.spec.template`) holding a pod spec with
/// a `containers` list. A privileged pod behind a kind the baseline does not know is still a
/// privileged pod.
fn template_keys(obj: &Value, group: &str, kind: &str) -> Option<&'static [&'static str]> {
    if let Some(keys) = builtin_template_keys(group, kind) {
        return Some(keys);
    }
    const TEMPLATE: &[&str] = &["spec", "template"];
    const JOB_TEMPLATE: &[&str] = &["spec", "jobTemplate", "spec", "template"];
    [TEMPLATE, JOB_TEMPLATE].into_iter().find(|keys| {
        at(obj, keys)
            .and_then(|t| at(t, &["spec", "containers"]))
            .is_some_and(Value::is_array)
    })
}

/// The built-in kinds that hold a pod (or are one).
fn builtin_template_keys(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (group, kind) {
        ("", "Pod") => Some(&[]),
        ("", "PodTemplate") => Some(&["template"]),
        ("", "ReplicationController") => Some(&["spec", "template"]),
        ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => {
            Some(&["spec", "template"])
        }
        ("batch", "Job") => Some(&["spec", "template"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

/// A pod (or pod template) found in a manifest.
pub struct PodView<'a> {
    /// The pod's metadata (`Value::Null` when absent).
    pub meta: &'a Value,
    /// JSON pointer to the pod metadata within the manifest.
    pub meta_path: String,
    /// The pod spec (`Value::Null` when absent).
    pub spec: &'a Value,
    /// JSON pointer to the pod spec within the manifest.
    pub spec_path: String,
    /// Run-to-completion workloads (Job, CronJob), for which probes make no sense.
    pub batch: bool,
}

static NULL: Value = Value::Null;

/// Whether a manifest carries a pod spec: a built-in pod kind, or any kind with a pod template
/// (see [`template_keys`]).
pub fn is_pod_kind(obj: &Value, group: &str, kind: &str) -> bool {
    template_keys(obj, group, kind).is_some()
}

/// The pod within a manifest, if its kind has one. `Err` holds the pointer of a template or
/// spec that is present but not a JSON object.
pub fn pod_of<'a>(obj: &'a Value, group: &str, kind: &str) -> Option<Result<PodView<'a>, String>> {
    let keys = template_keys(obj, group, kind)?;
    let mut base = String::new();
    for key in keys {
        base = ptr(&base, key);
    }
    let holder = if keys.is_empty() {
        obj
    } else {
        match at(obj, keys) {
            Some(v) => v,
            None => &NULL,
        }
    };
    if !(holder.is_object() || holder.is_null()) {
        return Some(Err(base));
    }
    let meta = at(holder, &["metadata"]).unwrap_or(&NULL);
    let spec = at(holder, &["spec"]).unwrap_or(&NULL);
    if !(meta.is_object() || meta.is_null()) {
        return Some(Err(ptr(&base, "metadata")));
    }
    if !(spec.is_object() || spec.is_null()) {
        return Some(Err(ptr(&base, "spec")));
    }
    Some(Ok(PodView {
        meta,
        meta_path: ptr(&base, "metadata"),
        spec,
        spec_path: ptr(&base, "spec"),
        batch: group == "batch" || keys.len() > 2,
    }))
}

/// Which list of the pod spec a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    Init,
    Regular,
    Ephemeral,
}

/// A container of a pod spec.
pub struct ContainerView<'a> {
    pub value: &'a Value,
    /// JSON pointer to the container within the manifest.
    pub path: String,
    /// The container's name, or `#<index>` when it has none.
    pub name: String,
    pub list: ContainerList,
}

impl ContainerView<'_> {
    /// `container "app"`, `init container "setup"` or `ephemeral container "debug"`.
    pub fn label(&self) -> String {
        let what = match self.list {
            ContainerList::Init => "init container",
            ContainerList::Regular => "container",
            ContainerList::Ephemeral => "ephemeral container",
        };
        format!("{what} {:?}", self.name)
    }

    /// The container's securityContext, if it is an object.
    pub fn security_context(&self) -> Option<&Value> {
        at(self.value, &["securityContext"]).filter(|v| v.is_object())
    }

    /// A field of the container's securityContext (JSON null counts as absent).
    pub fn sc(&self, keys: &[&str]) -> Option<&Value> {
        at(self.security_context()?, keys)
    }

    /// Pointer to a field of the container's securityContext.
    pub fn sc_path(&self, keys: &[&str]) -> String {
        let mut p = ptr(&self.path, "securityContext");
        for key in keys {
            p = ptr(&p, key);
        }
        p
    }
}

/// The containers of a pod spec, in the order Pod Security Admission visits them: init
/// containers, containers, ephemeral containers. Entries that are not objects are skipped.
pub fn containers<'a>(spec: &'a Value, spec_path: &str) -> Vec<ContainerView<'a>> {
    let mut out = Vec::new();
    for (key, list) in [
        ("initContainers", ContainerList::Init),
        ("containers", ContainerList::Regular),
        ("ephemeralContainers", ContainerList::Ephemeral),
    ] {
        let Some(Value::Array(items)) = at(spec, &[key]) else {
            continue;
        };
        let base = ptr(spec_path, key);
        for (i, item) in items.iter().enumerate() {
            if !item.is_object() {
                continue;
            }
            out.push(ContainerView {
                value: item,
                path: ptr_i(&base, i),
                name: str_at(item, &["name"])
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{i}")),
                list,
            });
        }
    }
    out
}

/// The pod-level securityContext field (JSON null counts as absent).
pub fn pod_sc<'a>(pod: &PodView<'a>, keys: &[&str]) -> Option<&'a Value> {
    let sc = at(pod.spec, &["securityContext"]).filter(|v| v.is_object())?;
    at(sc, keys)
}

/// Pointer to a field of the pod-level securityContext.
pub fn pod_sc_path(pod: &PodView<'_>, keys: &[&str]) -> String {
    let mut p = ptr(&pod.spec_path, "securityContext");
    for key in keys {
        p = ptr(&p, key);
    }
    p
}

/// `spec.os.name: windows`, which exempts a pod from some restricted checks.
pub fn is_windows(pod: &PodView<'_>) -> bool {
    str_at(pod.spec, &["os", "name"]) == Some("windows")
}

/// `spec.hostUsers: false` (a user-namespaced pod), which relaxes some checks since 1.35.
pub fn in_user_namespace(pod: &PodView<'_>) -> bool {
    matches!(at(pod.spec, &["hostUsers"]), Some(Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_templates() {
        let cron = json!({"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"name":"m"},"spec":{"containers":[{"name":"a"}]}}}}}});
        let pod = pod_of(&cron, "batch", "CronJob").and_then(Result::ok);
        let pod = pod.expect("cronjob has a pod");
        assert_eq!(pod.spec_path, "/spec/jobTemplate/spec/template/spec");
        assert!(pod.batch);
        let c = containers(pod.spec, &pod.spec_path);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].path,
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );

        let bare = json!({"spec":{}});
        let pod = pod_of(&bare, "", "Pod").and_then(Result::ok).expect("pod");
        assert_eq!(pod.spec_path, "/spec");
        assert!(pod_of(&bare, "", "ConfigMap").is_none());
        assert!(pod_of(&bare, "example.com", "Deployment").is_none());

        // Any kind with a pod template where the workload kinds keep theirs.
        let rollout = json!({"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}});
        let pod = pod_of(&rollout, "argoproj.io", "Rollout").and_then(Result::ok);
        assert_eq!(
            pod.expect("rollout has a pod").spec_path,
            "/spec/template/spec"
        );
        assert!(is_pod_kind(&rollout, "argoproj.io", "Rollout"));
        let cron_like =
            json!({"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[]}}}}}});
        assert!(pod_of(&cron_like, "example.com", "Schedule").is_some());
        let not_a_pod = json!({"spec":{"template":{"data":{}}}});
        assert!(pod_of(&not_a_pod, "example.com", "Template").is_none());
        assert!(matches!(
            pod_of(&json!({"spec":{"template":5}}), "apps", "Deployment"),
            Some(Err(_))
        ));
    }
}
