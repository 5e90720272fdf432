//! The command line: clap definitions and one function per subcommand.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hms_plugin::{Cache, Limits, Runtime};
use hms_spec::Section;

use crate::cluster_cli::{self, ApplyArgs, PlanArgs, StatusArgs};
use crate::cmd_check::{self, CheckArgs};
use crate::cmd_completions::{self, CompletionsArgs};
use crate::cmd_explain::{self, ExplainArgs};
use crate::cmd_init::{self, InitArgs};
use crate::cmd_man::{self, ManArgs};
use crate::cmd_schema::{self, SchemaArgs};
use crate::exit;
use crate::output::{self, Format};
use crate::pipeline::{self, Failure};
use crate::plugins::{self, LimitTable, Origin, Plugins};
use crate::problem::Problem;
use crate::style::{ColorWhen, Style};
use crate::text::{self, shown};

#[derive(Parser, Debug)]
#[command(
    name = "hms-sys",
    version,
    about = "One YAML spec to sandboxed plugins to Kubernetes manifests"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More output on stderr: -v adds notes of severity info and a log line per step, -vv
    /// debugging logs.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour on stderr: `auto` only on a terminal and without NO_COLOR.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Whether the stderr this run writes to is a terminal (set by [`crate::run_process`]; a
    /// caller of [`crate::run`] with its own writers leaves it false: they are not terminals).
    #[arg(skip)]
    pub stderr_terminal: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render the manifests that `apply` would send.
    Render {
        /// The spec file.
        spec: PathBuf,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
        output: Format,
        /// Write one file per object (and a kustomization.yaml) into DIR instead of stdout.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Check a spec: parse it, render it through the plugins and run the baseline gate.
    Validate {
        /// The spec file.
        spec: PathBuf,
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Render the spec and server-side apply it to the cluster (prunes what the spec dropped).
    Apply(ApplyArgs),
    /// What apply would create, update, prune or leave unchanged (exit 0 none, 2 changes, 1 error).
    #[command(visible_alias = "diff")]
    Plan(PlanArgs),
    /// The status lines of an applied spec (one per section), from the live cluster.
    Status(StatusArgs),
    /// Plugins: list them, inspect one, run one on a section file, start a new one.
    #[command(alias = "plugin")]
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Write a starter spec (the canonical example, every field explained) to DIR/spec.yml.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(CompletionsArgs),
    /// Print the man page, or write one per subcommand into DIR.
    Man(ManArgs),
    /// Run the baselines over a spec's output or existing manifests (exit 0 clean, 5 refused).
    Check(CheckArgs),
    /// What a problem code means, why it matters (CIS or NIST control) and how to fix it.
    Explain(ExplainArgs),
    /// Print the JSON Schema of a spec (for editors: yaml-language-server).
    Schema(SchemaArgs),
    /// The SYS Controller: keeps SysSpecs converged from inside the cluster (`controller run`),
    /// and its CRD (`controller crd`).
    Controller {
        #[command(subcommand)]
        command: crate::cmd_controller::ControllerCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// One plugin: world and WIT version, metadata, its section schema, the kinds it may emit,
    /// digest, size and the interfaces it imports. PLUGIN is a bundled name or a .wasm file.
    Inspect(crate::cmd_plugin::InspectArgs),
    /// Runs one section plugin on one section file and prints its manifests and diagnostics,
    /// after the same checks a render makes: the plugin author's inner loop.
    Run(crate::cmd_plugin::RunArgs),
    #[command(flatten)]
    Oci(crate::cmd_plugin_oci::OciCommand),
    /// Which plugin serves each section of SPEC and where it came from; without SPEC, every
    /// bundled plugin (and any given with --plugin): version, digest, section, kinds.
    List {
        /// A spec: list the plugins it uses, per section and baseline.
        spec: Option<PathBuf>,
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        output: ListFormat,
        #[command(flatten)]
        plugins: PluginArgs,
    },
    /// Writes a new plugin project (Rust or Python) that builds as written: `plugin new
    /// --lang rust NAME --section storage`.
    New(crate::cmd_plugin_new::NewArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// Plugin selection and limits, shared by the commands that load plugins.
#[derive(Args, Debug, Default)]
pub struct PluginArgs {
    /// For this run, use this plugin component for the section it declares (instead of the
    /// spec's or the bundled one); a baseline plugin runs in addition to the spec's baselines.
    #[arg(long = "plugin", value_name = "PATH")]
    pub plugin: Vec<PathBuf>,
    /// Wall-clock deadline of one plugin call, e.g. `5s` or `storage-csi=500ms` for one plugin.
    #[arg(long, value_name = "[PLUGIN=]DURATION")]
    pub deadline: Vec<String>,
    /// Memory cap of a plugin in MiB, e.g. `128` or `workload=128` for one plugin.
    #[arg(long = "memory-mib", value_name = "[PLUGIN=]MIB")]
    pub memory_mib: Vec<String>,
    /// Most objects one render of a section may return (default 10000), e.g. `20000` or
    /// `workload=20000` for one plugin.
    #[arg(long = "max-objects", value_name = "[PLUGIN=]N")]
    pub max_objects: Vec<String>,
    /// Do not use the compiled-plugin cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Directory of the compiled-plugin cache [default: $HMS_SYS_CACHE_DIR, else
    /// $XDG_CACHE_HOME/hms-sys/plugins, else ~/.cache/hms-sys/plugins].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The site's trust policy: which keys must have signed which plugins (README, "Signing
    /// and trust"). Without one, unsigned plugins load with a note.
    #[arg(long, value_name = "FILE", env = "HMS_TRUST_POLICY")]
    pub trust_policy: Option<PathBuf>,
    /// The plugin store that `oci://` plugins are read from [default: $HMS_SYS_STORE_DIR, else
    /// $XDG_DATA_HOME/hms-sys/store, else ~/.local/share/hms-sys/store].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

/// Installs the tracing subscriber on stderr. Text logs carry colour codes as `--color` says
/// ([`ColorWhen::colour`]: by default only when stderr is a terminal and `NO_COLOR` is unset or
/// empty), and every field is shown through [`text::shown`] (a log line may quote a plugin's
/// error); JSON logs are exact.
pub fn init_logging(cli: &Cli) {
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HMS_SYS_LOG").unwrap_or_else(|_| {
        // kube logs each failed request at ERROR; hms-sys retries and reports them itself.
        let kube = if cli.verbose == 0 {
            ",kube_client=off"
        } else {
            ""
        };
        tracing_subscriber::EnvFilter::new(format!("{level},cranelift=warn,wasmtime=warn{kube}"))
    });
    let colour = cli.color.colour(std::io::stderr().is_terminal());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    let _ = match cli.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_target(false)
            .fmt_fields(shown_fields())
            .try_init(),
    };
}

/// The text log's fields as tracing formats them (`message`, then `name=value`), each through
/// [`text::shown`].
fn shown_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let name = field.name();
        if name.starts_with("log.") {
            return Ok(());
        }
        let value = format!("{value:?}");
        let value = text::shown(&value, text::MESSAGE);
        match name {
            "message" => write!(w, "{value}"),
            name => write!(w, "{}={value}", name.trim_start_matches("r#")),
        }
    })
    .delimited(" ")
}

