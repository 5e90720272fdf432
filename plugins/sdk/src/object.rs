//! Builders for Kubernetes objects as JSON: apiVersion, kind and metadata in a stable order.

use serde_json::{Map, Value, json};

use crate::labels::{self, Labels};

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// A namespaced object in the given namespace.
    Namespaced(&'a str),
    /// A cluster-scoped object: no `metadata.namespace`.
    Cluster,
}

/// `metadata` with name, namespace (when namespaced), labels and annotations (when any).
pub fn metadata(name: &str, scope: Scope<'_>, labels: &Labels, annotations: &Labels) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Scope::Namespaced(ns) = scope {
        m.insert("namespace".into(), json!(ns));
    }
    if !labels.is_empty() {
        m.insert("labels".into(), labels::to_json(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), labels::to_json(annotations));
    }
    Value::Object(m)
}

/// An object with `apiVersion`, `kind` and `metadata`, followed by `body`'s entries in order
/// (usually `spec`, or `data`/`parameters` for kinds without a spec).
pub fn object(api_version: &str, kind: &str, metadata: Value, body: Value) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), json!(api_version));
    m.insert("kind".into(), json!(kind));
    m.insert("metadata".into(), metadata);
    if let Value::Object(rest) = body {
        m.extend(rest);
    }
    Value::Object(m)
}

/// A label selector `{matchLabels: ...}`.
pub fn match_labels(labels: &Labels) -> Value {
    json!({ "matchLabels": labels::to_json(labels) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::from_pairs;

    #[test]
    fn builds_objects_in_stable_order() {
        let l = from_pairs(&[("b", "2"), ("a", "1")]);
        let o = object(
            "v1",
            "ConfigMap",
            metadata("x", Scope::Namespaced("ns"), &l, &Labels::new()),
            json!({"data": {"k": "v"}}),
        );
        assert_eq!(
            o.to_string(),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"ns","labels":{"a":"1","b":"2"}},"data":{"k":"v"}}"#
        );
        let c = metadata("sc", Scope::Cluster, &Labels::new(), &l);
        assert!(c.get("namespace").is_none() && c.get("labels").is_none());
        assert_eq!(match_labels(&l)["matchLabels"]["a"], "1");
    }
}
