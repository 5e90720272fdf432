//! `hms-sys plugins inspect` and `hms-sys plugins run` (alias `plugin`): a plugin author's view
//! of one component, and the inner loop of running it on one section file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use hms_plugin::{Context, Severity, World};
use hms_spec::Section;
use serde_json::{Value, json};

use crate::checks::{self, Caps};
use crate::cli::{PluginArgs, load_plugins, report};
use crate::plugins::{Loaded, Origin, Plugins};
use crate::problem::Problem;
use crate::style::Style;
use crate::text::{self, shown};
use crate::{exit, kinds, pipeline};

/// `plugins inspect PLUGIN`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A bundled plugin's name (`storage-csi`) or the path of a `.wasm` component.
    #[arg(value_name = "PLUGIN")]
    pub plugin: String,
    #[arg(short, long, value_enum, default_value_t = InspectFormat::Text)]
    pub output: InspectFormat,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Text,
    Json,
}

/// `plugins run PLUGIN --section FILE`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// A bundled section plugin's name (`storage-csi`) or the path of a `.wasm` component.
    #[arg(value_name = "PLUGIN")]
    pub plugin: String,
    /// A YAML (or JSON) file holding the section as a spec would, without its key: for a
    /// storage plugin, `volume: {name: data, size: 1Gi, ...}`.
    #[arg(long, value_name = "FILE")]
    pub section: PathBuf,
    /// The spec name the plugin sees (`context.spec-name`, the `hms.io/spec` label).
    #[arg(long, default_value = "example")]
    pub name: String,
    /// The namespace the plugin sees; defaults to the name.
    #[arg(long)]
    pub namespace: Option<String>,
    /// The manifests as a YAML stream or a JSON `v1/List`.
    #[arg(short, long, value_enum, default_value_t = crate::output::Format::Yaml)]
    pub output: crate::output::Format,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// Loads the bundled plugins and, when `target` is not a bundled name, the component at that
/// path (as `--plugin` would). Returns the plugin set and which of them `target` is.
fn load_target(
    target: &str,
    args: &PluginArgs,
    style: Style,
    err: &mut dyn Write,
) -> Result<(Plugins, usize), u8> {
    // A name is a bundled plugin's; anything that looks like a file is one.
    let bundled =
        !(target.ends_with(".wasm") || target.contains('/') || Path::new(target).exists());
    let mut with_file = PluginArgs {
        plugin: args.plugin.clone(),
        deadline: args.deadline.clone(),
        memory_mib: args.memory_mib.clone(),
        max_objects: args.max_objects.clone(),
        no_cache: args.no_cache,
        cache_dir: args.cache_dir.clone(),
        trust_policy: args.trust_policy.clone(),
        store: args.store.clone(),
    };
    if !bundled {
        with_file.plugin.push(PathBuf::from(target));
    }
    let set = load_plugins(&with_file, None, Path::new("."))
        .map_err(|(problems, code)| report(err, &problems, style, code))?;
    let found = set.iter().position(|l| match &l.origin {
        Origin::Bundled => bundled && l.plugin.name() == target,
        Origin::Flag { path } => !bundled && Path::new(path) == Path::new(target),
        Origin::Spec { .. } => false,
    });
    match found {
        Some(i) => Ok((set, i)),
        None => {
            let names: Vec<&str> = set.iter().map(|l| l.plugin.name()).collect();
            let p = Problem::error(
                "HMS-PLUGIN-FILE",
                format!("no plugin `{}`", shown(target, text::FIELD)),
            )
            .hint(hms_spec::choice_hint(target, &names, "bundled plugins"));
            Err(report(err, &[p], style, exit::USAGE))
        }
    }
}

/// The size in bytes of the component `l` was loaded from.
fn size_of(l: &Loaded) -> Option<u64> {
    match &l.origin {
        Origin::Bundled => crate::bundled::sources()
            .iter()
            .find(|s| s.digest() == l.plugin.digest())
            .and_then(|s| s.bytes().ok().map(|b| b.len() as u64)),
        Origin::Flag { path } | Origin::Spec { path } => {
            std::fs::metadata(path).ok().map(|m| m.len())
        }
    }
}

/// Everything a plugin author (or an auditor) wants to know about one component.
pub fn inspect(
    args: &InspectArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (set, i) = match load_target(&args.plugin, &args.plugins, style, err) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let l = set.iter().nth(i).expect("index from position");
    let (p, m) = (&l.plugin, l.plugin.metadata());
    let (world, section) = match p.world() {
        World::Section => ("section-plugin", Section::from_key(&m.section)),
        World::Baseline => ("baseline-plugin", None),
    };
    let allowed: Vec<String> = section.map(kinds::section_kinds).unwrap_or_default();
    let view = json!({
        "name": m.name,
        "version": m.version,
        "world": world,
        "witVersion": p.wit_version(),
        "section": m.section,
        "description": m.description,
        "origin": l.origin,
        "from": l.origin.to_string(),
        "digest": p.digest(),
        "size": size_of(l),
        "emits": m.emits.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "sectionAllows": allowed,
        "imports": p.imports(),
        "schema": m.section_schema.value(),
    });
    if args.output == InspectFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?;
        return Ok(exit::OK);
    }
    // Every string but the digest, sizes and the host's own lists comes from the plugin.
    let cell = |k: &str| shown(view[k].as_str().unwrap_or(""), text::FIELD).into_owned();
    let list = |k: &str| {
        let items: Vec<String> = view[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| shown(s, text::FIELD).into_owned())
            .collect();
        if items.is_empty() {
            "(none)".to_string()
        } else {
            items.join(", ")
        }
    };
    let size = view["size"]
        .as_u64()
        .map_or_else(|| "unknown".into(), |b| format!("{b} bytes"));
    let may_emit = match section {
        Some(s) => format!(
            "what it declares, within what the host allows for `{}`: {}",
            s.key(),
            list("sectionAllows")
        ),
        None => "nothing: a baseline checks (and may harden) the objects of the sections".into(),
    };
    let rows = [
        ("name", cell("name")),
        ("version", cell("version")),
        ("world", format!("{world} (hms:sys@{})", cell("witVersion"))),
        ("section", cell("section")),
        (
            "description",
            shown(m.description.as_str(), text::MESSAGE).into_owned(),
        ),
        ("from", cell("from")),
        ("digest", p.digest().to_string()),
        ("size", size),
        ("emits", list("emits")),
        ("may emit", may_emit),
        ("imports", list("imports")),
    ];
    for (k, v) in rows {
        writeln!(out, "{k:<12} {v}")?;
    }
    // The schema is JSON: serde_json escapes every control character in it.
    writeln!(
        out,
        "schema:\n{}",
        serde_json::to_string_pretty(m.section_schema.value())?
    )?;
    Ok(exit::OK)
}

