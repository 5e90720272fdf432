//! Helpers shared by the tests: run the CLI in-process, write specs, find fixtures.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What one `hms-sys` run produced.
pub struct Run {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn example() -> PathBuf {
    root().join("examples/dcaa_cluster.yml")
}

/// The shared testdata folder beside the project.
pub fn shared() -> PathBuf {
    root().join("../shared/testdata")
}

pub fn hostile_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_WASM"))
}

/// The hostile status plugin (`hostile-status`, `hms:sys` 0.2.0), built by build.rs.
pub fn hostile_status_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_STATUS_WASM"))
}

/// The hostile baseline plugin (`tamper-base`), built by build.rs.
pub fn hostile_baseline_wasm() -> PathBuf {
    PathBuf::from(env!("HOSTILE_BASELINE_WASM"))
}

/// The example storage plugin `netapp-trident` (examples/plugins/netapp-trident), built by
/// build.rs.
pub fn netapp_trident_wasm() -> PathBuf {
    PathBuf::from(env!("NETAPP_TRIDENT_WASM"))
}

/// The example baseline plugin `agency-rules` (examples/plugins/agency-rules), built by build.rs.
pub fn agency_rules_wasm() -> PathBuf {
    PathBuf::from(env!("AGENCY_RULES_WASM"))
}

/// The agency example's spec, as committed (examples/agency/spec.yml).
pub fn agency_example() -> PathBuf {
    root().join("examples/agency/spec.yml")
}

/// The agency example laid out as examples/README.md lays it out, in a fresh temporary
/// directory: `spec` as `spec.yml` beside `plugins/netapp-trident.wasm` and
/// `plugins/agency-rules.wasm`. Keep the directory alive while using the path.
pub fn agency_project(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).expect("plugins dir");
    std::fs::copy(netapp_trident_wasm(), plugins.join("netapp-trident.wasm")).expect("copy");
    std::fs::copy(agency_rules_wasm(), plugins.join("agency-rules.wasm")).expect("copy");
    let path = dir.path().join("spec.yml");
    std::fs::write(&path, spec).expect("write spec");
    (dir, path)
}

