//! kstatus readiness of each status line, from live objects as JSON (pure, unit-tested).

use serde_json::Value;

use crate::status::{Line, State};

fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn is_true(c: Option<&Value>) -> bool {
    c.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True")
}

fn field(c: Option<&Value>, field: &str) -> String {
    c.and_then(|c| c.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Nodes with `Ready=True` out of the desired count, and the pool object's own kstatus
/// (`kind`, `name`, the live object) when the backend has one.
pub fn nodes_line(
    desired: u32,
    nodes: &[Value],
    pool: Option<(&str, &str, Option<&Value>)>,
) -> Line {
    let ready = nodes
        .iter()
        .filter(|n| is_true(condition(n, "Ready")))
        .count();
    let text = format!("Node pool created ({ready}/{desired} ready)");
    let line = |state, reason: Option<String>| Line::new("nodePool", state, text.clone(), reason);
    // The pool object's generic kstatus: Stalled, observedGeneration, Ready.
    let mut pool_reason = None;
    if let Some((kind, name, live)) = pool {
        let Some(live) = live else {
            return line(State::Failed, Some(format!("{kind} {name} not found")));
        };
        let stalled = condition(live, "Stalled");
        if is_true(stalled) {
            let why = field(stalled, "message");
            return line(
                State::Failed,
                Some(format!("{kind} {name} is stalled: {why}")),
            );
        }
        let num = |p: &str| live.pointer(p).and_then(Value::as_u64);
        if let (Some(seen), Some(generation)) = (
            num("/status/observedGeneration"),
            num("/metadata/generation"),
        ) && seen < generation
        {
            pool_reason = Some(format!(
                "the controller has not observed {kind} {name} generation {generation} yet"
            ));
        }
        let ready_cond = condition(live, "Ready");
        if pool_reason.is_none() && ready_cond.is_some() && !is_true(ready_cond) {
            let detail = [field(ready_cond, "reason"), field(ready_cond, "message")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            pool_reason = Some(format!("{kind} {name} is not Ready ({detail})"));
        }
    }
    if ready >= desired as usize && desired > 0 && pool_reason.is_none() {
        return line(State::Ready, None);
    }
    let reason = pool_reason.unwrap_or_else(|| {
        if nodes.is_empty() {
            "no nodes with the pool's label yet".to_string()
        } else {
            format!("{} of {} nodes not Ready", nodes.len() - ready, nodes.len())
        }
    });
    line(State::InProgress, Some(reason))
}

/// A pool whose backend names no node label: its nodes cannot be told from others.
pub fn unlabelled_pool(desired: u32) -> Line {
    Line::new(
        "nodePool",
        State::InProgress,
        format!("Node pool created (?/{desired} ready)"),
        Some(
            "the node pool's backend names no label for its nodes, so they cannot be counted"
                .into(),
        ),
    )
}

/// The claim is Bound, on the intended (encrypted) class, and the workload mounts it.
pub fn volume_line(
    pvc: &str,
    mount: Option<&str>,
    class: Option<&str>,
    live: Option<&Value>,
    deployment: Option<&Value>,
) -> Line {
    let text = format!(
        "Volume encrypted & mounted ({})",
        mount.unwrap_or("not mounted")
    );
    let Some(live) = live else {
        return Line::new(
            "storage",
            State::Failed,
            text,
            Some(format!("PersistentVolumeClaim {pvc} not found")),
        );
    };
    let live_class = live
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str);
    if let Some(want) = class
        && live_class != Some(want)
    {
        return Line::new(
            "storage",
            State::Failed,
            text,
            Some(format!(
                "claim {pvc} is on class {}, not the encrypted class {want}",
                live_class.unwrap_or("(none)")
            )),
        );
    }
    let phase = live.pointer("/status/phase").and_then(Value::as_str);
    match phase {
        Some("Bound") => {}
        Some("Lost") => {
            return Line::new(
                "storage",
                State::Failed,
                text,
                Some(format!("claim {pvc} lost its volume")),
            );
        }
        Some(p) => {
            return Line::new(
                "storage",
                State::InProgress,
                text,
                Some(format!("claim {pvc} is {p}")),
            );
        }
        None => {
            return Line::new(
                "storage",
                State::InProgress,
                text,
                Some(format!("claim {pvc} has no status yet")),
            );
        }
    }
    let mounted = deployment
        .and_then(|d| d.pointer("/spec/template/spec/volumes"))
        .and_then(Value::as_array)
        .is_some_and(|vs| {
            vs.iter().any(|v| {
                v.pointer("/persistentVolumeClaim/claimName")
                    .and_then(Value::as_str)
                    == Some(pvc)
            })
        });
    if mount.is_some() && !mounted {
        return Line::new(
            "storage",
            State::InProgress,
            text,
            Some(format!("no workload mounts claim {pvc} yet")),
        );
    }
    Line::new("storage", State::Ready, text, None)
}

/// Every field of `want` is in `have` with the same value (`have` may hold more: defaults).
pub fn contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| contains(hv, wv))),
        (Value::Array(h), Value::Array(w)) => {
            h.len() == w.len() && h.iter().zip(w).all(|(hv, wv)| contains(hv, wv))
        }
        _ => have == want,
    }
}

