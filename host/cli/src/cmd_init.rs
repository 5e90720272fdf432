//! `hms-sys init [DIR]`: a starter spec, the canonical example with every field explained.

use std::io::Write;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use clap::Args;

use crate::exit;
use crate::output::write_atomic;
use crate::problem::Problem;

/// The file `init` writes in DIR.
pub const FILE: &str = "spec.yml";

/// The starter spec: examples/dcaa_cluster.yml with comments (the same data; a test checks).
pub const STARTER: &str = include_str!("starter.yml");

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The directory to write spec.yml into (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing spec.yml.
    #[arg(long)]
    pub force: bool,
}

/// Writes DIR/spec.yml; an existing file is left alone (exit 1) unless `--force`.
pub fn run(args: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let path = args.dir.join(FILE);
    let shown = shown_path(&path);
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", args.dir.display()))?;
    let dir = Dir::open_ambient_dir(&args.dir, ambient_authority())
        .map_err(|e| anyhow::anyhow!("cannot open `{}`: {e}", args.dir.display()))?;
    if args.force {
        write_atomic(&dir, FILE, STARTER.as_bytes())?;
    } else {
        // create_new: an existing file (or a symlink, even a dangling one) is never replaced.
        match dir.open_with(FILE, OpenOptions::new().write(true).create_new(true)) {
            Ok(mut f) => f
                .write_all(STARTER.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| anyhow::anyhow!("cannot write `{shown}`: {e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let problem = Problem::error(
                    "HMS-INIT",
                    format!("`{shown}` already exists; nothing was written"),
                )
                .hint(
                    "pass --force to overwrite it, or name another directory: `hms-sys init DIR`",
                );
                writeln!(err, "{problem}")?;
                return Ok(exit::ERROR);
            }
            Err(e) => anyhow::bail!("cannot write `{shown}`: {e}"),
        }
    }
    writeln!(out, "wrote {shown}: a starter spec, every field explained")?;
    writeln!(out, "next: hms-sys validate {shown}")?;
    writeln!(out, "      hms-sys render {shown}")?;
    Ok(exit::OK)
}

/// `spec.yml` for the current directory, else `DIR/spec.yml` as given.
fn shown_path(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}
