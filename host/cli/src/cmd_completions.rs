//! `hms-sys completions SHELL`: a completion script for the shell, on stdout.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// Prints the script, generated from the same clap definition that parses the command line.
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "hms-sys", out);
    Ok(exit::OK)
}
