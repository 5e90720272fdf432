//! The render pipeline: spec sections -> plugins -> checked manifests -> baseline gate.

use std::time::Instant;

use hms_plugin::{Context, Plugin, Severity};
use hms_spec::{Document, Section};
use serde::Serialize;
use serde_json::Value;

use crate::checks::{self, Caps, ObjectId, Owners};
use crate::kinds;
use crate::plugins::{Origin, Plugins};
use crate::problem::Problem;
use crate::schema;

/// One rendered object and who made it.
#[derive(Clone, Debug)]
pub struct Object {
    pub id: ObjectId,
    pub plugin: String,
    pub value: Value,
}

/// A plugin that took part, for events and `plugins list`.
#[derive(Clone, Debug, Serialize)]
pub struct PluginUse {
    pub section: String,
    pub name: String,
    pub version: String,
    pub digest: String,
    pub origin: Origin,
}

/// What render produced: objects in apply order, warnings and notes, the plugins used.
#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub notes: Vec<Problem>,
    pub plugins: Vec<PluginUse>,
    /// The baselines that passed, in the order they ran.
    pub baselines: Vec<String>,
    /// The spec's name and namespace, and the whole spec as the plugins saw it.
    pub spec_name: String,
    pub namespace: String,
    pub spec_json: Value,
    /// The labels the node pool's backend puts on its nodes (from the node-pool plugin).
    pub node_selector: Vec<(String, String)>,
}

/// Why render stopped. Each kind has its own exit code (see `exit`).
#[derive(Debug)]
pub enum Failure {
    /// The spec is wrong: parse and validation errors, or a plugin's error about its section.
    Spec(Vec<Problem>),
    /// A plugin failed or broke the contract.
    Plugin(Vec<Problem>),
    /// The baseline refused the manifests.
    Gate(Vec<Problem>),
}

impl Failure {
    pub fn problems(&self) -> &[Problem] {
        match self {
            Failure::Spec(p) | Failure::Plugin(p) | Failure::Gate(p) => p,
        }
    }
}

/// Common labels on every object of a spec.
pub fn common_labels(spec_name: &str) -> Vec<(String, String)> {
    vec![
        (
            "app.kubernetes.io/managed-by".to_string(),
            "hms-sys".to_string(),
        ),
        ("hms.io/spec".to_string(), spec_name.to_string()),
    ]
}

/// Renders every section of `doc` and runs the baseline gate.
pub fn render(doc: &Document, plugins: &Plugins) -> Result<Rendered, Failure> {
    let spec = &doc.spec;
    let spec_json = spec.to_json();
    let mut ctx = Context {
        spec_name: spec.name().to_string(),
        namespace: spec.namespace().to_string(),
        node_selector: Vec::new(),
        common_labels: common_labels(spec.name()),
        spec: spec_json.to_string(),
    };
    let mut out = Rendered {
        spec_name: spec.name().to_string(),
        namespace: spec.namespace().to_string(),
        spec_json,
        ..Rendered::default()
    };
    let (mut spec_problems, mut plugin_problems) = (Vec::new(), Vec::new());
    let mut owners = Owners::default();
    let mut caps: Vec<Caps> = Vec::new();
    for section in Section::RENDERED.into_iter().filter(|s| spec.has(*s)) {
        let Some(plugin) = plugins.get(section) else {
            spec_problems.push(
                Problem::error(
                    "HMS-NO-PLUGIN",
                    format!("no plugin serves section `{}`", section.key()),
                )
                .at(doc, section, "")
                .hint("name one under `plugins:` in the spec or pass --plugin PATH, or remove the section"),
            );
            continue;
        };
        out.plugins.push(plugin_use(section, plugin, plugins));
        let json = spec.section_json(section).unwrap_or(Value::Null);
        let text = json.to_string();
        let root = format!("/{}", section.key());
        let schema_problems = schema_check(
            &doc.source,
            &root,
            section.key(),
            plugin,
            &json,
            &text,
            plugins,
        );
        if !schema_problems.is_empty() {
            spec_problems.extend(schema_problems);
            continue;
        }
        let started = Instant::now();
        let result = plugin.render(section.key(), &text, &ctx);
        let took = started.elapsed();
        let rendered = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(plugin = plugin.name(), section = section.key(), "{e}");
                plugin_problems.push(Problem::from_plugin_error(&e));
                continue;
            }
        };
        tracing::info!(
            plugin = plugin.name(),
            section = section.key(),
            objects = rendered.manifests.len(),
            micros = took.as_micros() as u64,
            "rendered section"
        );
        for d in &rendered.diagnostics {
            let p = Problem::from_section_diagnostic(doc, section, plugin.name(), d);
            if d.severity == Severity::Error {
                spec_problems.push(p)
            } else {
                out.notes.push(p)
            }
        }
        if section == Section::NodePool {
            ctx.node_selector = rendered.node_selector.clone();
            out.node_selector = rendered.node_selector.clone();
        }
        let cap = Caps::new(plugin.metadata(), section, &spec.grants);
        for (i, value) in rendered.manifests.into_iter().enumerate() {
            match checks::check_object(&cap, i, &value, &ctx.namespace) {
                Ok(id) => match owners.claim(&id, plugin.name()) {
                    Ok(()) => out.objects.push(Object {
                        id,
                        plugin: plugin.name().to_string(),
                        value,
                    }),
                    Err(p) => plugin_problems.push(p),
                },
                Err(ps) => plugin_problems.extend(ps),
            }
        }
        caps.push(cap);
    }
    if !spec_problems.is_empty() {
        return Err(Failure::Spec(spec_problems));
    }
    if !plugin_problems.is_empty() {
        return Err(Failure::Plugin(plugin_problems));
    }
    out.objects
        .sort_by_key(|o| kinds::rank(&o.id.group, &o.id.kind));
    gate(doc, plugins, &ctx, &caps, &mut out)?;
    Ok(out)
}

