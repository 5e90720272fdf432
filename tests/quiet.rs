//! Quiet by default: stderr says only real warnings (each once) unless `-v`; colour only on a
//! terminal or when asked (`--color`, `NO_COLOR`); event lines only with `--events`.

use std::time::Duration;

use crate::support::{self, example, hms};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

fn example_arg() -> String {
    example().display().to_string()
}

fn cache_arg() -> String {
    support::cache_dir().display().to_string()
}

/// The canonical example renders with its three warnings on stderr, each once, and nothing
/// else: no info notes, no logs.
#[test]
fn a_valid_spec_renders_with_only_its_warnings_each_once() {
    let run = hms(&["render", &example_arg()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("kind: Deployment"), "{run:?}");
    let heads: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.starts_with("  hint: "))
        .collect();
    assert_eq!(
        heads.len(),
        3,
        "three warnings and their hints only: {run:?}"
    );
    for code in [
        "warning[STORAGE-CEPH-PASSPHRASE]",
        "warning[HMS-IMAGE-DIGEST]",
        "warning[HMS-PROBES]",
    ] {
        assert_eq!(run.stderr.matches(code).count(), 1, "{code} once: {run:?}");
    }
    assert!(!run.stderr.contains("info["), "{run:?}");
    assert!(!run.stderr.contains("INFO"), "{run:?}");
    // `validate` says the same, and its one line on stdout.
    let run = hms(&["validate", &example_arg()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("info["), "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
}

/// `-v` adds the notes of severity info (each once), in the text and the JSON log format.
#[test]
fn info_notes_appear_with_v() {
    let run = hms(&["-v", "render", &example_arg()]);
    assert_eq!(run.code, 0, "{run:?}");
    for code in ["info[NODEPOOL-FIPS-IMAGE]", "info[NETWORK-DNS-BLOCKED]"] {
        assert_eq!(run.stderr.matches(code).count(), 1, "{code} once: {run:?}");
    }
    assert!(run.stderr.contains("warning[HMS-PROBES]"), "{run:?}");

    let quiet = hms(&["--log-format", "json", "render", &example_arg()]);
    let verbose = hms(&["--log-format", "json", "-v", "render", &example_arg()]);
    let severities = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "problem")
            .map(|v| v["problem"]["severity"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let q = severities(&quiet.stderr);
    assert_eq!(q, ["warning", "warning", "warning"], "{quiet:?}");
    let v = severities(&verbose.stderr);
    assert_eq!(v.iter().filter(|s| *s == "info").count(), 2, "{verbose:?}");
}

/// A plain run into a pipe (how these tests run the binary) carries no colour codes, not even
/// with `-vv`; `--color always` colours problems and logs; `--color never` does not.
#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let limit = Duration::from_secs(120);
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = args(extra);
        a.extend(args(&[
            "render",
            &example_arg(),
            "--cache-dir",
            &cache_arg(),
        ]));
        support::wait_child(support::spawn_hms_env(&a, env), limit)
    };
    let piped = run(&["-vv"], &[]);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(piped.stderr.contains("rendered section"), "{piped:?}");
    assert!(!piped.stderr.contains('\x1b'), "{piped:?}");

    let always = run(&["-v", "--color", "always"], &[("NO_COLOR", "1")]);
    assert_eq!(always.code, 0, "{always:?}");
    assert!(
        always
            .stderr
            .contains("\x1b[1;33mwarning\x1b[0m[HMS-PROBES]"),
        "{always:?}"
    );
    assert!(always.stderr.contains("\x1b[1;36minfo"), "{always:?}");
    // The log lines too (tracing's level colours).
    let log = always
        .stderr
        .lines()
        .find(|l| l.contains("rendered section"))
        .expect("a log line");
    assert!(log.contains('\x1b'), "{always:?}");
    // Nothing on stdout is coloured: the manifests are data.
    assert!(!always.stdout.contains('\x1b'), "{always:?}");

    let never = run(&["-v", "--color=never"], &[]);
    assert!(!never.stderr.contains('\x1b'), "{never:?}");

    // In-process with writers of its own, `auto` never colours: they are not terminals.
    let inproc = hms(&["--color", "auto", "render", &example_arg()]);
    assert!(!inproc.stderr.contains('\x1b'), "{inproc:?}");
}

/// On a real terminal (a pseudo-terminal by util-linux `script`), `auto` colours; `NO_COLOR`
/// turns that off.
#[test]
fn on_a_terminal_auto_colours_unless_no_color() {
    let a = args(&[
        "-v",
        "validate",
        &example_arg(),
        "--cache-dir",
        &cache_arg(),
    ]);
    let limit = Duration::from_secs(120);
    let Some(tty) = support::hms_in_terminal(&a, &[("NO_COLOR", "")], limit) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(tty.code, 0, "{tty:?}");
    assert!(tty.stdout.contains("is valid"), "{tty:?}");
    assert!(
        tty.stdout.contains("\x1b[1;33mwarning\x1b[0m[HMS-PROBES]"),
        "{tty:?}"
    );
    let no_color = support::hms_in_terminal(&a, &[("NO_COLOR", "1")], limit).expect("script");
    assert_eq!(no_color.code, 0, "{no_color:?}");
    assert!(
        no_color.stdout.contains("warning[HMS-PROBES]"),
        "{no_color:?}"
    );
    assert!(!no_color.stdout.contains('\x1b'), "{no_color:?}");
}

/// `apply` writes event lines only when asked: none by default, to stderr with `--events -`,
/// appended to a file with `--events FILE` (here with `--target dir:`, which needs no cluster).
#[test]
fn event_lines_only_when_asked_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = format!("dir:{}", dir.path().join("out").display());
    let limit = Duration::from_secs(120);
    let apply = |extra: &[&str]| {
        let mut a = args(&["apply", &example_arg(), "--target", &target]);
        a.extend(args(&["--cache-dir", &cache_arg()]));
        a.extend(args(extra));
        support::wait_child(support::spawn_hms(&a), limit)
    };
    let is_event = |l: &&str| l.starts_with("{\"time\"");

    let plain = apply(&[]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(plain.stdout.contains("8 created"), "{plain:?}");
    assert!(!plain.stderr.lines().any(|l| is_event(&l)), "{plain:?}");
    assert!(!plain.stderr.contains("pluginDigests"), "{plain:?}");

    let to_stderr = apply(&["--events", "-"]);
    assert_eq!(to_stderr.code, 0, "{to_stderr:?}");
    let events: Vec<serde_json::Value> = to_stderr
        .stderr
        .lines()
        .filter(is_event)
        .map(|l| serde_json::from_str(l).expect("an event is JSON"))
        .collect();
    assert!(
        events.iter().any(|e| e["type"] == "render"),
        "{to_stderr:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "apply" && e["result"] == "unchanged"),
        "{to_stderr:?}"
    );
    assert!(!to_stderr.stdout.contains("\"time\""), "{to_stderr:?}");

    let file = dir.path().join("events.jsonl");
    let file_arg = file.display().to_string();
    let to_file = hms(&[
        "apply",
        &example_arg(),
        "--target",
        &target,
        "--events",
        &file_arg,
        "--cache-dir",
        &cache_arg(),
    ]);
    assert_eq!(to_file.code, 0, "{to_file:?}");
    assert!(!to_file.stderr.contains("\"time\""), "{to_file:?}");
    let written = std::fs::read_to_string(&file).expect("events file");
    assert!(written.lines().count() >= 9, "{written}");
    assert!(!written.contains('\x1b'), "{written}");
}