/// One compiled-plugin cache for the whole test process. Entries are content-keyed and written
/// atomically, so sharing it makes tests faster without making them depend on each other.
pub fn cache_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// Runs `hms-sys ARGS` in-process with the shared cache. The command line is parsed as `main`
/// parses it ([`hms_sys::parse_args`]), with its exit codes for help and usage errors.
pub fn hms(args: &[&str]) -> Run {
    let mut argv: Vec<String> = vec!["hms-sys".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let loads_plugins = matches!(
        args.first(),
        Some(&"render")
            | Some(&"validate")
            | Some(&"plugins")
            | Some(&"explain")
            | Some(&"schema")
            | Some(&"check")
    );
    if loads_plugins {
        argv.push("--cache-dir".into());
        argv.push(cache_dir().display().to_string());
    }
    let cli = match hms_sys::parse_args(&argv) {
        Ok(cli) => cli,
        Err((e, code)) => {
            return Run {
                code,
                stdout: String::new(),
                stderr: e.to_string(),
            };
        }
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = hms_sys::run(cli, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// A spec file in a fresh temporary directory; keep the directory alive while using the path.
pub fn spec_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spec.yml");
    std::fs::write(&path, text).expect("write spec");
    (dir, path)
}

/// The example with `from` replaced by `to` (which must occur exactly once).
pub fn example_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(example()).expect("example");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur once in the example"
    );
    text.replace(from, to)
}

/// Runs `hms-sys validate` on `text` written to a file; returns the run and the file path.
pub fn validate_text(text: &str) -> (Run, String) {
    let (_dir, path) = spec_file(text);
    let run = hms(&["validate", path.to_str().expect("utf-8 path")]);
    (run, path.display().to_string())
}

/// The environment variable that turns [`hms_child`] into `hms-sys ARGS` (JSON array).
const CHILD_ARGS: &str = "HMS_TEST_CHILD_ARGS";

/// Starts `hms-sys ARGS` as a real child process (this test binary again, running only
/// [`hms_child`]), with stdout and stderr piped: for tests that need real signals and exit codes.
/// (`cargo test` builds no `hms-sys` binary for this package; this is the same code as `main`.)
pub fn spawn_hms(args: &[String]) -> std::process::Child {
    spawn_hms_env(args, &[])
}

/// [`spawn_hms`] with extra environment variables (the child's own, so tests running in
/// parallel in this process are not affected).
pub fn spawn_hms_env(args: &[String], env: &[(&str, &str)]) -> std::process::Child {
    spawn_hms_with(args, env, std::process::Stdio::null())
}

/// [`spawn_hms`] with `stdin` as the child's standard input (`Stdio::piped()` to write to it).
pub fn spawn_hms_with(
    args: &[String],
    env: &[(&str, &str)],
    stdin: std::process::Stdio,
) -> std::process::Child {
    hms_command(args)
        .envs(env.iter().copied())
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the child process")
}

/// The command that runs `hms-sys ARGS` as a child process (see [`spawn_hms`]), to be given its
/// standard streams and spawned by the caller (a long-running child writes to files).
pub fn hms_command(args: &[String]) -> std::process::Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = std::process::Command::new(exe);
    command
        .args([
            "--exact",
            "support::hms_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ARGS,
            serde_json::to_string(args).expect("args as JSON"),
        );
    command
}

/// Runs `hms-sys ARGS` (as [`spawn_hms`] does) with stdout and stderr on a pseudo-terminal, by
/// util-linux `script`, and returns what the terminal showed (stdout and stderr together) as
/// `stdout`. `None` when `script` is not installed.
pub fn hms_in_terminal(
    args: &[String],
    env: &[(&str, &str)],
    limit: std::time::Duration,
) -> Option<Run> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    // libtest's own colour off: every escape code the terminal shows is hms-sys's.
    let command = format!(
        "{} --exact support::hms_child --ignored --nocapture --test-threads=1 --color never",
        quote(exe.to_str().expect("utf-8 path"))
    );
    let child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .envs(env.iter().copied())
        .env(
            CHILD_ARGS,
            serde_json::to_string(args).expect("args as JSON"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    Some(wait_child(child, limit))
}

/// Waits for a child at most `limit` (a guard against a hang, not a timing assertion); kills it
/// and panics with what it printed if it is still running.
pub fn wait_child(child: std::process::Child, limit: std::time::Duration) -> Run {
    let (status, stdout, stderr) = crate::kube::client::collect(child, limit);
    let Some(status) = status else {
        panic!(
            "the child did not exit within {limit:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
    };
    Run {
        code: status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(255),
        stdout,
        stderr,
    }
}

/// Not a test: the entry point of [`spawn_hms`]'s child process. Runs `hms-sys` as `main` does
/// (logging installed, signals handled) and exits with its code.
#[test]
#[ignore = "the entry point of child processes started by support::spawn_hms"]
fn hms_child() {
    let Ok(json) = std::env::var(CHILD_ARGS) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&json).expect("child args");
    let mut argv = vec!["hms-sys".to_string()];
    argv.extend(args);
    let cli = match hms_sys::parse_args(&argv) {
        Ok(cli) => cli,
        Err((e, code)) => {
            let _ = e.print();
            std::process::exit(i32::from(code));
        }
    };
    // libtest leaves its `test support::hms_child ... ` line open; at a terminal, end it so the
    // command starts at the start of a line, as it does after a shell prompt.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        println!();
    }
    std::process::exit(i32::from(hms_sys::run_process(cli)));
}

/// A `Vm*:` line (`VmRSS:`, `VmHWM:`) of /proc/PID/status, `self` for this process, in KiB
/// (Linux; 0 when it cannot be read). For the benchmarks.
pub fn vm_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
