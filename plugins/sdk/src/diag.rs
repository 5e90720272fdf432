//! The plugin-side diagnostic: what a plugin reports about its section, before conversion to WIT.

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

/// One problem or remark about a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// `<PLUGIN>-<NAME>`, for example `STORAGE-ACCESS-MODE`.
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// JSON pointer into the section; empty for the whole section.
    pub path: String,
    /// What to do about it; empty when there is nothing to add.
    pub hint: String,
}

impl Diagnostic {
    fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.into(),
            message: message.into(),
            path: String::new(),
            hint: String::new(),
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
}
