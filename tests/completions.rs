//! `hms-sys completions SHELL` and `hms-sys man [DIR]`, generated from the clap definition.

use crate::support::hms;

const SUBCOMMANDS: [&str; 12] = [
    "render",
    "validate",
    "apply",
    "plan",
    "status",
    "plugins",
    "init",
    "completions",
    "man",
    "explain",
    "schema",
    "check",
];

#[test]
fn completions_generate_for_each_shell_and_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = hms(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(run.stderr.is_empty(), "{shell}: {run:?}");
        for sub in SUBCOMMANDS {
            assert!(run.stdout.contains(sub), "{shell}: no {sub:?}\n{run:?}");
        }
        // fish writes long options as `-l kubeconfig`.
        assert!(run.stdout.contains("kubeconfig"), "{shell}: {run:?}");
    }
    let unknown = hms(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
}

/// The bash script is valid bash (`bash -n`).
#[test]
fn the_bash_completion_script_parses() {
    let run = hms(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("hms-sys.bash");
    std::fs::write(&script, &run.stdout).expect("write");
    let out = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn man_pages_for_the_command_and_every_subcommand() {
    let page = hms(&["man"]);
    assert_eq!(page.code, 0, "{page:?}");
    assert!(page.stdout.contains(".TH hms-sys 1"), "{page:?}");
    for sub in SUBCOMMANDS {
        assert!(page.stdout.contains(sub), "no {sub:?}\n{page:?}");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    let run = hms(&["man", out.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut names = vec![
        "hms-sys.1".to_string(),
        "hms-sys-plugins-list.1".to_string(),
        "hms-sys-plugins-inspect.1".to_string(),
        "hms-sys-plugins-run.1".to_string(),
        "hms-sys-plugins-new.1".to_string(),
    ];
    // The supply-chain subcommands (cmd_plugin_oci.rs).
    names.extend(
        ["push", "pull", "sign", "verify", "save", "load", "keygen"]
            .iter()
            .map(|s| format!("hms-sys-plugins-{s}.1")),
    );
    names.extend(SUBCOMMANDS.iter().map(|s| format!("hms-sys-{s}.1")));
    // The SYS Controller (cmd_controller.rs).
    names.extend(
        [
            "controller",
            "controller-run",
            "controller-crd",
            "controller-manifests",
        ]
        .iter()
        .map(|s| format!("hms-sys-{s}.1")),
    );
    for name in &names {
        let text = std::fs::read_to_string(out.join(name)).unwrap_or_default();
        assert!(text.starts_with(".ie"), "{name}: {text:?}");
        assert!(text.contains(".SH NAME"), "{name}: {text:?}");
    }
    let apply = std::fs::read_to_string(out.join("hms-sys-apply.1")).expect("apply page");
    assert!(apply.contains("kubeconfig"), "{apply}");
    assert!(
        run.stdout
            .contains(&format!("wrote {} man pages", names.len())),
        "{run:?}"
    );
}