/// Runs one section plugin on one section file: the schema check, the plugin's own checks and
/// the host's checks of each object, as in a render; prints the manifests and every problem.
pub fn run(
    args: &RunArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (set, i) = match load_target(&args.plugin, &args.plugins, style, err) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let l = set.iter().nth(i).expect("index from position");
    let plugin = &l.plugin;
    let section = match (
        plugin.world(),
        Section::from_key(&plugin.metadata().section),
    ) {
        (World::Section, Some(s)) => s,
        _ => {
            let p = Problem::error(
                "HMS-USAGE",
                format!("`{}` is a baseline plugin", shown(plugin.name(), text::FIELD)),
            )
            .hint("`plugins run` runs section plugins; a baseline runs over manifests with `hms-sys render SPEC --plugin FILE`");
            return Ok(report(err, &[p], style, exit::USAGE));
        }
    };
    let file = args.section.display().to_string();
    let (source, value) = match read_section(&args.section, &file) {
        Ok(x) => x,
        Err(p) => return Ok(report(err, &[p], style, exit::SPEC)),
    };
    let text = value.to_string();
    let problems = pipeline::schema_check(
        Some(&source),
        "",
        section.key(),
        plugin,
        &value,
        &text,
        &set,
    );
    if !problems.is_empty() {
        return Ok(report(err, &problems, style, exit::SPEC));
    }
    let name = args.name.clone();
    let namespace = args.namespace.clone().unwrap_or_else(|| name.clone());
    let mut spec = json!({"name": name, "namespace": namespace});
    spec[section.key()] = value.clone();
    let ctx = Context {
        spec_name: name.clone(),
        namespace: namespace.clone(),
        node_selector: Vec::new(),
        common_labels: pipeline::common_labels(&name),
        spec: spec.to_string(),
    };
    let rendered = match plugin.render(section.key(), &text, &ctx) {
        Ok(r) => r,
        Err(e) => {
            return Ok(report(
                err,
                &[Problem::from_plugin_error(&e)],
                style,
                exit::PLUGIN,
            ));
        }
    };
    let mut problems: Vec<Problem> = rendered
        .diagnostics
        .iter()
        .map(|d| {
            Problem {
                severity: d.severity,
                hint: d.hint.clone(),
                ..Problem::error(&d.code, d.message.clone())
            }
            .plugin(plugin.name())
            .at_source(&source, &d.path)
        })
        .collect();
    let caps = Caps::new(plugin.metadata(), section, &[]);
    let mut objects = Vec::new();
    let mut refused = false;
    for (index, value) in rendered.manifests.into_iter().enumerate() {
        match checks::check_object(&caps, index, &value, &namespace) {
            Ok(id) => objects.push(crate::pipeline::Object {
                id,
                plugin: plugin.name().to_string(),
                value,
            }),
            Err(ps) => {
                refused = true;
                problems.extend(ps);
            }
        }
    }
    let code = if problems.iter().any(|p| p.severity == Severity::Error) {
        if refused { exit::PLUGIN } else { exit::SPEC }
    } else {
        out.write_all(crate::output::to_text(&objects, args.output)?.as_bytes())?;
        exit::OK
    };
    report(err, &problems, style, code);
    Ok(code)
}

/// The section file: indexed for locations and read as JSON values.
fn read_section(path: &Path, file: &str) -> Result<(hms_spec::Source, Value), Problem> {
    let bytes = hms_spec::read_regular_file(path, hms_spec::MAX_SPEC_BYTES).map_err(|e| {
        Problem::error(
            "HMS-SECTION-FILE",
            format!("cannot read the section file: {e}"),
        )
        .hint(e.hint())
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Problem::error("HMS-SECTION-FILE", format!("`{file}` is not UTF-8 text"))
            .hint("save the file as UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let source = hms_spec::Source::build(text, file).map_err(|e| {
        let mut p = Problem::error("HMS-SECTION-FILE", e.message.clone());
        p.location = Some(format!("{file}:{}:{}", e.location.line, e.location.column));
        p
    })?;
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        Problem::error("HMS-SECTION-FILE", format!("`{file}`: {e}"))
            .hint("write the section as a YAML mapping, as it stands under its key in a spec")
    })?;
    Ok((source, value))
}