pub fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let style = Style {
        json: cli.log_format == LogFormat::Json,
        verbose: cli.verbose,
        colour: cli.color.colour(cli.stderr_terminal),
    };
    match cli.command {
        Command::Render {
            spec,
            output,
            out: dir,
            plugins,
        } => {
            let rendered = match prepare(&spec, &plugins, style, err) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            match dir {
                Some(dir) => {
                    let files = output::write_dir(&dir, &rendered.objects, output)?;
                    writeln!(out, "wrote {} objects to {}", files.len(), dir.display())?;
                }
                None => out.write_all(output::to_text(&rendered.objects, output)?.as_bytes())?,
            }
            Ok(exit::OK)
        }
        Command::Validate { spec, plugins } => {
            let rendered = match prepare(&spec, &plugins, style, err) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let sections: Vec<&str> = rendered
                .plugins
                .iter()
                .filter(|p| p.section != "baseline")
                .map(|p| p.section.as_str())
                .collect();
            let gate = match rendered.baselines.as_slice() {
                [] => String::new(),
                [one] => format!(", baseline {one} passed"),
                many => format!(", baselines {} passed", many.join(", ")),
            };
            writeln!(
                out,
                "✔ {} is valid: {} sections ({}), {} objects{gate}",
                spec.display(),
                sections.len(),
                sections.join(", "),
                rendered.objects.len()
            )?;
            for p in rendered
                .plugins
                .iter()
                .filter(|p| p.origin != Origin::Bundled)
            {
                writeln!(
                    out,
                    "  {} by plugin {} {} from {}, {}",
                    p.section,
                    p.name,
                    shown(&p.version, text::CELL),
                    p.origin,
                    p.digest
                )?;
            }
            Ok(exit::OK)
        }
        Command::Apply(args) => cluster_cli::apply(args, style, out, err),
        Command::Plan(args) => cluster_cli::plan(args, style, out, err),
        Command::Status(args) => cluster_cli::status(args, out, err),
        Command::Init(args) => cmd_init::run(&args, out, err),
        Command::Completions(args) => cmd_completions::run(&args, out),
        Command::Man(args) => cmd_man::run(&args, out),
        Command::Check(args) => cmd_check::run(&args, style, out, err),
        Command::Explain(args) => cmd_explain::run(&args, style, out, err),
        Command::Schema(args) => cmd_schema::run(&args, style, out, err),
        Command::Controller { command } => crate::cmd_controller::run(command, style, out, err),
        Command::Plugins {
            command: PluginsCommand::Inspect(args),
        } => crate::cmd_plugin::inspect(&args, style, out, err),
        Command::Plugins {
            command: PluginsCommand::Run(args),
        } => crate::cmd_plugin::run(&args, style, out, err),
        Command::Plugins {
            command: PluginsCommand::Oci(command),
        } => crate::cmd_plugin_oci::execute(command, style, out, err),
        Command::Plugins {
            command:
                PluginsCommand::List {
                    spec,
                    output,
                    plugins,
                },
        } => {
            let doc = match &spec {
                Some(path) => match load_spec(path, &plugins, style, err) {
                    Ok((doc, _)) => Some(doc),
                    Err(code) => return Ok(code),
                },
                None => None,
            };
            let base = spec_dir(spec.as_deref());
            let set = match load_plugins(&plugins, doc.as_ref(), &base) {
                Ok(set) => set,
                Err((problems, code)) => return Ok(report(err, &problems, style, code)),
            };
            list_plugins(&set, doc.as_ref(), output, out)?;
            Ok(exit::OK)
        }
        Command::Plugins {
            command: PluginsCommand::New(args),
        } => Ok(crate::cmd_plugin_new::run(&args, style, out, err)),
    }
}