fn plugin_use(section: Section, plugin: &Plugin, plugins: &Plugins) -> PluginUse {
    let origin = if section == Section::Baseline {
        plugins.baseline(plugin.name()).map(|l| l.origin.clone())
    } else {
        plugins.origin(section).cloned()
    };
    PluginUse {
        section: section.key().to_string(),
        name: plugin.name().to_string(),
        version: plugin.metadata().version.clone(),
        digest: plugin.digest().to_string(),
        origin: origin.unwrap_or(Origin::Bundled),
    }
}

/// Validates a section (or a baseline's parameters), written at `root` in the spec, against
/// the JSON Schema its plugin declares. A section that passed with the same plugin, host
/// version and content before is not validated again (the verdict is kept in the plugin
/// cache): compiling the schema is the largest part of a warm render.
pub(crate) fn schema_check(
    source: &hms_spec::Source,
    root: &str,
    what: &str,
    plugin: &Plugin,
    json: &Value,
    text: &str,
    plugins: &Plugins,
) -> Vec<Problem> {
    let subject = format!(
        "schema-{}-{}",
        plugin.digest().trim_start_matches("sha256:"),
        what.to_ascii_lowercase()
    );
    if plugins.cache().passed(&subject, text.as_bytes()) {
        return Vec::new();
    }
    let problems = schema::validate(source, root, what, plugin, json);
    if problems.is_empty() {
        plugins.cache().record_pass(&subject, text.as_bytes());
    }
    problems
}

/// The baselines this spec runs: its own entries in order, then `--plugin` baselines it does
/// not name. Each with its parameters and where the entry was written.
fn baselines_to_run(doc: &Document, plugins: &Plugins) -> Vec<(String, Value, String)> {
    let mut list: Vec<(String, Value, String)> = doc
        .spec
        .baselines
        .iter()
        .map(|b| (b.name.clone(), b.params.clone(), b.pointer.clone()))
        .collect();
    for name in plugins.extra_baselines() {
        list.push((
            name.clone(),
            serde_json::json!({ "name": name }),
            String::new(),
        ));
    }
    list
}

/// Runs every baseline over the objects; error findings refuse the spec. Hardened objects
/// from a baseline go through the host's object checks again (with the capabilities of the
/// plugin that made them) and, at the end, through every baseline again: no baseline can
/// introduce what another refuses.
fn gate(
    doc: &Document,
    plugins: &Plugins,
    ctx: &Context,
    caps: &[Caps],
    out: &mut Rendered,
) -> Result<(), Failure> {
    let list = baselines_to_run(doc, plugins);
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for (name, params, pointer) in &list {
        let Some(loaded) = plugins.baseline(name) else {
            let names = plugins.baseline_names();
            let field = if doc.source.contains(&format!("{pointer}/name")) {
                format!("{pointer}/name")
            } else {
                pointer.clone()
            };
            problems.push(
                Problem::error("HMS-NO-PLUGIN", format!("there is no baseline `{name}`"))
                    .at_pointer(doc, &field)
                    .hint(format!(
                        "{}; a baseline of your own is named with `plugin: ./file.wasm` in its entry",
                        hms_spec::choice_hint(name, &names, "baselines")
                    )),
            );
            continue;
        };
        let plugin = &loaded.plugin;
        out.plugins
            .push(plugin_use(Section::Baseline, plugin, plugins));
        let text = params.to_string();
        let what = format!("baseline-{name}");
        problems.extend(schema_check(
            &doc.source,
            pointer,
            &what,
            plugin,
            params,
            &text,
            plugins,
        ));
        runs.push((plugin, text));
    }
    if !problems.is_empty() {
        return Err(Failure::Spec(problems));
    }
    let mut hardened_by = Vec::new();
    for (plugin, params) in &runs {
        if let Some(hardened) = check_with(plugin, params, ctx, out, None)? {
            replace_hardened(plugin, out, hardened, caps, &ctx.namespace)?;
            hardened_by.push(plugin.name().to_string());
        }
    }
    if !hardened_by.is_empty() {
        // The final objects, judged again by every baseline; hardening them again is ignored.
        let after = hardened_by.join(", ");
        for (plugin, params) in &runs {
            check_with(plugin, params, ctx, out, Some(&after))?;
        }
    }
    out.baselines = runs.iter().map(|(p, _)| p.name().to_string()).collect();
    Ok(())
}

