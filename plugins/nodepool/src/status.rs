//! The node pool's status line: `Node pool created (10/10 ready)`. Nodes with `Ready=True`
//! among those carrying the pool's labels, out of `count`, and the pool object's own kstatus
//! (Cluster API MachineDeployment, Karpenter NodePool) when the backend rendered one.

use hms_plugin_sdk::kstatus::{self, Readiness};
use hms_plugin_sdk::status::{Live, StatusLine};
use serde_json::Value;

/// The pool objects whose kstatus the line follows.
const POOL_KINDS: [&str; 2] = ["MachineDeployment", "NodePool"];

/// `desired`: the section's `count`; `labelled`: whether the backend named labels for its
/// nodes (else they cannot be told from others).
pub fn line(desired: u64, labelled: bool, live: &Live) -> StatusLine {
    if !labelled {
        return StatusLine::in_progress(
            format!("Node pool created (?/{desired} ready)"),
            "the node pool's backend names no label for its nodes, so they cannot be counted",
        );
    }
    let ready = live
        .nodes
        .iter()
        .filter(|n| kstatus::is_true(kstatus::condition(n, "Ready")))
        .count() as u64;
    let text = format!("Node pool created ({ready}/{desired} ready)");
    let pool = POOL_KINDS
        .iter()
        .find_map(|kind| live.find("nodePool", kind));
    let mut pool_reason = None;
    if let Some(pool) = pool {
        let what = format!("{} {}", pool.kind, pool.name);
        match pool.readiness() {
            Readiness::Ready => {}
            Readiness::Failed(why) => return StatusLine::failed(text, format!("{what}: {why}")),
            Readiness::InProgress(why) => pool_reason = Some(format!("{what}: {why}")),
        }
    }
    if ready >= desired && desired > 0 && pool_reason.is_none() {
        return StatusLine::ready(text);
    }
    let reason = pool_reason.unwrap_or_else(|| {
        let seen = live.nodes.len() as u64;
        if seen == 0 {
            "no nodes with the pool's label yet".to_string()
        } else {
            format!("{} of {seen} nodes not Ready", seen - ready)
        }
    });
    StatusLine::in_progress(text, reason)
}

/// The section's `count` (0 when it is not a number: the schema requires one).
pub fn desired(section: &Value) -> u64 {
    section.get("count").and_then(Value::as_u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hms_plugin_sdk::status::{LiveObject, State};
    use serde_json::json;

    fn node(ready: &str) -> Value {
        json!({"status": {"conditions": [{"type": "Ready", "status": ready}]}})
    }

    fn with_pool(nodes: Vec<Value>, pool: Option<Value>) -> Live {
        Live {
            objects: vec![LiveObject {
                group: "cluster.x-k8s.io".into(),
                kind: "MachineDeployment".into(),
                namespace: "ns".into(),
                name: "p".into(),
                section: "nodePool".into(),
                live: pool,
            }],
            nodes,
        }
    }

    #[test]
    fn nodes_count_ready_ones() {
        let all = Live {
            nodes: (0..10).map(|_| node("True")).collect(),
            ..Live::default()
        };
        assert_eq!(
            line(10, true, &all),
            StatusLine::ready("Node pool created (10/10 ready)")
        );
        let some = Live {
            nodes: vec![node("True"), node("False")],
            ..Live::default()
        };
        assert_eq!(
            line(10, true, &some),
            StatusLine::in_progress("Node pool created (1/10 ready)", "1 of 2 nodes not Ready")
        );
        assert_eq!(line(10, false, &all).state, State::InProgress);
    }

    #[test]
    fn the_pool_object_follows_kstatus() {
        let all = || (0..10).map(|_| node("True")).collect::<Vec<_>>();
        let md = |generation: u64, seen: u64, ready: &str| {
            json!({"metadata": {"generation": generation}, "status": {"observedGeneration": seen,
                "conditions": [{"type": "Ready", "status": ready,
                    "reason": "WaitingForInfrastructure", "message": "AWSMachine pending"}]}})
        };
        let judge = |v: Value| line(10, true, &with_pool(all(), Some(v)));
        assert_eq!(judge(md(2, 2, "True")).state, State::Ready);
        assert_eq!(
            judge(md(2, 2, "False")).reason,
            "MachineDeployment p: not Ready (WaitingForInfrastructure: AWSMachine pending)"
        );
        assert_eq!(
            judge(md(3, 2, "True")).reason,
            "MachineDeployment p: the controller has not observed generation 3 yet"
        );
        let stalled = json!({"status": {"conditions": [
            {"type": "Stalled", "status": "True", "message": "bad template"}]}});
        assert_eq!(judge(stalled).state, State::Failed);
        // No Ready condition: the nodes decide.
        assert_eq!(judge(json!({"status": {}})).state, State::Ready);
        assert_eq!(line(10, true, &with_pool(all(), None)).state, State::Failed);
    }
}