/// Loads the spec and plugins and renders; on failure reports and returns the exit code.
pub(crate) fn prepare(
    spec: &std::path::Path,
    args: &PluginArgs,
    style: Style,
    err: &mut dyn Write,
) -> Result<pipeline::Rendered, u8> {
    let (doc, set) = load_spec(spec, args, style, err)?;
    let result = pipeline::render(&doc, &set);
    // A command renders once per process: the engine, the mapped plugins and the call thread
    // live until exit, where the OS reclaims them at once. Dropping them one by one took 4 % of
    // a warm render (docs/benchmarks.md).
    std::mem::forget(set);
    match result {
        Ok(rendered) => {
            report(err, &rendered.notes, style, exit::OK);
            Ok(rendered)
        }
        Err(failure) => {
            let code = match failure {
                Failure::Spec(_) => exit::SPEC,
                Failure::Plugin(_) => exit::PLUGIN,
                Failure::Gate(_) => exit::BASELINE,
            };
            if let Failure::Gate(p) = &failure {
                let n = p.len();
                let s = if n == 1 { "" } else { "s" };
                let _ = writeln!(err, "the baseline refused the spec ({n} finding{s}):");
            }
            Err(report(err, failure.problems(), style, code))
        }
    }
}

/// The directory relative plugin paths in a spec start from.
fn spec_dir(spec: Option<&std::path::Path>) -> std::path::PathBuf {
    spec.and_then(std::path::Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(
            || std::path::PathBuf::from("."),
            std::path::Path::to_path_buf,
        )
}

/// Reads the spec (its envelope) and loads the plugins it names (and the `--plugin` files).
/// On failure reports and returns the exit code.
pub(crate) fn load_spec(
    spec: &std::path::Path,
    args: &PluginArgs,
    style: Style,
    err: &mut dyn Write,
) -> Result<(hms_spec::Document, Plugins), u8> {
    // The envelope first: it says which plugins to load. Each section is judged by the
    // plugin that serves it (its schema, then its own checks) when the spec renders.
    let doc = hms_spec::load(spec)
        .map_err(|e| report(err, &Problem::from_spec(&e), style, exit::SPEC))?;
    let set = load_plugins(args, Some(&doc), &spec_dir(Some(spec)))
        .map_err(|(p, code)| report(err, &p, style, code))?;
    Ok((doc, set))
}

/// The bundled plugins, the spec's and the `--plugin` files; on failure the problems and the
/// exit code.
pub(crate) fn load_plugins(
    args: &PluginArgs,
    doc: Option<&hms_spec::Document>,
    base: &std::path::Path,
) -> Result<Plugins, (Vec<Problem>, u8)> {
    Loader::new(args)?.load(args, doc, base)
}

/// What loading plugins needs beyond a spec: the runtime, the limits, the trust policy and the
/// plugin store; made once for many loads by the controller.
pub(crate) struct Loader {
    runtime: Runtime,
    limits: LimitTable,
    policy: Option<hms_oci::policy::Policy>,
    store: Option<hms_oci::store::Store>,
}

impl Loader {
    pub(crate) fn new(args: &PluginArgs) -> Result<Loader, (Vec<Problem>, u8)> {
        let limits = limit_table(args).map_err(|p| (p, exit::USAGE))?;
        let cache = cache_of(args.cache_dir.as_deref(), args.no_cache);
        let runtime = Runtime::new(cache, limits.default.stack)
            .map_err(|e| (vec![Problem::from_plugin_error(&e)], exit::PLUGIN))?;
        let policy = match &args.trust_policy {
            Some(path) => Some(
                hms_oci::policy::Policy::load(path)
                    .map_err(|e| (vec![crate::cmd_plugin_oci::problem(&e)], exit::ERROR))?,
            ),
            None => None,
        };
        let store = crate::cmd_plugin_oci::store(args.store.as_deref());
        Ok(Loader {
            runtime,
            limits,
            policy,
            store,
        })
    }

    pub(crate) fn load(
        &self,
        args: &PluginArgs,
        doc: Option<&hms_spec::Document>,
        base: &std::path::Path,
    ) -> Result<Plugins, (Vec<Problem>, u8)> {
        let req = plugins::Request {
            doc,
            base,
            flags: &args.plugin,
            store: self.store.as_ref(),
            policy: self.policy.as_ref(),
        };
        Plugins::load(&self.runtime, &req, &self.limits).map_err(|p| {
            // A plugin the spec names wrongly (a bad pin, a missing file) is a spec problem.
            let code = if p.iter().all(|p| p.location.is_some()) {
                exit::SPEC
            } else {
                exit::PLUGIN
            };
            (p, code)
        })
    }
}

/// The compiled-plugin cache `--cache-dir`/`--no-cache` choose (else the environment's).
pub(crate) fn cache_of(dir: Option<&std::path::Path>, disabled: bool) -> Cache {
    match (dir, disabled) {
        (_, true) => Cache::disabled(),
        (Some(dir), false) => Cache::at(dir),
        (None, false) => Cache::from_env(),
    }
}

fn limit_table(args: &PluginArgs) -> Result<LimitTable, Vec<Problem>> {
    let mut table = LimitTable::default();
    let bad = |flag: &str, v: &str, why: &str| {
        vec![
            Problem::error("HMS-USAGE", format!("--{flag} {v:?}: {why}"))
                .hint(format!("write --{flag} VALUE or --{flag} PLUGIN=VALUE")),
        ]
    };
    for v in &args.deadline {
        let (who, value) = split_target(v);
        let d = parse_duration(value)
            .ok_or_else(|| bad("deadline", v, "not a duration like 500ms, 2s or 1m"))?;
        update(&mut table, who, |l| l.deadline = d);
    }
    for v in &args.memory_mib {
        let (who, value) = split_target(v);
        let mib: usize = value
            .parse()
            .ok()
            .filter(|m| (1..=4096).contains(m))
            .ok_or_else(|| {
                bad(
                    "memory-mib",
                    v,
                    "not a whole number of MiB between 1 and 4096",
                )
            })?;
        update(&mut table, who, |l| l.memory = mib << 20);
    }
    for v in &args.max_objects {
        let (who, value) = split_target(v);
        let n: usize = value
            .parse()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                bad(
                    "max-objects",
                    v,
                    "not a whole number of objects between 1 and 1000000",
                )
            })?;
        update(&mut table, who, |l| l.objects = n);
    }
    Ok(table)
}

