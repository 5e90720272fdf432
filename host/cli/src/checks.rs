//! The host's checks of plugin output: shape, names, scope, declared kinds and collisions.

use std::collections::BTreeMap;
use std::fmt;

use hms_plugin::Metadata;
use serde_json::Value;

use crate::kinds::{self, Scope};
use crate::problem::Problem;

/// The identity of an object: group, kind, namespace (empty when cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.kind)?;
        } else {
            write!(f, "{}.{}", self.kind, self.group)?;
        }
        if self.namespace.is_empty() {
            write!(f, " {}", self.name)
        } else {
            write!(f, " {}/{}", self.namespace, self.name)
        }
    }
}

/// Checks one object emitted by `meta`'s plugin and returns its identity, or the problems.
/// `namespace` is the only namespace the spec's objects may live in.
pub fn check_object(
    meta: &Metadata,
    index: usize,
    value: &Value,
    namespace: &str,
) -> Result<ObjectId, Vec<Problem>> {
    let plugin = meta.name.as_str();
    let str_at = |ptr: &str| value.pointer(ptr).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind, name) = (
        str_at("/apiVersion"),
        str_at("/kind"),
        str_at("/metadata/name"),
    );
    let ns = str_at("/metadata/namespace");
    let what = if name.is_empty() {
        format!("object #{index}")
    } else {
        format!("{kind} {name}")
    };
    let problem = |code: &str, msg: String| {
        Problem::error(code, msg)
            .plugin(plugin)
            .object(what.clone())
    };
    let mut problems = Vec::new();
    for (field, v) in [
        ("apiVersion", api_version),
        ("kind", kind),
        ("metadata.name", name),
    ] {
        if v.is_empty() {
            problems.push(
                problem("HMS-OBJECT-SHAPE", format!("the object has no `{field}`"))
                    .hint("every object needs apiVersion, kind and metadata.name"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let group = kinds::group_of(api_version).to_string();
    let name_ok = if (group.as_str(), kind) == ("", "Namespace") {
        hms_spec::is_dns1123_label(name)
    } else {
        hms_spec::is_dns1123_subdomain(name)
    };
    if !name_ok {
        problems.push(problem("HMS-OBJECT-NAME", format!("metadata.name {name:?} is not a valid DNS-1123 name"))
            .hint("names are lowercase letters, digits, '-' and '.', start and end alphanumeric, at most 253 characters (63 for namespaces)"));
    }
    let declared = meta
        .emits
        .iter()
        .any(|k| k.group == group && k.kind == kind);
    if !declared {
        let allowed: Vec<String> = meta.emits.iter().map(|k| k.to_string()).collect();
        problems.push(
            problem(
                "HMS-FORBIDDEN-KIND",
                format!(
                    "emitted a {kind} ({api_version}), a kind it did not declare for section {}",
                    meta.section
                ),
            )
            .hint(format!(
                "a {} plugin may emit only what its metadata declares: {}",
                meta.section,
                if allowed.is_empty() {
                    "nothing".to_string()
                } else {
                    allowed.join(", ")
                }
            )),
        );
    }
    match kinds::scope(&group, kind) {
        Scope::Cluster if !ns.is_empty() => problems.push(
            problem(
                "HMS-OBJECT-SCOPE",
                format!("{kind} is cluster-scoped but has namespace {ns:?}"),
            )
            .hint("remove metadata.namespace"),
        ),
        Scope::Namespaced if ns.is_empty() => problems.push(
            problem(
                "HMS-OBJECT-SCOPE",
                format!("{kind} is namespaced but has no metadata.namespace"),
            )
            .hint(format!(
                "set metadata.namespace to {namespace:?} (the context's namespace)"
            )),
        ),
        _ => {}
    }
    if !ns.is_empty() && ns != namespace {
        problems.push(
            problem(
                "HMS-OBJECT-NAMESPACE",
                format!(
                    "the object is in namespace {ns:?}, outside the spec's namespace {namespace:?}"
                ),
            )
            .hint("plugins may only write into the namespace the host gives them in the context"),
        );
    }
    if problems.is_empty() {
        Ok(ObjectId {
            group,
            kind: kind.to_string(),
            namespace: ns.to_string(),
            name: name.to_string(),
        })
    } else {
        Err(problems)
    }
}

/// Tracks which plugin produced each object and reports collisions.
#[derive(Default)]
pub struct Owners(BTreeMap<ObjectId, String>);

impl Owners {
    pub fn claim(&mut self, id: &ObjectId, plugin: &str) -> Result<(), Problem> {
        match self.0.get(id) {
            Some(first) => Err(Problem::error(
                "HMS-OBJECT-COLLISION",
                format!("{id} is emitted by both plugin `{first}` and plugin `{plugin}`"),
            )
            .plugin(plugin)
            .object(id.to_string())
            .hint("give the objects different names in the spec, or drop one of the sections")),
            None => {
                self.0.insert(id.clone(), plugin.to_string());
                Ok(())
            }
        }
    }
}
