//! `hms-sys check`: the baselines over a spec's rendered output or over existing manifests,
//! reported for people (text), machines (JSON), code scanners (SARIF 2.1.0) and assessors
//! (OSCAL assessment results).
//!
//! A single file is a spec unless it looks like manifests ([`manifests::looks_like_manifests`]:
//! more than one YAML document, or a top-level `kind` or `apiVersion`); `-`, a directory, or
//! several paths are always manifests. A spec is rendered and judged by its own `baseline:`
//! entries, by the same gate as render ([`pipeline::render_report`]); manifests are judged by the
//! bundled baseline with `--profile` (and any `--plugin` baseline), by the same gate
//! ([`pipeline::check_objects`]).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::{self, PluginArgs};
use crate::exit;
use crate::findings::Finding;
use crate::manifests::{self, Manifests};
use crate::oscal;
use crate::pipeline::{self, BaselineRun, Failure, Rendered};
use crate::problem::Problem;
use crate::sarif;
use crate::style::Style;
use crate::text::{self, shown};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A spec file, or manifests: files, directories (every .yaml, .yml and .json file in
    /// them) or `-` for stdin.
    #[arg(required = true, value_name = "SPEC|PATH|-")]
    pub inputs: Vec<PathBuf>,
    /// What to check manifests against: `cis-level-2` (the default: Pod Security Standards
    /// restricted plus CIS section 5, as a spec's default baseline), or only the Pod Security
    /// Standards at level `restricted` or `baseline` (what Pod Security Admission enforces).
    /// A spec is checked by its own `baseline:` entries.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = CheckFormat::Text)]
    pub output: CheckFormat,
    /// Accepted risks for manifests: a file with `exceptions:` as a spec writes them (a spec
    /// holds its own, so this is for manifests only).
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    #[value(name = "cis-level-2")]
    CisLevel2,
    Restricted,
    Baseline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
    Oscal,
}

impl Profile {
    /// The bundled baseline's parameters for this profile.
    fn params(self) -> serde_json::Value {
        match self {
            Profile::CisLevel2 => serde_json::json!({"name": "cis-level-2"}),
            Profile::Restricted => {
                serde_json::json!({"name": "cis-level-2", "profile": "restricted", "podSecurityOnly": true})
            }
            Profile::Baseline => {
                serde_json::json!({"name": "cis-level-2", "profile": "baseline", "podSecurityOnly": true})
            }
        }
    }
}

