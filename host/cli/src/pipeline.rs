//! The render pipeline: spec sections -> plugins -> checked manifests -> baseline gate.

use std::time::Instant;

use hms_plugin::{Context, Plugin, Severity};
use hms_spec::{Document, Section};
use serde::Serialize;
use serde_json::Value;

use crate::checks::{self, ObjectId, Owners};
use crate::kinds;
use crate::plugins::Plugins;
use crate::problem::Problem;

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
}

/// What render produced: objects in apply order, warnings and notes, the plugins used.
#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub notes: Vec<Problem>,
    pub plugins: Vec<PluginUse>,
    pub baseline: Option<String>,
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
    let mut ctx = Context {
        spec_name: spec.name().to_string(),
        namespace: spec.namespace().to_string(),
        node_selector: Vec::new(),
        common_labels: common_labels(spec.name()),
        spec: spec.to_json().to_string(),
    };
    let mut out = Rendered::default();
    let (mut spec_problems, mut plugin_problems) = (Vec::new(), Vec::new());
    let mut owners = Owners::default();
    for section in Section::ALL
        .into_iter()
        .filter(|s| *s != Section::Baseline && spec.has(*s))
    {
        let Some(plugin) = plugins.get(section) else {
            spec_problems.push(
                Problem::error(
                    "HMS-NO-PLUGIN",
                    format!("no plugin serves section `{}`", section.key()),
                )
                .at(doc, section, "")
                .hint("pass one with --plugin PATH, or remove the section"),
            );
            continue;
        };
        out.plugins.push(plugin_use(section, plugin));
        let json = spec.section_json(section).unwrap_or(Value::Null);
        let text = json.to_string();
        let schema_problems = schema_check(doc, section, plugin, &json, &text, plugins);
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
        for (i, value) in rendered.manifests.into_iter().enumerate() {
            match checks::check_object(plugin.metadata(), i, &value, &ctx.namespace) {
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
    }
    if !spec_problems.is_empty() {
        return Err(Failure::Spec(spec_problems));
    }
    if !plugin_problems.is_empty() {
        return Err(Failure::Plugin(plugin_problems));
    }
    out.objects
        .sort_by_key(|o| kinds::rank(&o.id.group, &o.id.kind));
    if spec.has(Section::Baseline) {
        gate(doc, plugins, &ctx, &mut out)?;
    }
    Ok(out)
}

fn plugin_use(section: Section, plugin: &Plugin) -> PluginUse {
    PluginUse {
        section: section.key().to_string(),
        name: plugin.name().to_string(),
        version: plugin.metadata().version.clone(),
        digest: plugin.digest().to_string(),
    }
}

/// Validates a section against the JSON Schema its plugin declares. A section that passed
/// with the same plugin, host version and content before is not validated again (the verdict
/// is kept in the plugin cache): compiling the schema is the largest part of a warm render.
fn schema_check(
    doc: &Document,
    section: Section,
    plugin: &Plugin,
    json: &Value,
    text: &str,
    plugins: &Plugins,
) -> Vec<Problem> {
    let subject = format!(
        "schema-{}-{}",
        plugin.digest().trim_start_matches("sha256:"),
        section.key().to_ascii_lowercase()
    );
    if plugins.cache().passed(&subject, text.as_bytes()) {
        return Vec::new();
    }
    let problems = validate_section(doc, section, plugin, json);
    if problems.is_empty() {
        plugins.cache().record_pass(&subject, text.as_bytes());
    }
    problems
}

fn validate_section(
    doc: &Document,
    section: Section,
    plugin: &Plugin,
    json: &Value,
) -> Vec<Problem> {
    let validator = match jsonschema::validator_for(&plugin.metadata().section_schema) {
        Ok(v) => v,
        Err(e) => {
            return vec![
                Problem::error(
                    "HMS-PLUGIN-SCHEMA",
                    format!("the plugin's section schema is invalid: {e}"),
                )
                .plugin(plugin.name())
                .hint("this is a bug in the plugin; report it to its author"),
            ];
        }
    };
    validator
        .iter_errors(json)
        .map(|e| {
            let path = e.instance_path().to_string();
            Problem::error(
                "HMS-SECTION-SCHEMA",
                format!(
                    "`{}{}` does not match the plugin's schema: {e}",
                    section.key(),
                    path.replace('/', ".")
                ),
            )
            .plugin(plugin.name())
            .at(doc, section, &path)
            .hint(format!(
                "see `hms-sys plugins list` and docs/spec.md for the fields of `{}`",
                section.key()
            ))
        })
        .collect()
}

/// Runs the baseline plugin over every object; error findings refuse the spec.
fn gate(
    doc: &Document,
    plugins: &Plugins,
    ctx: &Context,
    out: &mut Rendered,
) -> Result<(), Failure> {
    let section = Section::Baseline;
    let Some(plugin) = plugins.get(section) else {
        return Err(Failure::Spec(vec![
            Problem::error("HMS-NO-PLUGIN", "no plugin serves the baseline")
                .at(doc, section, "")
                .hint("pass one with --plugin PATH, or remove the baseline"),
        ]));
    };
    out.plugins.push(plugin_use(section, plugin));
    let params = doc.spec.section_json(section).unwrap_or(Value::Null);
    let text = params.to_string();
    let schema_problems = schema_check(doc, section, plugin, &params, &text, plugins);
    if !schema_problems.is_empty() {
        return Err(Failure::Spec(schema_problems));
    }
    let manifests: Vec<String> = out.objects.iter().map(|o| o.value.to_string()).collect();
    let started = Instant::now();
    let checked = plugin
        .check(&manifests, &text, ctx)
        .map_err(|e| Failure::Plugin(vec![baseline_failure(plugin, &e, out)]))?;
    tracing::info!(
        plugin = plugin.name(),
        findings = checked.findings.len(),
        micros = started.elapsed().as_micros() as u64,
        "baseline checked"
    );
    out.baseline = Some(plugin.name().to_string());
    let (errors, notes): (Vec<Problem>, Vec<Problem>) = checked
        .findings
        .iter()
        .map(|d| Problem::from_finding(plugin.name(), d))
        .partition(Problem::is_error);
    out.notes.extend(notes);
    if !errors.is_empty() {
        return Err(Failure::Gate(errors));
    }
    if let Some(hardened) = checked.hardened {
        replace_hardened(plugin, out, hardened)?;
    }
    Ok(())
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

/// Takes a baseline's hardened objects: the same objects, in the same order, changed.
fn replace_hardened(
    plugin: &Plugin,
    out: &mut Rendered,
    hardened: Vec<Value>,
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
    for (object, value) in out.objects.iter_mut().zip(hardened) {
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
        object.value = value;
    }
    Ok(())
}