fn split_target(v: &str) -> (Option<&str>, &str) {
    match v.split_once('=') {
        Some((who, value)) => (Some(who), value),
        None => (None, v),
    }
}

fn update(table: &mut LimitTable, who: Option<&str>, f: impl Fn(&mut Limits)) {
    match who {
        Some(name) => {
            let mut l = table.for_plugin(name);
            f(&mut l);
            table.per_plugin.insert(name.to_string(), l);
        }
        None => {
            f(&mut table.default);
            for l in table.per_plugin.values_mut() {
                f(l);
            }
        }
    }
}

/// `500ms`, `2s`, `1m`, or plain seconds.
pub fn parse_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    let (num, scale) = if let Some(n) = v.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60.0)
    } else {
        (v, 1.0)
    };
    let secs = num.trim().parse::<f64>().ok()? * scale;
    (secs > 0.0 && secs <= 3600.0).then(|| Duration::from_secs_f64(secs))
}

/// Prints problems to stderr (as text, or one JSON object per line) and returns `code`: each
/// once (a problem identical to one already printed is not repeated), notes of severity info
/// only with `-v` ([`Style::says`]).
pub(crate) fn report(err: &mut dyn Write, problems: &[Problem], style: Style, code: u8) -> u8 {
    let mut said: Vec<&Problem> = Vec::new();
    for p in problems {
        if !style.says(p.severity) || said.iter().any(|q| same(q, p)) {
            continue;
        }
        said.push(p);
        let _ = if style.json {
            writeln!(
                err,
                "{}",
                serde_json::json!({"type": "problem", "problem": p})
            )
        } else {
            writeln!(err, "{}", p.painted(style.colour))
        };
    }
    code
}

