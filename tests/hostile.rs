//! A hostile plugin per sandbox limit: the host survives, and the error names plugin, section
//! and cause.

use crate::support::{Run, hms, hostile_wasm, spec_file};

/// Renders a spec whose workload is served by the hostile plugin in `mode`.
fn hostile(mode: &str, extra: &[&str]) -> Run {
    let text = format!(
        "name: hostile\nworkload:\n  image: example.org/hostile/{mode}:v1\n  volume: none\n"
    );
    let (_dir, path) = spec_file(&text);
    let wasm = hostile_wasm();
    let mut args = vec![
        "render",
        path.to_str().expect("utf-8"),
        "--plugin",
        wasm.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    hms(&args)
}

/// The plugin failed (exit 4) and the message names the plugin, the section and `cause`.
fn failed_with(run: &Run, cause: &str) {
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is rendered: {run:?}");
    for needle in ["plugin `hostile`", "render of section workload", cause] {
        assert!(run.stderr.contains(needle), "missing {needle:?}\n{run:?}");
    }
}

/// The host is still fine: the same process renders the example afterwards.
fn host_survives() {
    let run = hms(&[
        "validate",
        crate::support::example().to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_well_behaved_hostile_build_renders() {
    let run = hostile("ok", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("kind: ConfigMap"), "{run:?}");
}

#[test]
fn infinite_loop_hits_the_deadline() {
    failed_with(
        &hostile("loop", &["--deadline", "hostile=300ms"]),
        "timed out after 300 ms",
    );
    host_survives();
}

#[test]
fn sleeping_inside_a_host_call_still_times_out() {
    failed_with(
        &hostile("sleep", &["--deadline", "hostile=200ms"]),
        "timed out after 200 ms",
    );
    host_survives();
}

#[test]
fn memory_hog_hits_the_memory_cap() {
    failed_with(
        &hostile("memory", &["--memory-mib", "hostile=32"]),
        "exceeded its memory cap of 32 MiB",
    );
    host_survives();
}

#[test]
fn deep_recursion_overflows_the_stack() {
    failed_with(&hostile("stack", &[]), "overflowed its call stack");
    host_survives();
}

#[test]
fn oversized_output_is_refused() {
    failed_with(
        &hostile("big-output", &[]),
        "exceeds the cap of 8388608 bytes",
    );
}

#[test]
fn an_output_far_over_the_cap_is_refused_before_it_is_copied() {
    let run = hostile("huge-string", &[]);
    failed_with(&run, "output exceeds the cap of 8388608 bytes (8 MiB)");
    assert!(
        run.stderr
            .contains("refused while being copied out of the plugin"),
        "{run:?}"
    );
    host_survives();
}

#[test]
fn too_many_objects_are_refused_naming_the_section() {
    let run = hostile("many-objects", &[]);
    failed_with(
        &run,
        "returned 50000 objects, more than the cap of 10000 objects per section",
    );
    assert!(run.stderr.contains("objects cap"), "the hint: {run:?}");
}

/// With the objects cap raised, 50,000 objects reach the baseline, which runs out of memory:
/// the error says which section made the input large and how to raise the baseline's cap.
#[test]
fn a_baseline_out_of_memory_names_the_section_that_made_its_input_large() {
    let (_dir, path) = spec_file(
        "name: hostile\nbaseline: cis-level-2\nworkload:\n  image: example.org/hostile/many-objects:v1\n  volume: none\n",
    );
    let wasm = hostile_wasm();
    let run = hms(&[
        "validate",
        path.to_str().expect("utf-8"),
        "--plugin",
        wasm.to_str().expect("utf-8"),
        "--max-objects",
        "hostile=50000",
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    for needle in [
        "plugin `cis-level-2` failed during baseline check",
        "exceeded its memory cap of 64 MiB",
        "its input was 50000 objects (section workload: 50000 from plugin `hostile`)",
        "--memory-mib cis-level-2=256",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}\n{run:?}");
    }
}

/// What the hostile plugin's `control-chars` mode puts into its diagnostic's code, message and
/// hint (after a prefix each).
const FORGED: &str =
    "\n error[HMS-FAKE]: forged \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \u{202e}desrever";

#[test]
fn control_characters_from_a_plugin_never_reach_the_terminal_raw() {
    let run = hostile("control-chars", &[]);
    assert_eq!(run.code, 0, "a warning does not stop the run: {run:?}");
    for raw in ['\x1b', '\x07', '\r', '\u{202e}'] {
        assert!(!run.stderr.contains(raw), "raw {raw:?} on stderr: {run:?}");
    }
    assert!(
        !run.stderr
            .lines()
            .any(|l| l.trim_start().starts_with("error[HMS-FAKE]")),
        "a forged line: {run:?}"
    );
    for shown in [
        "warning[HOSTILE\\n error[HMS-FAKE]: forged \\u{1b}[31mred",
        "look here\\n error[HMS-FAKE]: forged \\u{1b}[31mred\\u{1b}[0m \\u{1b}]0;pwned\\u{7} \\u{202e}desrever",
        "hint: and here\\n error[HMS-FAKE]",
    ] {
        assert!(run.stderr.contains(shown), "missing {shown:?}\n{run:?}");
    }
}

#[test]
fn json_logs_carry_a_plugins_strings_exactly() {
    let run = hostile("control-chars", &["--log-format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains('\x1b'), "JSON escapes it: {run:?}");
    let problem = run
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "problem")
        .unwrap_or_else(|| panic!("a problem line: {run:?}"));
    let p = &problem["problem"];
    assert_eq!(p["code"], format!("HOSTILE{FORGED}"), "{run:?}");
    assert_eq!(p["message"], format!("look here{FORGED}"), "{run:?}");
    assert_eq!(p["hint"], format!("and here{FORGED}"), "{run:?}");
}

#[test]
fn a_panic_is_reported_with_its_message() {
    failed_with(&hostile("panic", &[]), "panicked: panicked at");
    let run = hostile("panic", &[]);
    assert!(
        run.stderr.contains("hostile plugin panicked on purpose"),
        "{run:?}"
    );
    host_survives();
}

#[test]
fn malformed_json_is_refused() {
    let run = hostile("bad-json", &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("plugin `hostile`"), "{run:?}");
    assert!(
        run.stderr.contains("manifest #0 is not valid JSON"),
        "{run:?}"
    );
    let run = hostile("not-object", &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains("manifest #0 is not a JSON object"),
        "{run:?}"
    );
}

#[test]
fn a_forbidden_kind_is_rejected_naming_plugin_and_object() {
    let run = hostile("forbidden-kind", &[]);
    assert_eq!(run.code, 4, "{run:?}");
    for needle in [
        "error[HMS-FORBIDDEN-KIND]",
        "ClusterRoleBinding",
        "plugin `hostile`",
        "object ClusterRoleBinding take-over",
        "ConfigMap",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}\n{run:?}");
    }
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn host_files_are_out_of_reach() {
    let run = hostile("read-file", &[]);
    assert_eq!(
        run.code, 3,
        "the plugin reports its own failure as a diagnostic: {run:?}"
    );
    assert!(run.stderr.contains("read of /etc/passwd failed"), "{run:?}");
    assert!(!run.stderr.contains("root:"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn environment_and_arguments_are_empty() {
    let run = hostile("env", &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("env vars: []; HOME: None; args: 0"),
        "{run:?}"
    );
}

#[test]
fn a_file_that_is_not_a_component_is_a_clear_error() {
    let (_dir, path) = spec_file("not wasm at all");
    let run = hms(&["plugins", "list", "--plugin", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains("not a valid plugin component"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(path.to_str().expect("utf-8")),
        "{run:?}"
    );
}
