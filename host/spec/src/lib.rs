//! hms-spec: the hms-sys cluster spec — strict YAML parsing with locations and the envelope.
//!
//! [`load`] or [`parse`] a spec file into a [`Document`]: the [`Spec`] (its envelope checked,
//! each section kept as written for the plugin that serves it) plus the [`Source`] that maps
//! any JSON pointer back to `file:line:column`. Every problem is a located [`SpecError`]; all
//! of them are returned together as [`SpecErrors`].

mod check;
mod error;
mod file;
pub mod formats;
pub mod image;
mod model;
mod names;
mod plugin_ref;
pub mod quantity;
pub mod schema;
mod source;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use std::path::Path;

pub use error::{Location, SpecError, SpecErrors};
pub use file::{MAX_SPEC_BYTES, ReadFileError, open_regular_file, read_regular_file};
pub use model::{BaselineUse, Choice, Exception, Grant, ObjectPattern, Spec};
pub use names::{
    api_version_reason, backticked, choice_hint, did_you_mean, dns1123_label_reason,
    is_dns1123_label, is_dns1123_subdomain, kind_reason, parse_kind_ref,
};
pub use plugin_ref::{PluginLocation, PluginRef, REF_HINT, RegistryRef};
pub use source::Source;

use source::Root;

/// A parsed spec, its envelope checked, together with where everything was written.
#[derive(Clone, Debug)]
pub struct Document {
    pub spec: Spec,
    pub source: Source,
}

/// A section of the spec, each served by one plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    NodePool,
    Storage,
    Network,
    Workload,
    Baseline,
}

impl Section {
    /// Every section, in render order.
    pub const ALL: [Section; 5] = [
        Section::NodePool,
        Section::Storage,
        Section::Network,
        Section::Workload,
        Section::Baseline,
    ];

    /// The sections a section plugin renders (every one but the baseline), in render order.
    pub const RENDERED: [Section; 4] = [
        Section::NodePool,
        Section::Storage,
        Section::Network,
        Section::Workload,
    ];

    /// The section's key in the spec file: `nodePool`, `storage`, `network`, `workload`, `baseline`.
    pub fn key(self) -> &'static str {
        match self {
            Section::NodePool => "nodePool",
            Section::Storage => "storage",
            Section::Network => "network",
            Section::Workload => "workload",
            Section::Baseline => "baseline",
        }
    }

    /// The section with this key.
    pub fn from_key(key: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.key() == key)
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

impl Spec {
    /// The spec's name (`name:`, else `nodePool.name`, else the workload name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace namespaced objects go to (`namespace:`, else the name).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether the section is present (the baseline: whether any baseline runs).
    pub fn has(&self, s: Section) -> bool {
        match s {
            Section::Baseline => !self.baselines.is_empty(),
            _ => self.sections.contains_key(&s),
        }
    }

    /// The section as its plugin receives it: as written (camelCase keys, no defaults). `None`
    /// for the baseline: each baseline gets its own parameters ([`BaselineUse::params`]).
    pub fn section_json(&self, s: Section) -> Option<serde_json::Value> {
        self.sections.get(&s).cloned()
    }

    /// The whole spec as plugins see it in their context: `name`, `namespace` and each present
    /// section (as [`Spec::section_json`] gives it).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("namespace".into(), self.namespace.clone().into());
        for s in Section::ALL {
            if let Some(v) = self.section_json(s) {
                m.insert(s.key().into(), v);
            }
        }
        serde_json::Value::Object(m)
    }
}

/// Reads the spec file at `path` and [`parse`]s it; the path is the file name in errors.
///
/// Only a regular file (or a symlink to one) of at most [`MAX_SPEC_BYTES`] is read, and it must
/// be UTF-8 (a leading byte-order mark is allowed); see [`read_regular_file`].
pub fn load(path: &Path) -> Result<Document, SpecErrors> {
    let text = read_text(path)?;
    parse(&text, &path.display().to_string())
}

/// Reads a file of exceptions for `hms-sys check` over manifests, which have no spec to hold
/// them: `exceptions:` exactly as in a spec (a spec file itself will do; its other fields are
/// checked for spelling only). Returns them with the file's position index.
pub fn load_exceptions(path: &Path) -> Result<(Vec<Exception>, Source), SpecErrors> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let source = Source::build(text, &file).map_err(SpecErrors::one)?;
    let raw: model::raw::Spec =
        serde_yaml_ng::from_str(text).map_err(|e| SpecErrors::one(serde_error(&e, &source)))?;
    let list = validate::exceptions_only(&raw, &source).map_err(SpecErrors)?;
    Ok((list, source))
}

