//! One reportable problem: what is wrong, where (file:line:column, plugin, object), what to do.

use std::fmt;

use hms_plugin::{Diagnostic, PluginError, Severity};
use hms_spec::{Document, Section, SpecErrors};
use serde::Serialize;

use crate::findings::Finding;
use crate::text::{self, shown};

/// A problem or remark for a person (and, as JSON, for a machine).
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// Stable code: a plugin's code, a control id, or `HMS-...` for the host's own checks.
    pub code: String,
    pub message: String,
    /// `file:line:column` in the spec, when the problem points into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The object concerned, `Kind namespace/name`, and a JSON pointer into it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

impl Problem {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            code: code.to_string(),
            message: message.into(),
            location: None,
            plugin: None,
            object: None,
            hint: String::new(),
        }
    }

    pub fn plugin(mut self, name: &str) -> Self {
        self.plugin = Some(name.to_string());
        self
    }

    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    pub fn at(mut self, doc: &Document, section: Section, pointer: &str) -> Self {
        let loc = doc.source.locate(section, pointer);
        self.location = Some(format!("{}:{}:{}", doc.source.file(), loc.line, loc.column));
        self
    }

    /// Located at a JSON pointer from the spec's root (`/plugins/storage`, `/baseline/1/name`).
    pub fn at_pointer(self, doc: &Document, pointer: &str) -> Self {
        self.at_source(&doc.source, pointer)
    }

    /// Located at a JSON pointer from the root of an indexed YAML file.
    pub fn at_source(mut self, source: &hms_spec::Source, pointer: &str) -> Self {
        let loc = source.locate_pointer(pointer);
        self.location = Some(format!("{}:{}:{}", source.file(), loc.line, loc.column));
        self
    }

    /// (line, column) of the location, for sorting problems into file order; (0, 0) without one.
    pub fn position(&self) -> (usize, usize) {
        let mut parts = self.location.as_deref().unwrap_or("").rsplit(':');
        let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        (line, column)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Every error of a spec that did not parse or validate.
    pub fn from_spec(errors: &SpecErrors) -> Vec<Problem> {
        errors
            .0
            .iter()
            .map(|e| Problem {
                location: Some(format!(
                    "{}:{}:{}",
                    e.file, e.location.line, e.location.column
                )),
                hint: e.hint.clone().unwrap_or_default(),
                ..Problem::error("HMS-SPEC", e.message.clone())
            })
            .collect()
    }

    /// A plugin's diagnostic about its section, located in the spec file.
    pub fn from_section_diagnostic(
        doc: &Document,
        section: Section,
        plugin: &str,
        d: &Diagnostic,
    ) -> Self {
        Problem {
            severity: d.severity,
            hint: d.hint.clone(),
            ..Problem::error(&d.code, d.message.clone())
        }
        .plugin(plugin)
        .at(doc, section, &d.path)
    }

    /// A baseline finding about an object: the control is the code, the NIST controls it
    /// supports follow the message, the object names the field.
    pub fn from_finding(f: &Finding) -> Self {
        let object = f.object.as_ref().map(|o| {
            let at = if f.path.is_empty() {
                String::new()
            } else {
                format!(" at {}", f.path)
            };
            format!("{o}{at}")
        });
        let mut message = f.message.clone();
        if !f.nist.is_empty() {
            message.push_str(&format!(" (NIST SP 800-53: {})", f.nist.join(", ")));
        }
        if let Some(e) = &f.excepted {
            let by = e.ticket.as_deref().or(e.approver.as_deref()).unwrap_or("");
            message.push_str(&format!(
                "; accepted by exception {} at {} ({by}, until {}): {}",
                e.exception, e.location, e.expires, e.justification
            ));
        }
        Problem {
            // An accepted error is reported, as a warning: it no longer refuses.
            severity: if f.excepted.is_some() {
                hms_plugin::Severity::Warning
            } else {
                f.severity
            },
            object,
            hint: f.hint.clone(),
            location: f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file, l.line, l.column)),
            ..Problem::error(&f.control, message)
        }
        .plugin(&f.baseline)
    }

    /// A plugin that failed to run.
    pub fn from_plugin_error(e: &PluginError) -> Self {
        let mut p = Problem::error("HMS-PLUGIN", e.to_string())
            .plugin(&e.plugin)
            .hint(e.hint());
        let stderr = e.stderr.trim();
        if !stderr.is_empty() && !matches!(e.cause, hms_plugin::Cause::Panic(_)) {
            let last: Vec<&str> = stderr.lines().rev().take(3).collect();
            p.message.push_str(&format!(
                " (plugin stderr: {})",
                last.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        p
    }
}

impl Problem {
    /// The text form with the severity coloured when `colour` (see [`crate::style`]).
    pub fn painted(&self, colour: bool) -> Painted<'_> {
        Painted {
            problem: self,
            colour,
        }
    }
}

/// A [`Problem`]'s text form, its severity coloured or not.
pub struct Painted<'a> {
    problem: &'a Problem,
    colour: bool,
}

impl fmt::Display for Painted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.write_text(f, self.colour)
    }
}

/// The text form, for a person: every field may come from a plugin, so each is shown through
/// [`text::shown`] (escaped and bounded); the JSON form (`Serialize`) keeps them exact.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f, false)
    }
}

impl Problem {
    fn write_text(&self, f: &mut fmt::Formatter<'_>, colour: bool) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{}: ", shown(loc, text::FIELD))?;
        }
        let level = crate::style::severity(self.severity, colour);
        write!(
            f,
            "{level}[{}]: {}",
            shown(&self.code, text::CODE),
            shown(&self.message, text::MESSAGE)
        )?;
        let mut whom = Vec::new();
        if let Some(p) = &self.plugin {
            whom.push(format!("plugin `{}`", shown(p, text::FIELD)));
        }
        if let Some(o) = &self.object {
            whom.push(format!("object {}", shown(o, text::FIELD)));
        }
        if !whom.is_empty() {
            write!(f, " ({})", whom.join(", "))?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", shown(&self.hint, text::MESSAGE))?;
        }
        Ok(())
    }
}
