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
mod cmd_check;
mod cmd_completions;
mod cmd_controller;
mod cmd_explain;
pub mod cmd_init;
mod cmd_man;
mod cmd_plugin;
pub mod cmd_plugin_new;
mod cmd_plugin_oci;
mod cmd_schema;
pub mod codes;
pub mod controller_manifests;
mod dir_target;
pub mod exceptions;
pub mod findings;
mod judge;
pub mod kinds;
mod live;
pub mod manifests;
pub mod oscal;
pub mod output;
pub mod pipeline;
pub mod plugins;
pub mod problem;
pub mod sarif;
mod schema;
pub mod style;
pub mod text;

use std::ffi::OsString;
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

/// Parses the process arguments and runs the command as [`run_process`].
pub fn main() -> ExitCode {
    let cli = match parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err((e, code)) => {
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run_process(cli))
}

/// Runs a parsed command as the process: logging installed, Ctrl-C handled, results on the
/// process's stdout and problems on its stderr (coloured per `--color`, knowing whether stderr
/// is a terminal); returns the exit code.
pub fn run_process(mut cli: Cli) -> u8 {
    use std::io::IsTerminal;
    cli.stderr_terminal = std::io::stderr().is_terminal();
    if std::io::stdout().is_terminal() {
        live::enable();
    }
    cli::init_logging(&cli);
    handle_signals();
    // Unlocked handles: tracing also writes to stderr, from any thread.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = run(cli, &mut out, &mut err);
    let _ = out.flush();
    code
}

/// Parses a command line (the program name first). When it does not parse, returns clap's
/// message (help, version or a usage error) with the exit code: 0 for help and version, else
/// [`exit::USAGE`], except for `plan`, where 2 means "changes", so its usage errors are
/// [`exit::ERROR`].
pub fn parse_args<I, T>(args: I) -> Result<Cli, (clap::Error, u8)>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    use clap::Parser;
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    Cli::try_parse_from(&args).map_err(|e| {
        let code = if !e.use_stderr() {
            exit::OK
        } else if subcommand_of(&args).as_deref() == Some("plan") {
            exit::ERROR
        } else {
            exit::USAGE
        };
        (e, code)
    })
}

/// The subcommand a command line that clap refused names, by clap's own definition of the
/// options before it: their values are skipped (`--log-format json`, `-v`), and an alias is its
/// subcommand's name (`diff` is `plan`).
fn subcommand_of(args: &[OsString]) -> Option<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let takes_value = |arg: Option<&clap::Arg>| arg.is_some_and(|a| a.get_action().takes_values());
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        if arg == "--" {
            return None;
        }
        let value_follows = if let Some(long) = arg.strip_prefix("--") {
            // `--log-format json`; `--log-format=json` carries its value.
            !long.contains('=')
                && takes_value(cmd.get_arguments().find(|a| a.get_long() == Some(long)))
        } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A cluster such as `-vv`: the first short that takes a value takes the rest of it,
            // or, at its end, the next argument.
            let mut shorts = shorts.chars();
            let mut follows = false;
            while let Some(c) = shorts.next() {
                if takes_value(cmd.get_arguments().find(|a| a.get_short() == Some(c))) {
                    follows = shorts.as_str().is_empty();
                    break;
                }
            }
            follows
        } else {
            return cmd
                .find_subcommand(arg)
                .map(|sub| sub.get_name().to_string());
        };
        if value_follows {
            rest.next();
        }
    }
    None
}

/// Runs one command, writing results to `out` and problems to `err`; returns the exit code.
/// `err` is taken for a terminal only when `cli.stderr_terminal` says so (as [`run_process`]
/// sets it), so `--color auto` writes no colour codes to other writers.
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
