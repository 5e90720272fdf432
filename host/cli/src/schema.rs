//! A section (or a baseline's parameters) judged by its plugin's JSON Schema, with errors as
//! good as hand-written ones: located at `file:line:column`, "did you mean" from the schema's
//! own properties and enums, a missing field reported at its parent, and the host's named
//! formats (`hms_spec::formats`) with their reasons and hints.

use hms_plugin::Plugin;
use hms_spec::{Source, formats};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::problem::Problem;

/// The compiled validator of a schema, with the host's named formats registered.
pub fn validator(schema: &Value) -> Result<jsonschema::Validator, String> {
    let mut options = jsonschema::options().should_validate_formats(true);
    for name in formats::NAMES {
        options = options.with_format(*name, move |s: &str| formats::check(name, s).is_ok());
    }
    options.build(schema).map_err(|e| e.to_string())
}

/// Every way `json`, written at `root` in the spec, breaks `plugin`'s schema.
pub fn validate(
    source: Option<&Source>,
    root: &str,
    what: &str,
    plugin: &Plugin,
    json: &Value,
) -> Vec<Problem> {
    let schema = plugin.metadata().section_schema.value();
    let validator = match validator(schema) {
        Ok(v) => v,
        Err(e) => {
            return vec![
                Problem::error(
                    "HMS-PLUGIN-SCHEMA",
                    format!("the plugin's schema for {what} is invalid: {e}"),
                )
                .plugin(plugin.name())
                .hint("this is a bug in the plugin; report it to its author"),
            ];
        }
    };
    // A section file of its own (`plugins run`) has the section at its root: name it.
    let label = match root.trim_start_matches('/') {
        "" => what.to_string(),
        r => r.replace('/', "."),
    };
    let mut problems = Vec::new();
    for e in validator.iter_errors(json) {
        let at = e.instance_path().as_str().to_string();
        let schema_at = e.schema_path().as_str().to_string();
        let dotted = dotted(&label, &at);
        let pointer = format!("{root}{at}");
        for x in explain(
            e.kind(),
            e.instance(),
            &e.to_string(),
            &schema_at,
            schema,
            &dotted,
        ) {
            let mut p = Problem::error("HMS-SECTION-SCHEMA", x.message)
            .plugin(plugin.name())
            .hint(x.hint.unwrap_or_else(|| {
                format!(
                    "see `hms-sys plugins list` for the plugin that serves {what} and its schema"
                )
            }));
            let Some(source) = source else {
                problems.push(p);
                continue;
            };
            p = p.at_source(source, &pointer);
            // An unknown field is located at its own key.
            if let Some(l) = x.field.and_then(|f| {
                source.key_location(&format!(
                    "{pointer}/{}",
                    f.replace('~', "~0").replace('/', "~1")
                ))
            }) {
                p.location = Some(format!("{}:{}:{}", source.file(), l.line, l.column));
            }
            problems.push(p);
        }
    }
    problems
}

/// What one schema error means for a person: a message naming the dotted field, a hint, and
/// for an unknown field its name (to locate its key).
struct Explained {
    message: String,
    hint: Option<String>,
    field: Option<String>,
}

fn msg(message: String) -> Explained {
    Explained {
        message,
        hint: None,
        field: None,
    }
}

fn with_hint(message: String, hint: String) -> Explained {
    Explained {
        message,
        hint: (!hint.is_empty()).then_some(hint),
        field: None,
    }
}

/// `storage` + `/volume/size` -> `storage.volume.size`.
fn dotted(label: &str, at: &str) -> String {
    let mut s = label.to_string();
    for part in at.split('/').filter(|p| !p.is_empty()) {
        s.push('.');
        s.push_str(&part.replace("~1", "/").replace("~0", "~"));
    }
    s
}