/// One baseline over the current objects: warnings become notes, errors refuse the spec.
/// `after` names the baselines whose hardening is being re-checked.
fn check_with(
    plugin: &Plugin,
    params: &str,
    ctx: &Context,
    out: &mut Rendered,
    after: Option<&str>,
) -> Result<Option<Vec<Value>>, Failure> {
    let manifests: Vec<String> = out.objects.iter().map(|o| o.value.to_string()).collect();
    let started = Instant::now();
    let checked = plugin
        .check(&manifests, params, ctx)
        .map_err(|e| Failure::Plugin(vec![baseline_failure(plugin, &e, out)]))?;
    tracing::info!(
        plugin = plugin.name(),
        findings = checked.findings.len(),
        micros = started.elapsed().as_micros() as u64,
        "baseline checked"
    );
    let (errors, notes): (Vec<Problem>, Vec<Problem>) = checked
        .findings
        .iter()
        .map(|d| Problem::from_finding(plugin.name(), d))
        .partition(Problem::is_error);
    if let Some(after) = after {
        if errors.is_empty() {
            return Ok(None);
        }
        let errors = errors
            .into_iter()
            .map(|mut p| {
                p.message
                    .push_str(&format!(" (in the objects as hardened by {after})"));
                p
            })
            .collect();
        return Err(Failure::Gate(errors));
    }
    out.notes.extend(notes);
    if !errors.is_empty() {
        return Err(Failure::Gate(errors));
    }
    Ok(checked.hardened)
}

/// A failed baseline check. Out of memory, the likely reason is a large input: the problem
/// says how many objects each section contributed (largest first) and how to raise the cap.
fn baseline_failure(plugin: &Plugin, e: &hms_plugin::PluginError, out: &Rendered) -> Problem {
    let mut problem = Problem::from_plugin_error(e);
    let &hms_plugin::Cause::MemoryLimit(cap) = &e.cause else {
        return problem;
    };
    let mut counts: Vec<(usize, &PluginUse)> = out
        .plugins
        .iter()
        .filter(|u| u.section != Section::Baseline.key())
        .map(|u| (out.objects.iter().filter(|o| o.plugin == u.name).count(), u))
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let counts: Vec<String> = counts
        .iter()
        .map(|(n, u)| format!("section {}: {n} from plugin `{}`", u.section, u.name))
        .collect();
    problem.message.push_str(&format!(
        "; its input was {} objects ({})",
        out.objects.len(),
        counts.join(", ")
    ));
    let raised = ((cap >> 20) * 4).clamp(1, 4096);
    problem.hint(format!(
        "a large input needs more memory: raise the baseline's cap, e.g. \
         `--memory-mib {}={raised}`, or render fewer objects in the largest section",
        plugin.name()
    ))
}

/// Takes a baseline's hardened objects: the same objects, in the same order, changed, each
/// passing the host's checks with the capabilities of the plugin that made it.
fn replace_hardened(
    plugin: &Plugin,
    out: &mut Rendered,
    hardened: Vec<Value>,
    caps: &[Caps],
    namespace: &str,
) -> Result<(), Failure> {
    let bad = |m: String| {
        Failure::Plugin(vec![
            Problem::error("HMS-HARDENED", m)
                .plugin(plugin.name())
                .hint("a baseline may change objects but not add, drop, rename or reorder them"),
        ])
    };
    if hardened.len() != out.objects.len() {
        return Err(bad(format!(
            "returned {} hardened objects for {}",
            hardened.len(),
            out.objects.len()
        )));
    }
    let mut problems = Vec::new();
    for (i, (object, value)) in out.objects.iter().zip(&hardened).enumerate() {
        if *value == object.value {
            continue;
        }
        // A changed object is held to its plugin's section without that plugin's grants: a
        // grant is for the plugin the spec names, not for a baseline.
        let Some(cap) = caps.iter().find(|c| c.plugin == object.plugin) else {
            return Err(bad(format!(
                "changed {}, which no section plugin made",
                object.id
            )));
        };
        let cap = cap.without_grants();
        let same = [
            "/apiVersion",
            "/kind",
            "/metadata/name",
            "/metadata/namespace",
        ]
        .iter()
        .all(|p| value.pointer(p) == object.value.pointer(p));
        if !same {
            return Err(bad(format!("changed the identity of {}", object.id)));
        }
        match checks::check_object(&cap, i, value, namespace) {
            Ok(_) => {}
            Err(ps) => problems.extend(ps.into_iter().map(|mut p| {
                p.message = format!("as hardened by baseline `{}`: {}", plugin.name(), p.message);
                p
            })),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::Plugin(problems));
    }
    for (object, value) in out.objects.iter_mut().zip(hardened) {
        object.value = value;
    }
    Ok(())
}
