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
    /// The JSON Schema of the section.
    pub section_schema: SectionSchema,
}

/// A plugin's section schema: the JSON text it sent, parsed on first use. A warm render whose
/// sections passed before never reads it (the verdict cache), so it is not parsed at every
/// start (4 % of a warm render of the example; docs/benchmarks.md).
#[derive(Clone, Debug)]
pub struct SectionSchema {
    text: String,
    parsed: std::sync::OnceLock<serde_json::Value>,
}

impl SectionSchema {
    /// A schema this host has just parsed (and checked).
    pub(crate) fn parsed(text: String, value: serde_json::Value) -> Self {
        SectionSchema {
            text,
            parsed: std::sync::OnceLock::from(value),
        }
    }

    /// A schema this host parsed and checked before, and recorded in its cache.
    pub(crate) fn recorded(text: String) -> Self {
        SectionSchema {
            text,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// The schema. Text this host did not parse before reaches here only from its own cache
    /// (a private directory; `Cache`), so it parses; if an entry was damaged on disk anyway,
    /// the result is the schema `false`, which refuses every section with the plugin named.
    pub fn value(&self) -> &serde_json::Value {
        self.parsed.get_or_init(|| {
            serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Bool(false))
        })
    }
}

impl Serialize for SectionSchema {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
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

/// One object the spec rendered, as the cluster has it now (the input of a plugin's `status`).
#[derive(Clone, Debug)]
pub struct LiveObject {
    pub object: ObjectRef,
    /// The spec section whose plugin rendered it.
    pub section: String,
    /// The object as the API server returns it, as JSON text; `None` when it does not exist.
    pub live: Option<String>,
}

/// How far a section has come, by its plugin's judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusState {
    Ready,
    InProgress,
    Failed,
}

/// A plugin's status line for its section, checked by the host: bounded, one line each, and
/// still to be escaped before it reaches a terminal (it is the plugin's text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusLine {
    pub state: StatusState,
    pub line: String,
    /// Empty when ready.
    pub reason: String,
}

/// A baseline plugin's answer.
#[derive(Clone, Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Diagnostic>,
    pub hardened: Option<Vec<serde_json::Value>>,
}
