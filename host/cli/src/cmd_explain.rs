//! `hms-sys explain CODE` (as `rustc --explain`): what a problem code means, why it matters
//! (the CIS or NIST control where there is one) and how to fix it. The host explains its own
//! codes (`codes.rs`); every loaded plugin explains its own in its schema (the `x-hms-explain`
//! keyword, `hms_plugin_sdk::explain`): the bundled ones, and with `--spec` the plugins that
//! spec names. Plugin text is untrusted: shown through `text::shown`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use hms_plugin_sdk::explain::KEYWORD;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{PluginArgs, load_plugins, load_spec, report};
use crate::codes;
use crate::exit;
use crate::problem::Problem;
use crate::style::Style;
use crate::text::{self, shown};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The code, as a problem shows it: `error[CODE]` (case does not matter).
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,
    /// Also explain the codes of the plugins this spec names (the bundled ones always).
    #[arg(long, value_name = "SPEC")]
    pub spec: Option<PathBuf>,
    /// List every code that can be explained, with its one-line summary.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ExplainFormat::Text)]
    pub output: ExplainFormat,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// One code's explanation and who gave it.
#[derive(Debug, Serialize)]
struct Entry {
    code: String,
    summary: String,
    why: String,
    control: String,
    fix: String,
    /// `hms-sys`, or `plugin NAME VERSION (ORIGIN)`.
    source: String,
}

pub fn run(
    args: &ExplainArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let set = match &args.spec {
        Some(spec) => match load_spec(spec, &args.plugins, style, err) {
            Ok((_, set)) => set,
            Err(code) => return Ok(code),
        },
        None => match load_plugins(&args.plugins, None, Path::new(".")) {
            Ok(set) => set,
            Err((problems, code)) => return Ok(report(err, &problems, style, code)),
        },
    };
    let mut entries: Vec<Entry> = codes::HOST
        .iter()
        .map(|e| Entry {
            code: e.code.into(),
            summary: e.summary.into(),
            why: e.why.into(),
            control: e.control.into(),
            fix: e.fix.into(),
            source: "hms-sys".into(),
        })
        .collect();
    for l in set.iter() {
        let m = l.plugin.metadata();
        let source = format!("plugin {} {} ({})", m.name, m.version, l.origin);
        if let Some(Value::Object(list)) = m.section_schema.value().get(KEYWORD) {
            for (code, e) in list {
                let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                entries.push(Entry {
                    code: code.clone(),
                    summary: field("summary"),
                    why: field("why"),
                    control: field("control"),
                    fix: field("fix"),
                    source: source.clone(),
                });
            }
        }
    }
    if args.list {
        return list(&entries, args.output, out);
    }
    let wanted = args.code.as_deref().unwrap_or("").trim();
    let found: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.code.eq_ignore_ascii_case(wanted))
        .collect();
    if found.is_empty() {
        let known: Vec<&str> = entries.iter().map(|e| e.code.as_str()).collect();
        let hint = match hms_spec::did_you_mean(wanted, &known) {
            Some(near) => format!("did you mean `{}`?", shown(near, text::CODE)),
            None => "list the codes with `hms-sys explain --list`; a plugin that is not bundled \
                     explains its codes with `hms-sys explain CODE --spec SPEC`"
                .to_string(),
        };
        let problem = Problem::error(
            "HMS-EXPLAIN",
            format!("there is no explanation of `{}`", shown(wanted, text::CODE)),
        )
        .hint(hint);
        return Ok(report(err, &[problem], style, exit::ERROR));
    }
    if args.output == ExplainFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?;
        return Ok(exit::OK);
    }
    for (i, e) in found.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let said = |s: &str| shown(s, text::MESSAGE).into_owned();
        writeln!(out, "{}: {}", shown(&e.code, text::CODE), said(&e.summary))?;
        writeln!(out, "  from: {}", shown(&e.source, text::FIELD))?;
        for (label, body) in [
            ("Why it matters", &e.why),
            ("Control", &e.control),
            ("How to fix it", &e.fix),
        ] {
            if !body.is_empty() {
                writeln!(out)?;
                writeln!(out, "{label}:")?;
                for line in wrap(&said(body), 92) {
                    writeln!(out, "  {line}")?;
                }
            }
        }
    }
    Ok(exit::OK)
}

fn list(entries: &[Entry], format: ExplainFormat, out: &mut dyn Write) -> anyhow::Result<u8> {
    if format == ExplainFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(entries)?)?;
        return Ok(exit::OK);
    }
    let codes: Vec<String> = entries
        .iter()
        .map(|e| shown(&e.code, text::CODE).into_owned())
        .collect();
    let width = codes.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    for (code, e) in codes.iter().zip(entries) {
        writeln!(out, "{code:<width$}  {}", shown(&e.summary, text::MESSAGE))?;
    }
    Ok(exit::OK)
}

/// `s` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
