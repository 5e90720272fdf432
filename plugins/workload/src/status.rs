//! The workload's status line: `Workload running (10 pods)`, by kstatus for its Deployment
//! (observedGeneration, a finished rollout, ready replicas, Available).

use hms_plugin_sdk::kstatus;
use hms_plugin_sdk::status::{Live, StatusLine};
use serde_json::Value;

/// `rendered`: what this plugin renders for the section now (its Deployment's replicas).
pub fn line(rendered: &[Value], live: &Live) -> StatusLine {
    let deployment = rendered
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("Deployment"));
    let name = deployment
        .and_then(|d| d.pointer("/metadata/name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let want = deployment
        .and_then(|d| d.pointer("/spec/replicas"))
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let Some(have) = live
        .find("workload", "Deployment")
        .and_then(|o| o.live.as_ref())
    else {
        return StatusLine::failed("Workload running", format!("Deployment {name} not found"));
    };
    let ready = have
        .pointer("/status/readyReplicas")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let text = format!("Workload running ({ready} pods)");
    if have.get("status").is_none() {
        return StatusLine::in_progress(text, format!("Deployment {name} has no status yet"));
    }
    // The spec's replica count, even if someone scaled the live object.
    StatusLine::from_readiness(
        text,
        kstatus::readiness_with_replicas("Deployment", have, Some(want)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hms_plugin_sdk::status::{LiveObject, State};
    use serde_json::json;

    fn live(d: Value) -> Live {
        Live {
            objects: vec![LiveObject {
                group: "apps".into(),
                kind: "Deployment".into(),
                namespace: "ns".into(),
                name: "w".into(),
                section: "workload".into(),
                live: Some(d),
            }],
            nodes: Vec::new(),
        }
    }

    #[test]
    fn workload_follows_kstatus() {
        let rendered = [json!({"kind": "Deployment", "metadata": {"name": "w"},
            "spec": {"replicas": 10}})];
        let ok = json!({"metadata": {"generation": 2}, "spec": {"replicas": 10},
            "status": {"observedGeneration": 2, "replicas": 10, "updatedReplicas": 10,
            "readyReplicas": 10, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            line(&rendered, &live(ok)),
            StatusLine::ready("Workload running (10 pods)")
        );
        let rolling = json!({"metadata": {"generation": 2}, "spec": {"replicas": 10},
            "status": {"observedGeneration": 2, "replicas": 14, "updatedReplicas": 10,
            "readyReplicas": 14, "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(
            line(&rendered, &live(rolling)).reason,
            "4 old pods still terminating"
        );
        let stale = json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2,
            "readyReplicas": 10}});
        assert_eq!(line(&rendered, &live(stale)).state, State::InProgress);
        let dead = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "conditions": [{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "took too long"}]}});
        assert_eq!(line(&rendered, &live(dead)).state, State::Failed);
    }
}
