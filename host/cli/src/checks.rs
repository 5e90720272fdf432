//! The host's checks of plugin output: shape, names, scope, the kinds a plugin may emit
//! (declared, allowed for its section or granted) and collisions.

use std::collections::BTreeMap;
use std::fmt;

use hms_plugin::Metadata;
use hms_spec::Section;
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

/// What one plugin may emit: its section's allow-list (owned by `kinds`), narrowed by the
/// kinds its metadata declares, widened by the spec's grants for that plugin.
#[derive(Clone, Debug)]
pub struct Caps {
    pub plugin: String,
    pub section: Section,
    /// `emits` from the plugin's metadata, as (group, kind).
    pub declared: Vec<(String, String)>,
    /// Kinds the spec grants this plugin, as (group, kind).
    pub granted: Vec<(String, String)>,
}

impl Caps {
    pub fn new(meta: &Metadata, section: Section, grants: &[hms_spec::Grant]) -> Self {
        Caps {
            plugin: meta.name.clone(),
            section,
            declared: meta
                .emits
                .iter()
                .map(|k| (k.group.clone(), k.kind.clone()))
                .collect(),
            granted: grants
                .iter()
                .filter(|g| g.plugin == meta.name)
                .map(|g| (g.group.clone(), g.kind.clone()))
                .collect(),
        }
    }

    /// The same plugin without its grants: what a baseline's change to its objects is held to.
    pub fn without_grants(&self) -> Caps {
        Caps {
            granted: Vec::new(),
            ..self.clone()
        }
    }

    fn granted(&self, group: &str, kind: &str) -> bool {
        self.granted.iter().any(|(g, k)| g == group && k == kind)
    }

    fn declared(&self, group: &str, kind: &str) -> bool {
        self.declared.iter().any(|(g, k)| g == group && k == kind)
    }

    /// The grant that would allow this kind, as the spec writes it.
    fn grant_hint(&self, group: &str, kind: &str) -> String {
        format!(
            "only if you trust plugin `{}` with it, grant it in the spec: `grants: {{{}: [{}]}}`; without a grant a {} plugin may emit {}",
            self.plugin,
            self.plugin,
            kinds::kind_ref(group, kind),
            self.section,
            match kinds::section_kinds(self.section) {
                k if k.is_empty() => "nothing".to_string(),
                k => k.join(", "),
            }
        )
    }
}

/// Checks one object emitted by the plugin `caps` describes and returns its identity, or the
/// problems. `namespace` is the only namespace the spec's objects may live in (and the only
/// Namespace object a plugin may emit).
pub fn check_object(
    caps: &Caps,
    index: usize,
    value: &Value,
    namespace: &str,
) -> Result<ObjectId, Vec<Problem>> {
    let plugin = caps.plugin.as_str();
    let str_at = |ptr: &str| value.pointer(ptr).and_then(Value::as_str).unwrap_or("");
    let (api_version, kind, name) = (
        str_at("/apiVersion"),
        str_at("/kind"),
        str_at("/metadata/name"),
    );
    let ns = str_at("/metadata/namespace");
    let what = if name.is_empty() || kind.is_empty() {
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
    if let Some(reason) =
        hms_spec::api_version_reason(api_version).filter(|_| !api_version.is_empty())
    {
        problems.push(
            problem(
                "HMS-OBJECT-SHAPE",
                format!("apiVersion {api_version:?} is invalid: {reason}"),
            )
            .hint("apiVersion is `VERSION` for the core group or `GROUP/VERSION`, e.g. `apps/v1`"),
        );
    }
    if let Some(reason) = hms_spec::kind_reason(kind).filter(|_| !kind.is_empty()) {
        problems.push(
            problem(
                "HMS-OBJECT-SHAPE",
                format!("kind {kind:?} is invalid: it {reason}"),
            )
            .hint("a kind is a CamelCase word of letters and digits, e.g. `ConfigMap`"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let group = kinds::group_of(api_version).to_string();
    let is_namespace = (group.as_str(), kind) == ("", "Namespace");
    let name_ok = if is_namespace {
        hms_spec::is_dns1123_label(name)
    } else {
        hms_spec::is_dns1123_subdomain(name)
    };
    if !name_ok {
        problems.push(problem("HMS-OBJECT-NAME", format!("metadata.name {name:?} is not a valid DNS-1123 name"))
            .hint("names are lowercase letters, digits, '-' and '.', start and end alphanumeric, at most 253 characters (63 for namespaces)"));
    }
    let kref = kinds::kind_ref(&group, kind);
    // An object of a kind the host cannot place, written without a namespace, may be
    // cluster-wide: only a grant allows it.
    let unscoped = kinds::scope(&group, kind) == Scope::Unknown && ns.is_empty();
    let permitted = (kinds::section_allows(caps.section, &group, kind) && !unscoped)
        || caps.granted(&group, kind);
    if !caps.declared(&group, kind) {
        let allowed: Vec<String> = caps
            .declared
            .iter()
            .map(|(g, k)| kinds::kind_ref(g, k))
            .collect();
        problems.push(
            problem(
                "HMS-UNDECLARED-KIND",
                format!("emitted a {kref} ({api_version}), a kind its metadata does not declare"),
            )
            .hint(format!(
                "a plugin may emit only what its metadata declares: {}",
                if allowed.is_empty() {
                    "nothing".to_string()
                } else {
                    allowed.join(", ")
                }
            )),
        );
    } else if !permitted {
        let why = if kinds::is_powerful(&group, kind) {
            "a kind that gives power over the cluster".to_string()
        } else if unscoped && kinds::section_allows(caps.section, &group, kind) {
            "without metadata.namespace, of a kind whose scope hms-sys does not know (it may be cluster-wide)".to_string()
        } else {
            format!("a kind outside what a {} plugin may emit", caps.section)
        };
        problems.push(
            problem(
                "HMS-FORBIDDEN-KIND",
                format!("emitted a {kref}, {why}, and the spec does not grant it"),
            )
            .hint(caps.grant_hint(&group, kind)),
        );
    }
    if is_namespace && name_ok && name != namespace {
        problems.push(
            problem(
                "HMS-OBJECT-NAMESPACE",
                format!("emitted Namespace {name:?}, but the spec's namespace is {namespace:?}"),
            )
            .hint("a plugin may create or label only the spec's own namespace (the context's `namespace`)"),
        );
    }
    let enforce = value
        .pointer("/metadata/labels")
        .and_then(|l| l.get(kinds::PSA_ENFORCE))
        .and_then(Value::as_str);
    if is_namespace && enforce == Some("privileged") && !caps.granted(&group, kind) {
        problems.push(
            problem(
                "HMS-FORBIDDEN-KIND",
                format!("labelled the Namespace `{}: privileged`, which widens pod security, and the spec does not grant it", kinds::PSA_ENFORCE),
            )
            .hint(format!(
                "only if you trust plugin `{plugin}` with it, grant it in the spec: `grants: {{{plugin}: [Namespace]}}`; otherwise use `baseline` or `restricted`"
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
