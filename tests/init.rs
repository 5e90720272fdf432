//! `hms-sys init [DIR]`: a starter spec that validates, never written over an existing one
//! unless `--force`.

use crate::support::{self, hms};

fn yaml(text: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(text).expect("YAML")
}

#[test]
fn init_then_validate_succeeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("new-project");
    let shown = project.display().to_string();
    let run = hms(&["init", &shown]);
    assert_eq!(run.code, 0, "{run:?}");
    let spec = project.join("spec.yml");
    let spec_arg = spec.display().to_string();
    assert!(run.stdout.contains(&format!("wrote {spec_arg}")), "{run:?}");
    assert!(
        run.stdout.contains(&format!("hms-sys validate {spec_arg}")),
        "{run:?}"
    );
    let valid = hms(&["validate", &spec_arg]);
    assert_eq!(valid.code, 0, "{valid:?}");
    assert!(valid.stdout.contains("is valid: 4 sections"), "{valid:?}");
}

/// The starter is the canonical example (the same data), with comments.
#[test]
fn the_starter_is_the_canonical_example_with_comments() {
    let example = std::fs::read_to_string(support::example()).expect("example");
    let starter = hms_sys::cmd_init::STARTER;
    assert_eq!(yaml(starter), yaml(&example));
    let comments = starter.lines().filter(|l| l.contains('#')).count();
    assert!(comments > 20, "every field explained: {starter}");
}

/// Every optional field the starter shows commented out is valid as shown: uncommenting all of
/// them still validates.
#[test]
fn the_starters_optional_fields_are_valid_as_shown() {
    let optional = regex_free_uncomment(hms_sys::cmd_init::STARTER);
    assert!(optional.contains("\n  port: 8080"), "{optional}");
    assert!(optional.contains("\n    allowDNS: true"), "{optional}");
    let (_dir, path) = support::spec_file(&optional);
    let run = hms(&["validate", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{run:?}\n{optional}");
}

/// `# key: value` lines (indented or not) become `key: value`; other comments stay.
fn regex_free_uncomment(text: &str) -> String {
    text.lines()
        .map(|line| {
            let body = line.trim_start();
            let indent = &line[..line.len() - body.len()];
            match body.strip_prefix("# ") {
                Some(rest)
                    if rest
                        .split_once(": ")
                        .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric())) =>
                {
                    format!("{indent}{rest}\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

#[test]
fn init_does_not_overwrite_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("spec.yml");
    std::fs::write(&spec, "mine: true\n").expect("write");
    let shown = dir.path().display().to_string();
    let run = hms(&["init", &shown]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "error[HMS-INIT]: `{}` already exists; nothing was written",
            spec.display()
        )),
        "{run:?}"
    );
    assert!(run.stderr.contains("--force"), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&spec).expect("read"),
        "mine: true\n"
    );

    let forced = hms(&["init", &shown, "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(
        std::fs::read_to_string(&spec).expect("read"),
        hms_sys::cmd_init::STARTER
    );
}
