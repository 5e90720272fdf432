//! The render pipeline: spec sections -> plugins -> checked manifests -> baseline gate.

use std::time::Instant;

use hms_plugin::{Context, Plugin, Severity};
use hms_spec::{Document, Section};
use serde::Serialize;
use serde_json::Value;

use crate::checks::{self, Caps, ObjectId, Owners};
use crate::findings::Finding;
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
    /// Every finding of the baselines over the final objects, errors and warnings alike.
    pub findings: Vec<Finding>,
}

/// One baseline to run: its name, its parameters and where the entry was written in the spec
/// (empty when it was not: a `--plugin` baseline, or `hms-sys check` over manifests).
#[derive(Clone, Debug)]
pub struct BaselineRun {
    pub name: String,
    pub params: Value,
    pub pointer: String,
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

/// Renders every section of `doc` and runs the baseline gate: error findings refuse the spec.
pub fn render(doc: &Document, plugins: &Plugins) -> Result<Rendered, Failure> {
    let rendered = render_report(doc, plugins)?;
    refuse_on_errors(rendered)
}

/// `Failure::Gate` when the baselines found errors, else the rendered spec.
pub fn refuse_on_errors(rendered: Rendered) -> Result<Rendered, Failure> {
    let errors: Vec<Problem> = rendered
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(Problem::from_finding)
        .collect();
    if errors.is_empty() {
        Ok(rendered)
    } else {
        Err(Failure::Gate(errors))
    }
}

/// Renders every section of `doc` and runs the baselines, keeping every finding (errors too) in
/// `Rendered::findings`: `render` refuses on them, `hms-sys check` reports them.
pub fn render_report(doc: &Document, plugins: &Plugins) -> Result<Rendered, Failure> {
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
            Some(&doc.source),
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
    let list = baselines_to_run(doc, plugins);
    let exceptions = Some(crate::exceptions::Exceptions::of(doc));
    gate(
        Some(doc),
        exceptions,
        &list,
        plugins,
        &ctx,
        Some(&caps),
        &mut out,
    )?;
    Ok(out)
}

/// Runs `baselines` over objects that were not rendered here (`hms-sys check` over manifests),
/// through the same gate as render; hardened objects are not taken (nothing is written), and
/// every finding is kept in `out.findings`.
pub fn check_objects(
    baselines: &[BaselineRun],
    plugins: &Plugins,
    exceptions: Option<crate::exceptions::Exceptions<'_>>,
    out: &mut Rendered,
) -> Result<(), Failure> {
    let ctx = Context {
        spec_name: out.spec_name.clone(),
        namespace: out.namespace.clone(),
        node_selector: Vec::new(),
        common_labels: Vec::new(),
        spec: out.spec_json.to_string(),
    };
    gate(None, exceptions, baselines, plugins, &ctx, None, out)
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
    source: Option<&hms_spec::Source>,
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
fn baselines_to_run(doc: &Document, plugins: &Plugins) -> Vec<BaselineRun> {
    let mut list: Vec<BaselineRun> = doc
        .spec
        .baselines
        .iter()
        .map(|b| BaselineRun {
            name: b.name.clone(),
            params: b.params.clone(),
            pointer: b.pointer.clone(),
        })
        .collect();
    list.extend(extra_baselines(plugins));
    list
}

/// The `--plugin` baselines, each with only its name as parameters.
pub fn extra_baselines(plugins: &Plugins) -> Vec<BaselineRun> {
    plugins
        .extra_baselines()
        .iter()
        .map(|name| BaselineRun {
            name: name.clone(),
            params: serde_json::json!({ "name": name }),
            pointer: String::new(),
        })
        .collect()
}

/// Runs every baseline over the objects and keeps every finding in `out.findings`; the caller
/// decides (render refuses on an error, see [`refuse_on_errors`]). With `caps` (render),
/// hardened objects from a baseline go through the host's object checks again (with the
/// capabilities of the plugin that made them) and, at the end, through every baseline again:
/// no baseline can introduce what another refuses. Hardening is taken only while no baseline
/// has found an error. Without `caps` (`hms-sys check` over manifests), hardened objects are
/// not taken: the objects are judged as given.
fn gate(
    doc: Option<&Document>,
    exceptions: Option<crate::exceptions::Exceptions<'_>>,
    list: &[BaselineRun],
    plugins: &Plugins,
    ctx: &Context,
    caps: Option<&[Caps]>,
    out: &mut Rendered,
) -> Result<(), Failure> {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for BaselineRun {
        name,
        params,
        pointer,
    } in list
    {
        let Some(loaded) = plugins.baseline(name) else {
            let names = plugins.baseline_names();
            let mut problem = Problem::error(
                "HMS-NO-PLUGIN",
                format!("there is no baseline `{name}`"),
            )
            .hint(format!(
                "{}; a baseline of your own is named with `plugin: ./file.wasm` in its entry",
                hms_spec::choice_hint(name, &names, "baselines")
            ));
            if let Some(doc) = doc {
                let field = if doc.source.contains(&format!("{pointer}/name")) {
                    format!("{pointer}/name")
                } else {
                    pointer.clone()
                };
                problem = problem.at_pointer(doc, &field);
            }
            problems.push(problem);
            continue;
        };
        let plugin = &loaded.plugin;
        out.plugins
            .push(plugin_use(Section::Baseline, plugin, plugins));
        let text = params.to_string();
        let what = format!("baseline-{name}");
        problems.extend(schema_check(
            doc.map(|d| &d.source),
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
    let mut findings = Vec::new();
    for (plugin, params) in &runs {
        let (found, hardened) = check_with(plugin, params, ctx, out)?;
        let clean = !found.iter().any(Finding::is_error) && !findings.iter().any(Finding::is_error);
        findings.extend(found);
        if let (Some(hardened), Some(caps), true) = (hardened, caps, clean) {
            replace_hardened(plugin, out, hardened, caps, &ctx.namespace)?;
            hardened_by.push(plugin.name().to_string());
        }
    }
    if !hardened_by.is_empty() {
        // The final objects, judged again by every baseline; hardening them again is ignored.
        let after = hardened_by.join(", ");
        findings.retain(|f| !f.is_error());
        for (plugin, params) in &runs {
            let (found, _) = check_with(plugin, params, ctx, out)?;
            findings.extend(found.into_iter().filter(Finding::is_error).map(|mut f| {
                f.message
                    .push_str(&format!(" (in the objects as hardened by {after})"));
                f
            }));
        }
    }
    if let Some(ex) = exceptions {
        let unused = crate::exceptions::apply(ex, &mut findings, &crate::exceptions::today());
        out.notes.extend(unused);
    }
    out.notes.extend(
        findings
            .iter()
            .filter(|f| !f.is_error())
            .map(Problem::from_finding),
    );
    out.findings = findings;
    out.baselines = runs.iter().map(|(p, _)| p.name().to_string()).collect();
    Ok(())
}

/// One baseline over the current objects: its findings and the hardened objects it returned.
fn check_with(
    plugin: &Plugin,
    params: &str,
    ctx: &Context,
    out: &Rendered,
) -> Result<(Vec<Finding>, Option<Vec<Value>>), Failure> {
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
    let findings = checked
        .findings
        .iter()
        .map(|d| Finding::from_diagnostic(plugin.name(), d))
        .collect();
    Ok((findings, checked.hardened))
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