pub fn run(
    args: &CheckArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let spec = match args.inputs.as_slice() {
        [one] if one.as_os_str() != "-" && !one.is_dir() => is_spec(one).then_some(one),
        _ => None,
    };
    let (rendered, input) = match spec {
        Some(spec) => {
            if args.exceptions.is_some() {
                let p = Problem::error(
                    "HMS-USAGE",
                    format!(
                        "--exceptions does not apply to a spec: {} holds its own `exceptions:`",
                        spec.display()
                    ),
                )
                .hint("write the exceptions in the spec (docs/spec.md)");
                return Ok(cli::report(err, &[p], style, exit::USAGE));
            }
            if args.profile.is_some() {
                let p = Problem::error(
                    "HMS-USAGE",
                    format!("--profile does not apply to a spec: {} is checked by its own `baseline:` entries", spec.display()),
                )
                .hint(format!(
                    "set the profile in the spec's baseline entry, or check the rendered manifests: `hms-sys render {0} | hms-sys check --profile PROFILE -`",
                    spec.display()
                ));
                return Ok(cli::report(err, &[p], style, exit::USAGE));
            }
            let (doc, set) = match cli::load_spec(spec, &args.plugins, style, err) {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
            match pipeline::render_report(&doc, &set) {
                Ok(r) => {
                    // The sections' own warnings go to stderr as render reports them; the
                    // baselines' findings are this command's result, on stdout.
                    let notes: Vec<Problem> = r
                        .notes
                        .iter()
                        .filter(|p| !p.plugin.as_ref().is_some_and(|n| r.baselines.contains(n)))
                        .cloned()
                        .collect();
                    cli::report(err, &notes, style, exit::OK);
                    (r, None)
                }
                Err(f) => return Ok(failed(&f, style, err)),
            }
        }
        None => {
            let read = manifests::read(&args.inputs, &mut std::io::stdin().lock());
            let input = match read {
                Ok(m) => m,
                Err(problems) => return Ok(cli::report(err, &problems, style, exit::SPEC)),
            };
            let exceptions = match args.exceptions.as_deref().map(hms_spec::load_exceptions) {
                None => None,
                Some(Ok(x)) => Some(x),
                Some(Err(e)) => {
                    return Ok(cli::report(err, &Problem::from_spec(&e), style, exit::SPEC));
                }
            };
            let set = match cli::load_plugins(&args.plugins, None, std::path::Path::new(".")) {
                Ok(set) => set,
                Err((problems, code)) => return Ok(cli::report(err, &problems, style, code)),
            };
            let mut baselines = vec![BaselineRun {
                name: "cis-level-2".into(),
                params: args.profile.unwrap_or(Profile::CisLevel2).params(),
                pointer: String::new(),
            }];
            baselines.extend(pipeline::extra_baselines(&set));
            let mut rendered = Rendered {
                objects: input.objects.clone(),
                spec_json: serde_json::json!({}),
                ..Rendered::default()
            };
            let accepted = exceptions
                .as_ref()
                .map(|(list, source)| crate::exceptions::Exceptions { list, source });
            if let Err(f) = pipeline::check_objects(&baselines, &set, accepted, &mut rendered) {
                return Ok(failed(&f, style, err));
            }
            // The host's own notes (an exception that matched nothing) go to stderr; the
            // baselines' findings are this command's result, on stdout.
            let host: Vec<Problem> = rendered
                .notes
                .iter()
                .filter(|p| p.plugin.is_none())
                .cloned()
                .collect();
            cli::report(err, &host, style, exit::OK);
            input.locate(&mut rendered.findings);
            (rendered, Some(input))
        }
    };
    let refused = rendered.findings.iter().any(Finding::is_error);
    match args.output {
        CheckFormat::Text => write_text(&rendered, input.as_ref(), out)?,
        CheckFormat::Json => {
            let doc = serde_json::json!({
                "refused": refused,
                "baselines": rendered.baselines,
                "objects": rendered.objects.len(),
                "findings": rendered.findings,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        CheckFormat::Oscal => {
            let doc = oscal::document(
                &rendered.findings,
                &rendered.plugins,
                rendered.objects.len(),
            );
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        CheckFormat::Sarif => {
            let doc = sarif::document(&rendered.findings, &rendered.plugins);
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    Ok(if refused { exit::BASELINE } else { exit::OK })
}

/// Whether a single file is a spec (see the module docs). A file that cannot be read is taken
/// for a spec, whose reading reports the problem.
fn is_spec(path: &std::path::Path) -> bool {
    match hms_spec::read_regular_file(path, manifests::MAX_MANIFEST_BYTES) {
        Ok(bytes) => !manifests::looks_like_manifests(&String::from_utf8_lossy(&bytes)),
        Err(_) => true,
    }
}

fn failed(f: &Failure, style: Style, err: &mut dyn Write) -> u8 {
    let code = match f {
        Failure::Spec(_) => exit::SPEC,
        Failure::Plugin(_) => exit::PLUGIN,
        Failure::Gate(_) => exit::BASELINE,
    };
    cli::report(err, f.problems(), style, code)
}

/// The findings for a person, one block each (control, object and field, where it was written,
/// what to do; every string from a plugin through `text::shown`), then one summary line.
fn write_text(
    rendered: &Rendered,
    input: Option<&Manifests>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for f in &rendered.findings {
        writeln!(out, "{}", Problem::from_finding(f))?;
    }
    let count = |pred: fn(&Finding) -> bool| rendered.findings.iter().filter(|f| pred(f)).count();
    let errors = count(Finding::is_error);
    let warnings = count(|f| f.severity == hms_plugin::Severity::Warning);
    let files = input.map_or(String::new(), |m| {
        format!(
            " in {} file{}",
            m.files,
            if m.files == 1 { "" } else { "s" }
        )
    });
    let by = rendered
        .baselines
        .iter()
        .map(|b| shown(b, text::CELL).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let n = rendered.objects.len();
    let objects = format!("{n} object{}{files}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        writeln!(
            out,
            "✘ refused: {errors} error{} and {warnings} warning{} in {objects} (baseline {by})",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        )
    } else {
        writeln!(
            out,
            "✔ passed: {objects} checked by baseline {by}, {warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        )
    }
}
