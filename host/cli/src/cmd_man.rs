//! `hms-sys man [DIR]`: man pages, generated from the clap definition that parses the command
//! line.

use std::io::Write;
use std::path::PathBuf;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use clap::{Args, CommandFactory};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::exit;
use crate::output::write_atomic;

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write hms-sys.1 and one page per subcommand (hms-sys-apply.1, ...) into DIR (created if
    /// missing); without DIR, print hms-sys(1) on stdout.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(path) = &args.dir else {
        Man::new(cmd).render(out)?;
        return Ok(exit::OK);
    };
    std::fs::create_dir_all(path)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", path.display()))?;
    let dir = Dir::open_ambient_dir(path, ambient_authority())
        .map_err(|e| anyhow::anyhow!("cannot open `{}`: {e}", path.display()))?;
    let mut pages = Vec::new();
    write_pages(&cmd, &dir, &mut pages)?;
    writeln!(
        out,
        "wrote {} man pages to {}: {}",
        pages.len(),
        path.display(),
        pages.join(", ")
    )?;
    Ok(exit::OK)
}

/// The page of `cmd`, then those of its subcommands (named `hms-sys-SUB[-SUB].1`).
fn write_pages(cmd: &clap::Command, dir: &Dir, pages: &mut Vec<String>) -> anyhow::Result<()> {
    let man = Man::new(cmd.clone());
    let name = man.get_filename();
    let mut page = Vec::new();
    man.render(&mut page)?;
    write_atomic(dir, &name, &page)?;
    pages.push(name);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, pages)?;
    }
    Ok(())
}
