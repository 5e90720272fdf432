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

/// Nodes with `Ready=True` out of the desired count.
pub fn nodes_line(desired: u32, nodes: &[Value]) -> Line {
    let ready = nodes
        .iter()
        .filter(|n| is_true(condition(n, "Ready")))
        .count();
    let text = format!("Node pool created ({ready}/{desired} ready)");
    if ready >= desired as usize && desired > 0 {
        return Line::new("nodePool", State::Ready, text, None);
    }
    let reason = if nodes.is_empty() {
        "no nodes with the pool's label yet".to_string()
    } else {
        format!("{} of {} nodes not Ready", nodes.len() - ready, nodes.len())
    };
    Line::new("nodePool", State::InProgress, text, Some(reason))
}

/// The claim is Bound and the workload mounts it.
pub fn volume_line(
    pvc: &str,
    mount: Option<&str>,
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

/// The policy exists; egress DENY when it governs egress with no rule.
pub fn policy_line(name: &str, live: Option<&Value>) -> Line {
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
    Line::new(
        "network",
        State::Ready,
        format!("Network policy enforced (egress: {egress})"),
        None,
    )
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
            nodes_line(10, &all).to_string(),
            "✔ Node pool created (10/10 ready)"
        );
        let some = vec![node("True"), node("False")];
        let l = nodes_line(10, &some);
        assert_eq!(l.state, State::InProgress);
        assert_eq!(
            l.to_string(),
            "… Node pool created (1/10 ready): 1 of 2 nodes not Ready"
        );
    }

    #[test]
    fn volume_bound_and_mounted() {
        let pvc = json!({"status": {"phase": "Bound"}});
        let dep = json!({"spec": {"template": {"spec": {"volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]}}}});
        let l = volume_line("c", Some("/data/pdfs"), Some(&pvc), Some(&dep));
        assert_eq!(l.to_string(), "✔ Volume encrypted & mounted (/data/pdfs)");
        let pending = json!({"status": {"phase": "Pending"}});
        assert_eq!(
            volume_line("c", Some("/d"), Some(&pending), Some(&dep)).state,
            State::InProgress
        );
        assert_eq!(
            volume_line("c", Some("/d"), Some(&json!({})), Some(&dep)).state,
            State::InProgress
        );
        assert_eq!(
            volume_line("c", Some("/d"), None, None).state,
            State::Failed
        );
    }

    #[test]
    fn policy_egress() {
        let np = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": []}});
        assert_eq!(
            policy_line("p", Some(&np)).to_string(),
            "✔ Network policy enforced (egress: DENY)"
        );
        assert_eq!(policy_line("p", None).state, State::Failed);
    }

    #[test]
    fn workload_follows_kstatus() {
        let ok = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "readyReplicas": 10, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            workload_line("w", 10, Some(&ok)).to_string(),
            "✔ Workload running (10 pods)"
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