/// The same fact: every field of the two problems is equal.
fn same(a: &Problem, b: &Problem) -> bool {
    (
        a.severity,
        &a.code,
        &a.message,
        &a.location,
        &a.plugin,
        &a.object,
        &a.hint,
    ) == (
        b.severity,
        &b.code,
        &b.message,
        &b.location,
        &b.plugin,
        &b.object,
        &b.hint,
    )
}

fn list_plugins(
    set: &Plugins,
    doc: Option<&hms_spec::Document>,
    format: ListFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let row = |serves: &str, l: &plugins::Loaded| {
        let (p, m) = (&l.plugin, l.plugin.metadata());
        serde_json::json!({
            "serves": serves, "name": m.name, "version": m.version, "section": m.section,
            "witVersion": p.wit_version(), "digest": p.digest(), "origin": l.origin,
            "from": l.origin.to_string(), "description": m.description,
            "emits": m.emits.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        })
    };
    let rows: Vec<serde_json::Value> = match doc {
        // What this spec uses: each present section's plugin, then each baseline.
        Some(doc) => {
            let mut rows = Vec::new();
            for s in Section::RENDERED.into_iter().filter(|s| doc.spec.has(*s)) {
                if let Some(l) = set.loaded(s) {
                    rows.push(row(s.key(), l));
                }
            }
            let names = doc
                .spec
                .baselines
                .iter()
                .map(|b| b.name.as_str())
                .chain(set.extra_baselines().iter().map(String::as_str));
            for name in names {
                if let Some(l) = set.baseline(name) {
                    rows.push(row("baseline", l));
                }
            }
            rows
        }
        None => set
            .iter()
            .map(|l| row(&l.plugin.metadata().section, l))
            .collect(),
    };
    if format == ListFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    // Every cell but the digest comes from the plugin: shown escaped and bounded. Columns are
    // as wide as their widest cell, so a long FROM path does not push EMITS out of line.
    let mut table: Vec<Vec<String>> = vec![
        [
            "SERVES", "NAME", "VERSION", "WIT", "DIGEST", "FROM", "EMITS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in &rows {
        let s = |k: &str| shown(r[k].as_str().unwrap_or(""), text::CELL).into_owned();
        let emits: Vec<&str> = r["emits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        table.push(vec![
            s("serves"),
            s("name"),
            s("version"),
            s("witVersion"),
            s("digest").chars().take(19).collect(),
            shown(r["from"].as_str().unwrap_or(""), text::FIELD).into_owned(),
            shown(&emits.join(", "), text::MESSAGE).into_owned(),
        ]);
    }
    let last = table[0].len() - 1;
    let widths: Vec<usize> = (0..last)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &table {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate().take(last) {
            line.push_str(&format!("{cell:<w$} ", w = widths[c]));
        }
        line.push_str(&r[last]);
        writeln!(out, "{line}")?;
    }
    Ok(())
}