/// The policy exists and holds the rendered rules; egress DENY when it governs egress with
/// no rule.
pub fn policy_line(name: &str, want: Option<&Value>, live: Option<&Value>) -> Line {
    let Some(live) = live else {
        return Line::new(
            "network",
            State::Failed,
            "Network policy enforced".into(),
            Some(format!("NetworkPolicy {name} not found")),
        );
    };
    let types: Vec<&str> = live
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rules = live
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let egress = match (types.contains(&"Egress"), rules) {
        (true, 0) => "DENY".to_string(),
        (true, n) => format!("{n} rules"),
        (false, _) => "ALLOW".to_string(),
    };
    let text = format!("Network policy enforced (egress: {egress})");
    if let Some(want) = want
        && !live.get("spec").is_some_and(|have| contains(have, want))
    {
        return Line::new(
            "network",
            State::Failed,
            text,
            Some(format!(
                "NetworkPolicy {name} no longer holds the rules of the spec (changed in the \
                 cluster?); apply again"
            )),
        );
    }
    Line::new("network", State::Ready, text, None)
}

/// kstatus for a Deployment: observedGeneration, Available, readyReplicas.
pub fn workload_line(name: &str, replicas: u32, live: Option<&Value>) -> Line {
    let Some(live) = live else {
        return Line::new(
            "workload",
            State::Failed,
            "Workload running".into(),
            Some(format!("Deployment {name} not found")),
        );
    };
    let num = |p: &str| live.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let ready = num("/status/readyReplicas");
    let text = format!("Workload running ({ready} pods)");
    let progress = |r: String| Line::new("workload", State::InProgress, text.clone(), Some(r));
    if live.get("status").is_none() {
        return progress(format!("Deployment {name} has no status yet"));
    }
    let generation = num("/metadata/generation");
    if num("/status/observedGeneration") < generation {
        return progress(format!(
            "the controller has not observed generation {generation} yet"
        ));
    }
    let progressing = condition(live, "Progressing");
    if field(progressing, "reason") == "ProgressDeadlineExceeded" {
        return Line::new(
            "workload",
            State::Failed,
            text.clone(),
            Some(field(progressing, "message")),
        );
    }
    // kstatus: a rollout is done when every pod runs the current template and no old pod is
    // left (updatedReplicas and replicas both at spec.replicas).
    let updated = num("/status/updatedReplicas");
    if updated < u64::from(replicas) {
        return progress(format!(
            "{updated}/{replicas} pods updated to the current version"
        ));
    }
    let total = num("/status/replicas");
    if total > updated {
        return progress(format!("{} old pods still terminating", total - updated));
    }
    if ready < u64::from(replicas) {
        return progress(format!("{ready}/{replicas} pods ready"));
    }
    if !is_true(condition(live, "Available")) {
        return progress(format!("Deployment {name} is not Available yet"));
    }
    Line::new(
        "workload",
        State::Ready,
        format!("Workload running ({ready} pods)"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(ready: &str) -> Value {
        json!({"status": {"conditions": [{"type": "Ready", "status": ready}]}})
    }

    #[test]
    fn nodes_count_ready_ones() {
        let all: Vec<Value> = (0..10).map(|_| node("True")).collect();
        assert_eq!(
            nodes_line(10, &all, None).to_string(),
            "✔ Node pool created (10/10 ready)"
        );
        let some = vec![node("True"), node("False")];
        let l = nodes_line(10, &some, None);
        assert_eq!(l.state, State::InProgress);
        assert_eq!(
            l.to_string(),
            "… Node pool created (1/10 ready): 1 of 2 nodes not Ready"
        );
    }

    #[test]
    fn the_pool_object_follows_generic_kstatus() {
        let all: Vec<Value> = (0..10).map(|_| node("True")).collect();
        let md = |generation: u64, seen: u64, ready: &str| {
            json!({"metadata": {"generation": generation}, "status": {"observedGeneration": seen,
                "conditions": [{"type": "Ready", "status": ready,
                    "reason": "WaitingForInfrastructure", "message": "AWSMachine pending"}]}})
        };
        let pool = |v: &Value| nodes_line(10, &all, Some(("MachineDeployment", "p", Some(v))));
        assert_eq!(pool(&md(2, 2, "True")).state, State::Ready);
        let l = pool(&md(2, 2, "False"));
        assert_eq!(l.state, State::InProgress);
        assert_eq!(
            l.reason.as_deref(),
            Some("MachineDeployment p is not Ready (WaitingForInfrastructure: AWSMachine pending)")
        );
        assert_eq!(
            pool(&md(3, 2, "True")).reason.as_deref(),
            Some("the controller has not observed MachineDeployment p generation 3 yet")
        );
        let stalled = json!({"status": {"conditions": [
            {"type": "Stalled", "status": "True", "message": "bad template"}]}});
        assert_eq!(pool(&stalled).state, State::Failed);
        // No Ready condition: the nodes decide.
        assert_eq!(pool(&json!({"status": {}})).state, State::Ready);
        let gone = nodes_line(10, &all, Some(("NodePool", "p", None)));
        assert_eq!(gone.state, State::Failed);
    }

    #[test]
    fn volume_bound_and_mounted() {
        let pvc = json!({"spec": {"storageClassName": "enc"}, "status": {"phase": "Bound"}});
        let dep = json!({"spec": {"template": {"spec": {"volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]}}}});
        let enc = Some("enc");
        let l = volume_line("c", Some("/data/pdfs"), enc, Some(&pvc), Some(&dep));
        assert_eq!(l.to_string(), "✔ Volume encrypted & mounted (/data/pdfs)");
        let pending = json!({"spec": {"storageClassName": "enc"}, "status": {"phase": "Pending"}});
        assert_eq!(
            volume_line("c", Some("/d"), enc, Some(&pending), Some(&dep)).state,
            State::InProgress
        );
        let no_status = json!({"spec": {"storageClassName": "enc"}});
        assert_eq!(
            volume_line("c", Some("/d"), enc, Some(&no_status), Some(&dep)).state,
            State::InProgress
        );
        assert_eq!(
            volume_line("c", Some("/d"), enc, None, None).state,
            State::Failed
        );
        let plain = json!({"spec": {"storageClassName": "gp3"}, "status": {"phase": "Bound"}});
        let l = volume_line("c", Some("/d"), enc, Some(&plain), Some(&dep));
        assert_eq!(l.state, State::Failed);
        assert_eq!(
            l.reason.as_deref(),
            Some("claim c is on class gp3, not the encrypted class enc")
        );
    }

    #[test]
    fn policy_egress() {
        let want = json!({"policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [
            {"ipBlock": {"cidr": "192.168.15.0/24"}}]}]});
        // The server may add defaults; the rendered fields must all be there.
        let np = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": [],
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.15.0/24"}}]}]}});
        assert_eq!(
            policy_line("p", Some(&want), Some(&np)).to_string(),
            "✔ Network policy enforced (egress: DENY)"
        );
        assert_eq!(policy_line("p", Some(&want), None).state, State::Failed);
        let widened = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": [],
            "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}});
        let l = policy_line("p", Some(&want), Some(&widened));
        assert_eq!(l.state, State::Failed, "{l}");
    }

    #[test]
    fn workload_follows_kstatus() {
        let ok = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "replicas": 10, "updatedReplicas": 10, "readyReplicas": 10,
            "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&ok)).to_string(),
            "✔ Workload running (10 pods)"
        );
        // Mid-rollout: all ready, but 4 pods still run the old template.
        let rolling = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "replicas": 14, "updatedReplicas": 10, "readyReplicas": 14,
            "conditions": [{"type": "Available", "status": "True"}]}});
        let l = workload_line("w", 10, Some(&rolling));
        assert_eq!(l.state, State::InProgress);
        assert_eq!(l.reason.as_deref(), Some("4 old pods still terminating"));
        let updating = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "replicas": 10, "updatedReplicas": 3, "readyReplicas": 10,
            "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&updating)).reason.as_deref(),
            Some("3/10 pods updated to the current version")
        );
        let stale = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2,
            "readyReplicas": 10, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&stale)).state,
            State::InProgress
        );
        let none = json!({"metadata": {"generation": 1}});
        assert_eq!(workload_line("w", 10, Some(&none)).state, State::InProgress);
        let dead = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "took too long"}]}});
        assert_eq!(workload_line("w", 10, Some(&dead)).state, State::Failed);
    }
}
