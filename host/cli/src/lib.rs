//! hms-sys: one YAML spec, sandboxed WebAssembly plugins, checked Kubernetes manifests.
//!
//! The binary is a thin `main` over [`main`]; the tests drive [`run`] with arguments and
//! capture what it writes.

// `Problem` is a report for a person, built once per failure; boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod bundled;
pub mod checks;
mod cli;
mod cluster_cli;
mod cmd_apply;
mod dir_target;
pub mod kinds;
pub mod output;
pub mod pipeline;
pub mod plugins;
pub mod problem;
pub mod text;

use std::io::Write;
use std::process::ExitCode;

pub use cli::{Cli, Command, init_logging};

/// Exit codes, documented in README.md.
pub mod exit {
    /// Success (for `validate`: the spec is valid).
    pub const OK: u8 = 0;
    /// Anything else went wrong: I/O, an unreadable file, an internal error.
    pub const ERROR: u8 = 1;
    /// The command line is wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// The spec is invalid: parse or validation errors, or a plugin's error about its section.
    pub const SPEC: u8 = 3;
    /// A plugin failed (trap, timeout, memory cap, panic) or broke the contract.
    pub const PLUGIN: u8 = 4;
    /// The baseline gate refused the manifests.
    pub const BASELINE: u8 = 5;
    /// The cluster refused or failed: connection, API error, conflict, an object not ours.
    pub const CLUSTER: u8 = 6;
    /// `status`: something is not ready yet, or failed.
    pub const NOT_READY: u8 = 7;
    /// `plan`: there are changes (Terraform's -detailed-exitcode).
    pub const CHANGES: u8 = 2;
    /// Interrupted (Ctrl-C or SIGTERM), as a shell reports SIGINT: 128 + 2.
    pub const INTERRUPTED: u8 = 130;
}

/// Makes `apply` handle Ctrl-C and SIGTERM itself: stop at once, report what was done, keep the
/// inventory consistent and exit 130 (a second signal exits at once). [`main`] calls this; a
/// library caller that wants the default signal behaviour does not.
pub fn handle_signals() {
    cmd_apply::enable_signals();
}

/// Parses the process arguments, installs logging and runs the command.
pub fn main() -> ExitCode {
    use clap::Parser;
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // `plan` keeps Terraform's -detailed-exitcode: 2 means changes, so a usage error is 1.
            let plan = std::env::args()
                .skip(1)
                .find(|a| !a.starts_with('-'))
                .is_some_and(|c| c == "plan" || c == "diff");
            return ExitCode::from(match (e.use_stderr(), plan) {
                (false, _) => exit::OK,
                (true, true) => exit::ERROR,
                (true, false) => exit::USAGE,
            });
        }
    };
    cli::init_logging(&cli);
    handle_signals();
    // Unlocked handles: tracing also writes to stderr, from any thread.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = run(cli, &mut out, &mut err);
    let _ = out.flush();
    ExitCode::from(code)
}

/// Runs one command, writing results to `out` and problems to `err`; returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match cli::execute(cli, out, err) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`hms-sys render x | head`) is not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return exit::OK;
            }
            let _ = writeln!(err, "error: {e:#}");
            exit::ERROR
        }
    }
}
