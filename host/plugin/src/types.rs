//! Host-side values exchanged with plugins, free of wasmtime types.

use serde::Serialize;

/// How serious a diagnostic is. `Error` blocks render and apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// The object a finding is about. `group` is empty for the core API group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}.", self.group)?;
        }
        write!(f, "{}/", self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

/// A problem or remark from a plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    /// JSON pointer into the section or into `object`.
    pub path: String,
    pub hint: String,
    pub object: Option<ObjectRef>,
}

/// An API group and kind. `group` is empty for the core group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct KindRef {
    pub group: String,
    pub kind: String,
}

impl std::fmt::Display for KindRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

/// What a plugin says about itself.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub wit_version: String,
    pub section: String,
    pub description: String,
    pub emits: Vec<KindRef>,
    /// The JSON Schema of the section, parsed.
    pub section_schema: serde_json::Value,
}

/// What the host tells a plugin about the rest of the spec.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub spec_name: String,
    pub namespace: String,
    pub node_selector: Vec<(String, String)>,
    pub common_labels: Vec<(String, String)>,
    /// The whole spec as written, as JSON text.
    pub spec: String,
}

/// A section plugin's answer, with every manifest parsed and checked to be a JSON object.
#[derive(Clone, Debug, Default)]
pub struct RenderOutput {
    pub manifests: Vec<serde_json::Value>,
    pub diagnostics: Vec<Diagnostic>,
    pub node_selector: Vec<(String, String)>,
}

/// A baseline plugin's answer.
#[derive(Clone, Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Diagnostic>,
    pub hardened: Option<Vec<serde_json::Value>>,
}
