//! The plugin-side diagnostic: what a plugin reports about its section (a section plugin) or
//! about an object (a baseline's finding), before conversion to WIT.

use serde_json::Value;

/// How serious a diagnostic is; mirrors the WIT `severity` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Blocks render and apply.
    Error,
    /// Worth reading; does not block.
    Warning,
    /// A remark, for example how a requirement is met.
    Info,
}

/// The object a finding is about (the WIT `object-ref`); `group` is empty for the core group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectRef {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// Reads group, kind, namespace and name from a manifest, leaving unknown parts empty.
    pub fn of(obj: &Value) -> Self {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        ObjectRef {
            group: s("/apiVersion")
                .rsplit_once('/')
                .map_or("", |(g, _)| g)
                .to_string(),
            kind: s("/kind").to_string(),
            namespace: s("/metadata/namespace").to_string(),
            name: s("/metadata/name").to_string(),
        }
    }

    /// `Kind namespace/name` (`Kind name` when cluster-scoped), for messages.
    pub fn display(&self) -> String {
        let name = if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, name)
        }
    }
}

/// One problem or remark about a section, or a baseline's finding about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// `<PLUGIN>-<NAME>`, for example `STORAGE-ACCESS-MODE`.
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// JSON pointer into the section (or into `object`, for a finding); empty for the whole.
    pub path: String,
    /// What to do about it; empty when there is nothing to add.
    pub hint: String,
    /// The object a baseline's finding is about; `None` for a section plugin's diagnostics.
    pub object: Option<ObjectRef>,
}

impl Diagnostic {
    fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.into(),
            message: message.into(),
            path: String::new(),
            hint: String::new(),
            object: None,
        }
    }

    /// An error: the run is aborted.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning.
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// An informational remark.
    pub fn info(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    /// Sets the JSON pointer into the section.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Names the object a finding is about.
    pub fn on(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_every_field() {
        let d = Diagnostic::error("X-Y", "bad").at("/a/b").hint("fix it");
        assert!(d.is_error());
        assert_eq!((d.code.as_str(), d.path.as_str()), ("X-Y", "/a/b"));
        assert_eq!(d.hint, "fix it");
        assert_eq!(Diagnostic::info("X-I", "ok").severity, Severity::Info);
        assert!(!Diagnostic::warning("X-W", "hm").is_error());
    }

    #[test]
    fn object_refs_read_a_manifest() {
        let o = ObjectRef::of(&serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n"}
        }));
        assert_eq!(
            (o.group.as_str(), o.display()),
            ("apps", "Deployment n/d".into())
        );
        let core = ObjectRef::of(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace"}));
        assert_eq!(
            (core.group.as_str(), core.display()),
            ("", "Namespace <unnamed>".into())
        );
        let d = Diagnostic::error("X", "m").on(core.clone());
        assert_eq!(d.object, Some(core));
    }
}
