//! Generic readiness of one live Kubernetes object, after kstatus (sigs.k8s.io/cli-utils):
//! the owner of these rules. Plugins use them in their `status`; the host applies them to the
//! objects of a section whose plugin does not judge it (built against `hms:sys` 0.1, or
//! returning none), and to every applied object under `apply --wait`.

use serde_json::Value;

/// Where an object stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Reconciled and serving.
    Ready,
    /// Not yet, with the reason.
    InProgress(String),
    /// Will not get there by itself, with the reason.
    Failed(String),
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        *self == Readiness::Ready
    }
}

/// The condition of type `kind` in `status.conditions`.
pub fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

/// Whether the condition is `status: "True"`.
pub fn is_true(c: Option<&Value>) -> bool {
    c.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True")
}

/// Whether the condition is `status: "False"` (absent is neither true nor false).
pub fn is_false(c: Option<&Value>) -> bool {
    c.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("False")
}

/// A string field of a condition (`reason`, `message`), empty when absent.
pub fn field(c: Option<&Value>, field: &str) -> String {
    c.and_then(|c| c.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// `reason: message` of a condition, or whichever of them is set.
pub fn explained(c: Option<&Value>) -> String {
    [field(c, "reason"), field(c, "message")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

fn num(v: &Value, p: &str) -> Option<u64> {
    v.pointer(p).and_then(Value::as_u64)
}

/// The readiness of `live`, an object of `kind` (`Deployment`, `PersistentVolumeClaim`, any
/// custom kind) as the API server returns it:
/// - `Stalled=True` fails; a `status.observedGeneration` behind `metadata.generation` is in
///   progress (the controller has not seen the latest spec);
/// - the workload kinds count their replicas, a claim must be `Bound`, a Pod `Running` and
///   `Ready` (or `Succeeded`), a Job `Complete`;
/// - any other kind is ready unless a `Ready` or `Available` condition is `False` or
///   `Reconciling=True`. An object without status is ready: many kinds (ConfigMaps,
///   NetworkPolicies, Services) have nothing to wait for.
pub fn readiness(kind: &str, live: &Value) -> Readiness {
    readiness_with_replicas(kind, live, None)
}

/// [`readiness`], counting the replicas of a Deployment, StatefulSet or ReplicaSet against
/// `replicas` (what the spec asks for) when given, instead of the live `spec.replicas`
/// (which someone may have scaled).
pub fn readiness_with_replicas(kind: &str, live: &Value, replicas: Option<u64>) -> Readiness {
    let stalled = condition(live, "Stalled");
    if is_true(stalled) {
        return Readiness::Failed(format!("stalled: {}", explained(stalled)));
    }
    if let (Some(seen), Some(generation)) = (
        num(live, "/status/observedGeneration"),
        num(live, "/metadata/generation"),
    ) && seen < generation
    {
        return Readiness::InProgress(format!(
            "the controller has not observed generation {generation} yet"
        ));
    }
    match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            let want = replicas
                .or_else(|| num(live, "/spec/replicas"))
                .unwrap_or(1);
            count_replicas(kind, live, want)
        }
        "DaemonSet" => daemons(live),
        "PersistentVolumeClaim" => claim(live),
        "Pod" => pod(live),
        "Job" => job(live),
        _ => conditions(live),
    }
}

fn count_replicas(kind: &str, live: &Value, want: u64) -> Readiness {
    if live.get("status").is_none() {
        return Readiness::InProgress(format!("{kind} has no status yet"));
    }
    let progressing = condition(live, "Progressing");
    if field(progressing, "reason") == "ProgressDeadlineExceeded" {
        return Readiness::Failed(field(progressing, "message"));
    }
    let get = |p: &str| num(live, p).unwrap_or(0);
    let updated = if kind == "ReplicaSet" {
        get("/status/replicas")
    } else {
        get("/status/updatedReplicas")
    };
    if updated < want {
        return Readiness::InProgress(format!(
            "{updated}/{want} pods updated to the current version"
        ));
    }
    let total = get("/status/replicas");
    if total > want {
        return Readiness::InProgress(format!("{} old pods still terminating", total - want));
    }
    let ready = get("/status/readyReplicas");
    if ready < want {
        return Readiness::InProgress(format!("{ready}/{want} pods ready"));
    }
    conditions(live)
}

fn daemons(live: &Value) -> Readiness {
    let get = |p: &str| num(live, p).unwrap_or(0);
    let want = get("/status/desiredNumberScheduled");
    let ready = get("/status/numberAvailable");
    if live.get("status").is_none() {
        return Readiness::InProgress("DaemonSet has no status yet".to_string());
    }
    if get("/status/updatedNumberScheduled") < want || ready < want {
        return Readiness::InProgress(format!("{ready}/{want} daemon pods available"));
    }
    Readiness::Ready
}

fn claim(live: &Value) -> Readiness {
    match live.pointer("/status/phase").and_then(Value::as_str) {
        Some("Bound") => Readiness::Ready,
        Some("Lost") => Readiness::Failed("the claim lost its volume".to_string()),
        Some(p) => Readiness::InProgress(format!("the claim is {p}")),
        None => Readiness::InProgress("the claim has no status yet".to_string()),
    }
}

fn pod(live: &Value) -> Readiness {
    match live.pointer("/status/phase").and_then(Value::as_str) {
        Some("Succeeded") => Readiness::Ready,
        Some("Failed") => Readiness::Failed("the pod failed".to_string()),
        Some("Running") if is_true(condition(live, "Ready")) => Readiness::Ready,
        Some(p) => Readiness::InProgress(format!("the pod is {p}")),
        None => Readiness::InProgress("the pod has no status yet".to_string()),
    }
}

fn job(live: &Value) -> Readiness {
    let failed = condition(live, "Failed");
    if is_true(failed) {
        return Readiness::Failed(explained(failed));
    }
    if is_true(condition(live, "Complete")) {
        return Readiness::Ready;
    }
    Readiness::InProgress("the job has not completed".to_string())
}

fn conditions(live: &Value) -> Readiness {
    for kind in ["Ready", "Available"] {
        let c = condition(live, kind);
        if is_false(c) {
            let why = explained(c);
            return Readiness::InProgress(if why.is_empty() {
                format!("not {kind}")
            } else {
                format!("not {kind} ({why})")
            });
        }
    }
    let reconciling = condition(live, "Reconciling");
    if is_true(reconciling) {
        return Readiness::InProgress(format!("reconciling: {}", explained(reconciling)));
    }
    Readiness::Ready
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generic_rules() {
        assert!(readiness("ConfigMap", &json!({"data": {}})).is_ready());
        let stalled = json!({"status": {"conditions": [
            {"type": "Stalled", "status": "True", "reason": "Bad", "message": "template"}]}});
        assert_eq!(
            readiness("MachineDeployment", &stalled),
            Readiness::Failed("stalled: Bad: template".into())
        );
        let behind = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2}});
        assert_eq!(
            readiness("NodePool", &behind),
            Readiness::InProgress("the controller has not observed generation 3 yet".into())
        );
        let not_ready = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "Waiting"}]}});
        assert_eq!(
            readiness("NodePool", &not_ready),
            Readiness::InProgress("not Ready (Waiting)".into())
        );
    }

    #[test]
    fn workloads_count_replicas() {
        let ok = json!({"spec": {"replicas": 3}, "metadata": {"generation": 1}, "status": {
            "observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
            "conditions": [{"type": "Available", "status": "True"}]}});
        assert!(readiness("Deployment", &ok).is_ready());
        let rolling = json!({"spec": {"replicas": 3}, "status": {
            "replicas": 5, "updatedReplicas": 3, "readyReplicas": 5}});
        assert_eq!(
            readiness("Deployment", &rolling),
            Readiness::InProgress("2 old pods still terminating".into())
        );
        let none = json!({"spec": {"replicas": 3}});
        assert!(!readiness("StatefulSet", &none).is_ready());
        let dead = json!({"status": {"conditions": [{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "took too long"}]}});
        assert_eq!(
            readiness("Deployment", &dead),
            Readiness::Failed("took too long".into())
        );
    }

    #[test]
    fn claims_pods_and_jobs() {
        assert!(
            readiness(
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Bound"}})
            )
            .is_ready()
        );
        assert!(
            !readiness(
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Pending"}})
            )
            .is_ready()
        );
        assert!(matches!(
            readiness(
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Lost"}})
            ),
            Readiness::Failed(_)
        ));
        let running = json!({"status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True"}]}});
        assert!(readiness("Pod", &running).is_ready());
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert!(readiness("Job", &done).is_ready());
    }
}
