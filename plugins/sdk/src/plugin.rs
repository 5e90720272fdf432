//! The plugin-side view of the WIT interfaces: context, outputs, metadata, and the traits
//! [`SectionPlugin`] and [`BaselinePlugin`] that [`crate::export_section_plugin!`] and
//! [`crate::export_baseline_plugin!`] bind to the WIT exports.

use serde_json::Value;

use crate::diag::Diagnostic;

/// The WIT package version these plugins are built against (`hms:sys@0.2.0`, the SDK's
/// `wit/since_v0.2.0`; build.rs names the same directory).
pub const WIT_VERSION: &str = "0.2.0";

/// An API group and kind a plugin may emit; `group` is empty for the core group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRef {
    pub group: &'static str,
    pub kind: &'static str,
}

/// Describes a plugin (the WIT `plugin-metadata`, minus the WIT version, which is fixed). A
/// baseline's `section` is `baseline`, its `emits` empty and its schema that of its parameters.
#[derive(Debug, Clone)]
pub struct PluginMeta {
    pub name: &'static str,
    pub version: &'static str,
    pub section: &'static str,
    pub description: &'static str,
    pub emits: Vec<KindRef>,
    /// JSON Schema (draft 2020-12) of the section as written, with its defaults as `default`.
    pub section_schema: Value,
}

/// What the host tells a plugin about the rest of the spec (the WIT `context`).
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub spec_name: String,
    pub namespace: String,
    pub node_selector: Vec<(String, String)>,
    pub common_labels: Vec<(String, String)>,
    /// The whole spec as written (no defaults); `Null` if the host sent text that is not JSON.
    pub spec: Value,
}

impl Ctx {
    /// Builds a context, parsing `spec` (unparsable text becomes `Null`).
    pub fn new(
        spec_name: impl Into<String>,
        namespace: impl Into<String>,
        node_selector: Vec<(String, String)>,
        common_labels: Vec<(String, String)>,
        spec: &str,
    ) -> Self {
        Ctx {
            spec_name: spec_name.into(),
            namespace: namespace.into(),
            node_selector,
            common_labels,
            spec: serde_json::from_str(spec).unwrap_or(Value::Null),
        }
    }

    /// A value of the whole spec by JSON pointer, for example `/workload/replicas`.
    pub fn spec_at(&self, pointer: &str) -> Option<&Value> {
        self.spec.pointer(pointer).filter(|v| !v.is_null())
    }
}

/// A section plugin's answer (the WIT `render-output`).
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub manifests: Vec<Value>,
    pub diagnostics: Vec<Diagnostic>,
    pub node_selector: Vec<(String, String)>,
}

impl Output {
    /// Only diagnostics: nothing is rendered.
    pub fn failed(diagnostics: Vec<Diagnostic>) -> Self {
        Output {
            diagnostics,
            ..Output::default()
        }
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// What goes back to the host: when there is an error, no manifests (the run aborts anyway,
    /// and half a rendering must never be applied); manifests as compact JSON text.
    pub fn manifest_texts(&self) -> Vec<String> {
        if self.has_errors() {
            return Vec::new();
        }
        self.manifests.iter().map(Value::to_string).collect()
    }
}

/// Implemented by a section plugin; [`crate::export_section_plugin!`] exports it over WIT.
pub trait SectionPlugin {
    /// The plugin's metadata.
    fn meta() -> PluginMeta;
    /// Renders the section's JSON text.
    fn render(section: &str, ctx: &Ctx) -> Output;
    /// The section's status line from the cluster as it is now (`hms-sys status`, `apply
    /// --wait`): `live` holds every object the spec rendered and, for a node pool, its nodes.
    /// `None` (the default) leaves the section to the host's generic readiness rules
    /// ([`crate::kstatus`]) over the objects this plugin rendered.
    fn status(
        section: &str,
        live: &crate::status::Live,
        ctx: &Ctx,
    ) -> Option<crate::status::StatusLine> {
        let _ = (section, live, ctx);
        None
    }
}

/// A baseline plugin's answer (the WIT `check-output`).
#[derive(Debug, Clone, Default)]
pub struct CheckOutput {
    /// Findings, each naming its object ([`Diagnostic::on`]); an error refuses the spec.
    pub findings: Vec<Diagnostic>,
    /// Hardened replacements (same objects, same order, same identities), or `None`.
    pub hardened: Option<Vec<Value>>,
}

impl From<Vec<Diagnostic>> for CheckOutput {
    fn from(findings: Vec<Diagnostic>) -> Self {
        CheckOutput {
            findings,
            hardened: None,
        }
    }
}

/// Implemented by a baseline plugin; [`crate::export_baseline_plugin!`] exports it over WIT.
pub trait BaselinePlugin {
    /// The plugin's metadata (`section: "baseline"`, no `emits`).
    fn meta() -> PluginMeta;
    /// Judges `manifests` (one JSON object each) with `params` (the baseline entry as JSON).
    fn check(manifests: &[String], params: &str, ctx: &Ctx) -> CheckOutput;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_drop_manifests() {
        let mut o = Output {
            manifests: vec![json!({"kind": "X"})],
            ..Output::default()
        };
        assert_eq!(o.manifest_texts(), [r#"{"kind":"X"}"#]);
        o.diagnostics.push(Diagnostic::error("A-B", "no"));
        assert!(o.manifest_texts().is_empty());
    }

    #[test]
    fn context_parses_spec() {
        let c = Ctx::new("s", "ns", vec![], vec![], r#"{"workload":{"replicas":3}}"#);
        assert_eq!(c.spec_at("/workload/replicas"), Some(&json!(3)));
        assert!(Ctx::new("s", "ns", vec![], vec![], "nope").spec.is_null());
    }
}
