//! Builders for Kubernetes objects as JSON: apiVersion, kind and metadata in a stable order.

use serde_json::{Map, Value, json};

use crate::labels::{self, Labels};
use crate::plugin::Ctx;

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

/// An object being built for a context: in the spec's namespace, with the standard labels of
/// a component ([`Ctx::labels`]). See [`Ctx::object`].
#[derive(Debug, Clone)]
pub struct Builder<'a> {
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    labels: Labels,
    annotations: Labels,
}

impl<'a> Builder<'a> {
    /// A cluster-scoped object: no `metadata.namespace`.
    pub fn cluster_scoped(mut self) -> Self {
        self.namespace = None;
        self
    }

    /// Adds labels (over the standard ones).
    pub fn labels(mut self, extra: &Labels) -> Self {
        self.labels = labels::merge(&self.labels, extra);
        self
    }

    /// Adds annotations.
    pub fn annotations(mut self, extra: &Labels) -> Self {
        self.annotations = labels::merge(&self.annotations, extra);
        self
    }

    /// The object, `body`'s entries (usually `spec`) after `apiVersion`, `kind`, `metadata`.
    pub fn body(self, body: Value) -> Value {
        let scope = match self.namespace {
            Some(ns) => Scope::Namespaced(ns),
            None => Scope::Cluster,
        };
        object(
            self.api_version,
            self.kind,
            metadata(self.name, scope, &self.labels, &self.annotations),
            body,
        )
    }
}

impl Ctx {
    /// The standard labels of this plugin's objects: the host's common labels,
    /// `app.kubernetes.io/name` (the spec's name) and `app.kubernetes.io/component`.
    pub fn labels(&self, component: &str) -> Labels {
        labels::standard(&self.common_labels, &self.spec_name, component)
    }

    /// Starts an object of `component` in the spec's namespace with [`Ctx::labels`]:
    /// `ctx.object("v1", "ConfigMap", "x", "storage").body(json!({"data": {}}))`.
    pub fn object<'a>(
        &'a self,
        api_version: &'a str,
        kind: &'a str,
        name: &'a str,
        component: &str,
    ) -> Builder<'a> {
        Builder {
            api_version,
            kind,
            name,
            namespace: Some(&self.namespace),
            labels: self.labels(component),
            annotations: Labels::new(),
        }
    }
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

    #[test]
    fn context_builder_sets_namespace_and_common_labels() {
        let ctx = crate::testing::ctx().build();
        let o = ctx
            .object("v1", "ConfigMap", "x", "storage")
            .labels(&from_pairs(&[("extra", "1")]))
            .body(json!({"data": {}}));
        assert_eq!(o["metadata"]["namespace"], "test");
        let labels = &o["metadata"]["labels"];
        assert_eq!(labels["hms.io/spec"], "test");
        assert_eq!(labels["app.kubernetes.io/component"], "storage");
        assert_eq!(
            (&labels["app.kubernetes.io/name"], &labels["extra"]),
            (&json!("test"), &json!("1"))
        );
        assert!(o["metadata"].get("annotations").is_none());
        let c = ctx
            .object("storage.k8s.io/v1", "StorageClass", "sc", "storage")
            .cluster_scoped()
            .annotations(&from_pairs(&[("a", "b")]))
            .body(json!({}));
        assert!(c["metadata"].get("namespace").is_none());
        assert_eq!(c["metadata"]["annotations"]["a"], "b");
    }
}
