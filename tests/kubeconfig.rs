//! Errors that point the way when there is no cluster to talk to: where hms-sys looked, how to
//! point it at a cluster, and (for `apply`) how to write the manifests for GitOps instead.

use std::time::Duration;

use crate::support::{self, example, hms};

/// Every way to point at a cluster, in the hint.
fn names_the_ways(run: &support::Run) {
    for way in ["--kubeconfig", "--context", "KUBECONFIG"] {
        assert!(run.stderr.contains(way), "missing {way:?}\n{run:?}");
    }
}

#[test]
fn apply_without_a_kubeconfig_says_where_it_looked_and_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-kubeconfig").display().to_string();
    let spec = example().display().to_string();
    let cache = support::cache_dir().display().to_string();
    let run = hms(&[
        "apply",
        &spec,
        "--kubeconfig",
        &missing,
        "--cache-dir",
        &cache,
    ]);
    assert_eq!(run.code, 6, "{run:?}");
    let first = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .expect("an error");
    assert_eq!(
        first,
        format!(
            "error[HMS-APPLY]: no kubeconfig: `{missing}` (given with --kubeconfig) does not exist"
        ),
        "{run:?}"
    );
    names_the_ways(&run);
    assert!(run.stderr.contains("--target dir:PATH"), "{run:?}");
    // The path is quoted once (kube's own message quotes it twice: '"/path"').
    assert!(!run.stderr.contains("'\""), "{run:?}");
    assert_eq!(run.stderr.matches(missing.as_str()).count(), 1, "{run:?}");

    // `plan` and `status` say the same, each with what fits it.
    let plan = hms(&[
        "plan",
        &spec,
        "--kubeconfig",
        &missing,
        "--cache-dir",
        &cache,
    ]);
    assert_eq!(plan.code, 1, "{plan:?}");
    names_the_ways(&plan);
    assert!(
        plan.stderr.contains("hms-sys plan SPEC --target dir:PATH"),
        "{plan:?}"
    );
    let status = hms(&["status", "dcaa-secure", "--kubeconfig", &missing]);
    assert_eq!(status.code, 6, "{status:?}");
    names_the_ways(&status);
    assert!(!status.stderr.contains("--target"), "{status:?}");
}

/// Without `--kubeconfig`: the default file (HOME) and the files KUBECONFIG lists are named.
#[test]
fn the_default_places_are_named() {
    let home = tempfile::tempdir().expect("temp dir");
    let home_path = home.path().display().to_string();
    let limit = Duration::from_secs(60);
    let status = |kubeconfig: &str| {
        let args: Vec<String> = ["status", "dcaa-secure"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        let env = [("HOME", home_path.as_str()), ("KUBECONFIG", kubeconfig)];
        support::wait_child(support::spawn_hms_env(&args, &env), limit)
    };
    // KUBECONFIG empty is KUBECONFIG unset, as kubectl reads it: ~/.kube/config.
    let run = status("");
    assert_eq!(run.code, 6, "{run:?}");
    let default = home.path().join(".kube").join("config");
    assert!(
        run.stderr.contains(&format!(
            "no kubeconfig: `{}` (the default; KUBECONFIG is empty) does not exist",
            default.display()
        )),
        "{run:?}"
    );
    names_the_ways(&run);

    let (a, b) = (home.path().join("a.yaml"), home.path().join("b.yaml"));
    let list = std::env::join_paths([&a, &b]).expect("a path list");
    let run = status(list.to_str().expect("utf-8"));
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "none of the files the KUBECONFIG variable lists exists: `{}`, `{}`",
            a.display(),
            b.display()
        )),
        "{run:?}"
    );
}

/// A kubeconfig that is not one: the file is named once, and no line of it is shown (a
/// kubeconfig holds credentials).
#[test]
fn a_broken_kubeconfig_is_named_without_its_contents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "- token: s3cr3t-t0ken\n  : [\n").expect("write");
    let shown = path.display().to_string();
    let run = hms(&["status", "dcaa-secure", "--kubeconfig", &shown]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "error[HMS-APPLY]: cannot load the kubeconfig `{shown}`: "
        )),
        "{run:?}"
    );
    assert!(!run.stderr.contains("s3cr3t"), "{run:?}");
    assert!(!run.stderr.contains("'\""), "{run:?}");
    assert!(run.stderr.contains("hint: fix that kubeconfig"), "{run:?}");
}
