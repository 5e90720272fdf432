//! `hms-sys schema [SPEC]`: the JSON Schema of a spec for editors (yaml-language-server): the
//! envelope (owned by hms-spec, `hms_spec::schema`) with the section schemas of the plugins that
//! serve each section (the spec's choices, else the bundled ones) and each baseline's
//! parameters.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use hms_spec::Section;

use crate::cli::{PluginArgs, load_plugins, load_spec, report};
use crate::exit;
use crate::style::Style;

#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// A spec: use the plugins it names for its sections [default: the bundled plugins].
    #[arg(value_name = "SPEC")]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

pub fn run(
    args: &SchemaArgs,
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
    let sections: Vec<(Section, serde_json::Value)> = Section::RENDERED
        .into_iter()
        .filter_map(|s| Some((s, set.get(s)?.metadata().section_schema.value().clone())))
        .collect();
    let baselines: Vec<(String, serde_json::Value)> = set
        .baseline_names()
        .into_iter()
        .filter_map(|name| {
            let l = set.baseline(name)?;
            Some((
                name.to_string(),
                l.plugin.metadata().section_schema.value().clone(),
            ))
        })
        .collect();
    let schema = hms_spec::schema::json_schema(&sections, &baselines);
    writeln!(out, "{}", serde_json::to_string_pretty(&schema)?)?;
    Ok(exit::OK)
}