/// A spec-like file as UTF-8 text: a regular file of at most [`MAX_SPEC_BYTES`] (see
/// [`read_regular_file`]); errors located where the bad byte is.
fn read_text(path: &Path) -> Result<String, SpecErrors> {
    let file = path.display().to_string();
    let error = |location: Location, message: String, hint: String| {
        SpecErrors::one(SpecError {
            file: file.clone(),
            location,
            message,
            hint: Some(hint),
        })
    };
    let bytes = read_regular_file(path, MAX_SPEC_BYTES).map_err(|e| {
        error(
            Location::START,
            format!("cannot read the spec file: {e}"),
            e.hint(),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid by construction; the column counts characters, as every other location does.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let location = Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        };
        let byte = e.as_bytes().get(valid.len()).copied().unwrap_or_default();
        error(
            location,
            format!("the spec file is not UTF-8 text (byte 0x{byte:02x})"),
            "save the file as UTF-8 (not UTF-16 or Latin-1)".into(),
        )
    })?;
    Ok(text)
}

/// Parses spec `text` and checks its envelope (name, namespace, which sections exist,
/// `plugins`, `baseline`, `grants`); `file` is the name used in errors. Each section is kept
/// exactly as written: the plugin serving it owns its fields, defaults and checks.
///
/// A leading byte-order mark (U+FEFF, which Windows editors write) is ignored: locations are
/// those of the same text without it.
pub fn parse(text: &str, file: &str) -> Result<Document, SpecErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Source::build(text, file).map_err(SpecErrors::one)?;
    let top = |message: String, hint: &str| {
        SpecErrors::one(SpecError {
            file: file.to_string(),
            location: Location::START,
            message,
            hint: Some(hint.to_string()),
        })
    };
    let example = "see examples/dcaa_cluster.yml";
    if source.documents > 1 {
        return Err(top(
            "the spec file holds more than one YAML document".into(),
            "keep one spec per file",
        ));
    }
    match &source.root {
        Root::Mapping => {}
        Root::Empty => return Err(top("the spec file is empty".into(), example)),
        Root::Sequence => {
            let msg = "the top level of the spec must be a mapping of sections (`nodePool`, `storage`, `network`, `workload`), not a list";
            return Err(top(msg.into(), example));
        }
        Root::Scalar(s) => {
            let msg = format!(
                "the top level of the spec must be a mapping of sections (`nodePool`, `storage`, `network`, `workload`), not the value `{s}`"
            );
            return Err(top(msg, example));
        }
    }
    let raw: model::raw::Spec =
        serde_yaml_ng::from_str(text).map_err(|e| SpecErrors::one(serde_error(&e, &source)))?;
    let spec = validate::validate(&raw, &source).map_err(SpecErrors)?;
    Ok(Document { spec, source })
}

/// The text between each pair of backticks in `s`.
fn backticked_words(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// A serde_yaml_ng error as a located spec error, with a "did you mean" for unknown fields.
fn serde_error(e: &serde_yaml_ng::Error, src: &Source) -> SpecError {
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let (path, rest) = match msg.split_once(": ") {
        Some((p, r)) if !p.is_empty() && !p.contains(' ') => (Some(p), r),
        _ => (None, msg),
    };
    let pointer: String = path
        .map(|p| {
            p.split('.')
                .map(|s| format!("/{}", source::escape(s)))
                .collect()
        })
        .unwrap_or_default();
    let fallback = e
        .location()
        .map(|l| Location {
            line: l.line().max(1),
            column: l.column().max(1),
        })
        .unwrap_or_else(|| src.locate_pointer(&pointer));
    let whose = path.map_or("at the top level".to_string(), |p| format!("in `{p}`"));
    if let Some(after) = rest.strip_prefix("unknown field `") {
        let field = after.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest
            .split_once(", expected")
            .map(|(_, list)| backticked_words(list))
            .unwrap_or_default();
        let location = src
            .key_location(&format!("{pointer}/{}", source::escape(field)))
            .unwrap_or(fallback);
        let hint = if expected.is_empty() {
            None
        } else if did_you_mean(field, &expected).is_some() {
            Some(choice_hint(field, &expected, "fields"))
        } else {
            Some(format!("valid fields: {}", backticked(&expected)))
        };
        return SpecError {
            file: src.file().to_string(),
            location,
            message: format!("unknown field `{field}` {whose}"),
            hint,
        };
    }
    let rest = rest
        .replace("expected i64", "expected an integer")
        .replace("expected a boolean", "expected `true` or `false`");
    SpecError {
        file: src.file().to_string(),
        location: fallback,
        message: match path {
            Some(p) => format!("`{p}`: {rest}"),
            None => rest,
        },
        hint: None,
    }
}
