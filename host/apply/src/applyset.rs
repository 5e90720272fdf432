//! KEP-3659 ApplySet conventions: the set id, the parent (inventory) object and its labels.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Set;

pub const LABEL_ID: &str = "applyset.kubernetes.io/id";
pub const LABEL_PART_OF: &str = "applyset.kubernetes.io/part-of";
pub const ANN_TOOLING: &str = "applyset.kubernetes.io/tooling";
pub const ANN_GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
/// What `status` needs, as JSON (see [`crate::StatusInfo`]).
pub const ANN_STATUS: &str = "hms.io/status";
/// The spec name, on the parent, so `status NAME` can find it.
pub const LABEL_SPEC: &str = "hms.io/spec";

/// The parent's kind: a ConfigMap in the spec namespace.
pub const PARENT_KIND: &str = "ConfigMap";
pub const PARENT_GROUP: &str = "";

/// The parent object's name for a spec.
pub fn parent_name(spec: &str) -> String {
    format!("hms-sys-{spec}")
}

/// The ApplySet id: `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`, no padding.
pub fn id(name: &str, namespace: &str, kind: &str, group: &str) -> String {
    let digest = Sha256::digest(format!("{name}.{namespace}.{kind}.{group}").as_bytes());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    format!("applyset-{b64}-v1")
}

/// The id of a spec's set (its parent is `ConfigMap hms-sys-<spec>` in the spec namespace).
pub fn set_id(spec: &str, namespace: &str) -> String {
    id(&parent_name(spec), namespace, PARENT_KIND, PARENT_GROUP)
}

/// `Kind.group`, or `Kind` for the core group.
pub fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// Splits `Kind.group` into (group, kind).
pub fn split_group_kind(gk: &str) -> (String, String) {
    match gk.split_once('.') {
        Some((kind, group)) => (group.to_string(), kind.to_string()),
        None => (String::new(), gk.to_string()),
    }
}

/// Parses a `contains-group-kinds` annotation value.
pub fn parse_group_kinds(v: &str) -> BTreeSet<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The parent object, listing `group_kinds` (sorted, comma separated).
pub fn parent(set: &Set, group_kinds: &BTreeSet<String>) -> Value {
    let gks: Vec<&str> = group_kinds.iter().map(String::as_str).collect();
    let status = serde_json::to_string(&set.status).unwrap_or_default();
    let mut parent = json!({
        "apiVersion": "v1",
        "kind": PARENT_KIND,
        "metadata": {
            "name": parent_name(&set.spec),
            "namespace": set.namespace,
            "labels": {
                LABEL_ID: set_id(&set.spec, &set.namespace),
                LABEL_SPEC: set.spec,
                "app.kubernetes.io/managed-by": "hms-sys",
            },
            "annotations": {
                ANN_TOOLING: set.tooling,
                ANN_GROUP_KINDS: gks.join(","),
                ANN_STATUS: status,
            },
        },
    });
    if let Some(owner) = &set.owner {
        parent["metadata"]["ownerReferences"] = json!([owner]);
    }
    parent
}

/// Adds the `part-of` label to an object.
pub fn label(value: &mut Value, id: &str) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(LABEL_PART_OF.to_string(), Value::String(id.to_string()));
        }
    }
}

/// The `part-of` label of a live object, if any.
pub fn part_of(value: &Value) -> Option<&str> {
    value
        .pointer("/metadata/labels")
        .and_then(|l| l.get(LABEL_PART_OF))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_follows_kep_3659() {
        // kubectl: base64.RawURLEncoding(sha256("name.namespace.Kind.group")), "applyset-%s-v1".
        let got = id("set", "ns", "Secret", "");
        let digest = Sha256::digest(b"set.ns.Secret.");
        let want = format!(
            "applyset-{}-v1",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        );
        assert_eq!(got, want);
        assert!(got.len() <= 63, "a label value: {got}");
        assert!(!got.contains('=') && !got.contains('+') && !got.contains('/'));
        assert_ne!(set_id("a", "b"), set_id("a", "c"));
    }

    #[test]
    fn group_kinds_round_trip() {
        assert_eq!(group_kind("", "Namespace"), "Namespace");
        assert_eq!(group_kind("apps", "Deployment"), "Deployment.apps");
        assert_eq!(
            split_group_kind("NetworkPolicy.networking.k8s.io"),
            ("networking.k8s.io".into(), "NetworkPolicy".into())
        );
        assert_eq!(
            split_group_kind("Namespace"),
            (String::new(), "Namespace".into())
        );
        let set = parse_group_kinds("Namespace, Deployment.apps,,");
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn label_adds_part_of() {
        let mut v = json!({"metadata": {"name": "x"}});
        label(&mut v, "applyset-abc-v1");
        assert_eq!(part_of(&v), Some("applyset-abc-v1"));
    }
}