/// A value as a person reads it in a message: a string without its JSON quotes.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn explain(
    kind: &ValidationErrorKind,
    instance: &Value,
    fallback: &str,
    schema_at: &str,
    schema: &Value,
    dotted: &str,
) -> Vec<Explained> {
    let f = format!("`{dotted}`");
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            // The schema object that holds `properties` sits beside the failing keyword.
            // (and in the `allOf`/`anyOf`/`oneOf` branches it combines).
            let parent = schema_at.rsplit_once('/').map_or("", |(p, _)| p);
            let mut known: Vec<String> = Vec::new();
            if let Some(node) = schema.pointer(parent) {
                let branches = ["allOf", "anyOf", "oneOf"]
                    .iter()
                    .filter_map(|k| node.get(*k).and_then(Value::as_array))
                    .flatten();
                for n in std::iter::once(node).chain(branches) {
                    for k in n
                        .get("properties")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if !known.contains(k.0) {
                            known.push(k.0.clone());
                        }
                    }
                }
            }
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            unexpected
                .iter()
                .map(|field| {
                    let hint = if known.is_empty() {
                        String::new()
                    } else if hms_spec::did_you_mean(field, &known).is_some() {
                        hms_spec::choice_hint(field, &known, "fields")
                    } else {
                        format!("valid fields: {}", hms_spec::backticked(&known))
                    };
                    Explained {
                        message: format!("unknown field `{field}` in {f}"),
                        hint: (!hint.is_empty()).then_some(hint),
                        field: Some(field.clone()),
                    }
                })
                .collect()
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(value_text).collect())
                .unwrap_or_default();
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            vec![with_hint(
                format!("{f} cannot be `{}`", value_text(instance)),
                hms_spec::choice_hint(&value_text(instance), &options, "values"),
            )]
        }
        ValidationErrorKind::Constant { expected_value } => vec![msg(format!(
            "{f} must be `{}`, got `{}`",
            value_text(expected_value),
            value_text(instance)
        ))],
        ValidationErrorKind::Required { property } => vec![msg(format!(
            "missing required field `{}` in {f}",
            value_text(property)
        ))],
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(&format!("{t:?}")),
                TypeKind::Multiple(ts) => {
                    let names: Vec<String> =
                        ts.iter().map(|t| type_name(&format!("{t:?}"))).collect();
                    names.join(" or ")
                }
            };
            let message = format!("{f}: expected {expected}, got `{}`", value_text(instance));
            let wants_text = match kind {
                TypeKind::Single(t) => format!("{t:?}") == "String",
                TypeKind::Multiple(ts) => ts.iter().any(|t| format!("{t:?}") == "String"),
            };
            match instance {
                // `1.30`, `yes`: YAML read the plain scalar as a number or a boolean.
                Value::Number(_) | Value::Bool(_) if wants_text => vec![with_hint(
                    message,
                    format!(
                        "YAML reads `{}` as a {}: put the value in quotes to keep it as written",
                        value_text(instance),
                        if instance.is_number() {
                            "number"
                        } else {
                            "boolean"
                        }
                    ),
                )],
                _ => vec![msg(message)],
            }
        }
        ValidationErrorKind::Format { format } => {
            let value = value_text(instance);
            match formats::check(format, &value) {
                Err(invalid) => vec![with_hint(
                    format!("{f} `{value}` {}", invalid.reason),
                    invalid.hint.unwrap_or_default(),
                )],
                Ok(()) => vec![msg(format!("{f} `{value}` is not a valid {format}"))],
            }
        }
        ValidationErrorKind::Minimum { limit } => vec![msg(format!(
            "{f} must be at least {limit}, got {}",
            value_text(instance)
        ))],
        ValidationErrorKind::Maximum { limit } => vec![msg(format!(
            "{f} must be at most {limit}, got {}",
            value_text(instance)
        ))],
        ValidationErrorKind::ExclusiveMinimum { limit } => vec![msg(format!(
            "{f} must be greater than {limit}, got {}",
            value_text(instance)
        ))],
        ValidationErrorKind::MinLength { limit: 1 } => vec![msg(format!("{f} is empty"))],
        ValidationErrorKind::MinLength { limit } => {
            vec![msg(format!("{f} must be at least {limit} characters long"))]
        }
        ValidationErrorKind::MaxLength { limit } => {
            vec![msg(format!("{f} must be at most {limit} characters long"))]
        }
        ValidationErrorKind::MinProperties { limit } => vec![msg(format!(
            "{f} needs at least {limit} {}",
            if *limit == 1 { "entry" } else { "entries" }
        ))],
        ValidationErrorKind::Pattern { pattern } => vec![msg(format!(
            "{f} `{}` does not match the pattern `{pattern}`",
            value_text(instance)
        ))],
        _ => vec![msg(format!(
            "{f} does not match the plugin's schema: {fallback}"
        ))],
    }
}

/// `Integer` -> `an integer`.
fn type_name(debug: &str) -> String {
    match debug.to_ascii_lowercase().as_str() {
        "integer" => "an integer".into(),
        "object" => "a mapping".into(),
        "array" => "a list".into(),
        "boolean" => "`true` or `false`".into(),
        "null" => "nothing".into(),
        other => format!("a {other}"),
    }
}
