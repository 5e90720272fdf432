//! A native test harness: plugin logic is unit-tested as plain Rust, without wasm or the host.
//!
//! ```ignore
//! use hms_plugin_sdk::testing;
//! let ctx = testing::ctx().namespace("team-a").spec(json!({"workload": {"replicas": 3}})).build();
//! let out = testing::render::<MyPlugin>(json!({"policy": {"name": "np"}}), &ctx);
//! let np = out.object("NetworkPolicy", "np").expect("rendered");
//! assert_eq!(np["metadata"]["namespace"], "team-a");
//! assert!(out.diagnostic("NETWORK-DNS-BLOCKED").is_some());
//! ```

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::plugin::{BaselinePlugin, CheckOutput, Ctx, Output, SectionPlugin};

/// Builds a [`Ctx`] for a test. Defaults: spec name and namespace `test`, the common labels
/// the host sets (`app.kubernetes.io/managed-by: hms-sys`, `hms.io/spec: <spec name>`), no
/// node selector, an empty spec.
#[derive(Debug, Clone)]
pub struct CtxBuilder {
    spec_name: String,
    namespace: String,
    node_selector: Vec<(String, String)>,
    labels: Option<Vec<(String, String)>>,
    spec: Value,
}

/// A [`CtxBuilder`] with the defaults.
pub fn ctx() -> CtxBuilder {
    CtxBuilder {
        spec_name: "test".into(),
        namespace: "test".into(),
        node_selector: Vec::new(),
        labels: None,
        spec: Value::Object(Default::default()),
    }
}

impl CtxBuilder {
    /// The spec's name (also `hms.io/spec` of the default common labels).
    pub fn spec_name(mut self, name: &str) -> Self {
        self.spec_name = name.into();
        self
    }

    /// The namespace objects go to.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Adds a node-selector label (what the node-pool plugin returned).
    pub fn node_label(mut self, key: &str, value: &str) -> Self {
        self.node_selector.push((key.into(), value.into()));
        self
    }

    /// Replaces the common labels.
    pub fn common_labels(mut self, labels: &[(&str, &str)]) -> Self {
        self.labels = Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// The whole spec as written (`context.spec`).
    pub fn spec(mut self, spec: Value) -> Self {
        self.spec = spec;
        self
    }

    /// The context.
    pub fn build(self) -> Ctx {
        let common = self.labels.unwrap_or_else(|| {
            vec![
                ("app.kubernetes.io/managed-by".into(), "hms-sys".into()),
                ("hms.io/spec".into(), self.spec_name.clone()),
            ]
        });
        Ctx {
            spec_name: self.spec_name,
            namespace: self.namespace,
            node_selector: self.node_selector,
            common_labels: common,
            spec: self.spec,
        }
    }
}

/// Renders `section` (as the host would send it: JSON text) with plugin `P`.
pub fn render<P: SectionPlugin>(section: Value, ctx: &Ctx) -> Output {
    P::render(&section.to_string(), ctx)
}

/// Checks `manifests` with baseline `P` and its `params`.
pub fn check<P: BaselinePlugin>(manifests: &[Value], params: Value, ctx: &Ctx) -> CheckOutput {
    let texts: Vec<String> = manifests.iter().map(Value::to_string).collect();
    P::check(&texts, &params.to_string(), ctx)
}

fn by_kind_name<'v>(objects: &'v [Value], kind: &str, name: &str) -> Option<&'v Value> {
    objects.iter().find(|o| {
        o["kind"] == kind && o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
    })
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

impl Output {
    /// The rendered object of `kind` named `name`.
    pub fn object(&self, kind: &str, name: &str) -> Option<&Value> {
        by_kind_name(&self.manifests, kind, name)
    }

    /// The first diagnostic with `code`.
    pub fn diagnostic(&self, code: &str) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.code == code)
    }

    /// Every diagnostic's code, in order.
    pub fn codes(&self) -> Vec<&str> {
        codes(&self.diagnostics)
    }
}

impl CheckOutput {
    /// The findings with `code`.
    pub fn findings_of(&self, code: &str) -> Vec<&Diagnostic> {
        self.findings.iter().filter(|d| d.code == code).collect()
    }

    /// Every finding's code, in order.
    pub fn codes(&self) -> Vec<&str> {
        codes(&self.findings)
    }

    /// The hardened object of `kind` named `name`, when the baseline hardened the manifests.
    pub fn hardened_object(&self, kind: &str, name: &str) -> Option<&Value> {
        by_kind_name(self.hardened.as_deref()?, kind, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::PluginMeta;
    use serde_json::json;

    struct Echo;

    impl SectionPlugin for Echo {
        fn meta() -> PluginMeta {
            PluginMeta {
                name: "echo",
                version: "0",
                section: "echo",
                description: "",
                emits: Vec::new(),
                section_schema: json!({}),
            }
        }

        fn render(section: &str, ctx: &Ctx) -> Output {
            let v: Value = serde_json::from_str(section).unwrap_or_default();
            let name = v["name"].as_str().unwrap_or("none");
            Output {
                manifests: vec![ctx.object("v1", "ConfigMap", name, "echo").body(json!({}))],
                diagnostics: vec![Diagnostic::info("ECHO-NOTE", "n")],
                node_selector: ctx.node_selector.clone(),
            }
        }
    }

    impl BaselinePlugin for Echo {
        fn meta() -> PluginMeta {
            <Echo as SectionPlugin>::meta()
        }

        fn check(manifests: &[String], params: &str, _ctx: &Ctx) -> CheckOutput {
            let objects: Vec<Value> = manifests
                .iter()
                .filter_map(|m| serde_json::from_str(m).ok())
                .collect();
            CheckOutput {
                findings: objects
                    .iter()
                    .map(|o| Diagnostic::error("ECHO-SEEN", params).on(crate::ObjectRef::of(o)))
                    .collect(),
                hardened: Some(objects),
            }
        }
    }

    #[test]
    fn a_test_context_renders_and_finds_objects() {
        let ctx = ctx()
            .spec_name("s")
            .namespace("ns")
            .node_label("pool", "p")
            .spec(json!({"a": 1}))
            .build();
        assert_eq!(ctx.spec_at("/a"), Some(&json!(1)));
        assert_eq!(ctx.common_labels[1], ("hms.io/spec".into(), "s".into()));
        let out = render::<Echo>(json!({"name": "cm"}), &ctx);
        let cm = out.object("ConfigMap", "cm").expect("rendered");
        assert_eq!(cm["metadata"]["namespace"], "ns");
        assert!(out.object("ConfigMap", "other").is_none());
        assert_eq!(out.codes(), ["ECHO-NOTE"]);
        assert!(out.diagnostic("ECHO-NOTE").is_some());
        assert_eq!(out.node_selector, [("pool".into(), "p".into())]);
        let custom = super::ctx().common_labels(&[("k", "v")]).build();
        assert_eq!(custom.common_labels, [("k".into(), "v".into())]);
    }

    #[test]
    fn baselines_are_checked_natively() {
        let ctx = ctx().build();
        let out = check::<Echo>(
            &[json!({"kind": "Pod", "metadata": {"name": "p"}})],
            json!({"x": 1}),
            &ctx,
        );
        assert_eq!(out.codes(), ["ECHO-SEEN"]);
        let f = out.findings_of("ECHO-SEEN");
        assert_eq!(f[0].message, r#"{"x":1}"#);
        assert_eq!(f[0].object.as_ref().map(|o| o.name.as_str()), Some("p"));
        assert!(out.hardened_object("Pod", "p").is_some());
    }
}
