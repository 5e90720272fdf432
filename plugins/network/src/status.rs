//! The fence's status line: `Network policy enforced (egress: DENY)`. The policy exists and
//! still holds every rule this plugin renders (the server may add defaults); egress is DENY
//! when the policy governs egress with no rule.

use hms_plugin_sdk::status::{Live, StatusLine};
use serde_json::Value;

/// `rendered`: what this plugin renders for the section now.
pub fn line(rendered: &[Value], live: &Live) -> StatusLine {
    let policy = rendered
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("NetworkPolicy"));
    let name = policy
        .and_then(|p| p.pointer("/metadata/name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let object = live.find("network", "NetworkPolicy");
    let Some(have) = object.and_then(|o| o.live.as_ref()) else {
        return StatusLine::failed(
            "Network policy enforced",
            format!("NetworkPolicy {name} not found"),
        );
    };
    let types: Vec<&str> = have
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rules = have
        .pointer("/spec/egress")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let egress = match (types.contains(&"Egress"), rules) {
        (true, 0) => "DENY".to_string(),
        (true, n) => format!("{n} rules"),
        (false, _) => "ALLOW".to_string(),
    };
    let text = format!("Network policy enforced (egress: {egress})");
    if let Some(want) = policy.and_then(|p| p.get("spec"))
        && !have.get("spec").is_some_and(|h| contains(h, want))
    {
        return StatusLine::failed(
            text,
            format!(
                "NetworkPolicy {name} no longer holds the rules of the spec (changed in the \
                 cluster?); apply again"
            ),
        );
    }
    StatusLine::ready(text)
}

/// Every field of `want` is in `have` with the same value (`have` may hold more: defaults).
fn contains(have: &Value, want: &Value) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use hms_plugin_sdk::status::{LiveObject, State};
    use serde_json::json;

    fn live(np: Option<Value>) -> Live {
        Live {
            objects: vec![LiveObject {
                group: "networking.k8s.io".into(),
                kind: "NetworkPolicy".into(),
                namespace: "ns".into(),
                name: "p".into(),
                section: "network".into(),
                live: np,
            }],
            nodes: Vec::new(),
        }
    }

    #[test]
    fn policy_egress() {
        let rendered = [json!({"kind": "NetworkPolicy", "metadata": {"name": "p"},
            "spec": {"policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [
                {"ipBlock": {"cidr": "192.168.15.0/24"}}]}]}})];
        // The server may add defaults; the rendered fields must all be there.
        let np = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": [],
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.15.0/24"}}]}]}});
        assert_eq!(
            line(&rendered, &live(Some(np))),
            StatusLine::ready("Network policy enforced (egress: DENY)")
        );
        assert_eq!(line(&rendered, &live(None)).state, State::Failed);
        let widened = json!({"spec": {"policyTypes": ["Ingress", "Egress"], "egress": [],
            "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}});
        assert_eq!(line(&rendered, &live(Some(widened))).state, State::Failed);
    }
}
