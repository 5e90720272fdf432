//! `hms-sys plugin new` (issue 9 item 2) and the Python example baseline (item 4): projects
//! scaffolded in each language build as written and run through the host; the Python example
//! baseline composes with `cis-level-2` on the example spec and gates it. Python components are
//! built here with componentize-py (on PATH: the README's test command installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hms_sys::cmd_plugin_new::{COMPONENTIZE_PY, newest_wit_version};

use crate::support::{Run, example_with, hms, root, spec_file};

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// `componentize-py ARGS` in `dir`; fails the test, saying how to install it, when it is not
/// on PATH.
fn componentize_py(dir: &Path, args: &[&str]) {
    let out = Command::new("componentize-py")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run componentize-py ({e}): the Python plugin tests build with it; \
                 install it with `pip install componentize-py=={COMPONENTIZE_PY}` (README's test command)"
            )
        });
    assert!(
        out.status.success(),
        "componentize-py {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cargo ARGS` in `dir`, with a target directory of its own under the workspace's target/.
fn cargo(dir: &Path, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root().join("target/scaffold"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "cargo {args:?} in {}: {text}",
        dir.display()
    );
    text
}

/// The Python example baseline (examples/plugins/python-baseline), built once per test run
/// against the SDK's newest WIT, in place (the one copy of the contract).
fn python_baseline_wasm() -> &'static Path {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_dir, wasm) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let wasm = dir.path().join("resource-limits.wasm");
        let wit = root().join(format!("plugins/sdk/wit/since_v{}", newest_wit_version()));
        let app = root().join("examples/plugins/python-baseline");
        componentize_py(
            dir.path(),
            &[
                "-d",
                p(&wit),
                "-w",
                "baseline-plugin",
                "componentize",
                "-p",
                p(&app),
                "app",
                "-o",
                p(&wasm),
            ],
        );
        (dir, wasm)
    });
    wasm
}

/// The example spec with its baseline replaced by `cis-level-2` and the Python baseline
/// (`extra` lines added to its entry), the plugin beside the spec as `./plugins/...`.
fn composed_spec(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let text = example_with("  baseline: cis-level-2\n", "")
        + "baseline:\n  - cis-level-2\n  - name: resource-limits\n    plugin: ./plugins/resource-limits.wasm\n"
        + extra;
    let (dir, spec) = spec_file(&text);
    std::fs::create_dir(dir.path().join("plugins")).expect("plugins dir");
    std::fs::copy(
        python_baseline_wasm(),
        dir.path().join("plugins/resource-limits.wasm"),
    )
    .expect("copy");
    (dir, spec)
}

#[test]
fn the_python_example_baseline_composes_with_cis_level_2_on_the_example() {
    let (_d, spec) = composed_spec("");
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("baselines cis-level-2, resource-limits passed"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("baseline by plugin resource-limits 0.1.0 from"),
        "{run:?}"
    );
    // It gates: the workload's 256Mi memory limit is above a 128Mi maximum (exit 5).
    let (_d, tight) = composed_spec("    maxMemory: 128Mi\n");
    let run = hms(&["render", p(&tight)]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing rendered: {run:?}");
    assert!(run.stderr.contains("error[LIMITS-MEMORY-MAX]"), "{run:?}");
    assert!(run.stderr.contains("plugin `resource-limits`"), "{run:?}");
    // Its parameters are judged by the schema it publishes.
    let (_d, typo) = composed_spec("    maxMemroy: 1Gi\n");
    let run = hms(&["validate", p(&typo)]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("maxMemory"), "did you mean: {run:?}");
}

#[test]
fn the_componentize_py_pin_is_the_one_the_readme_and_ci_install() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    let pin = format!("componentize-py=={COMPONENTIZE_PY}");
    let command = |text: &str| -> String {
        text.lines()
            .find(|l| l.starts_with("rustup ") && l.ends_with("cargo test --release --workspace"))
            .expect("the test command")
            .to_string()
    };
    assert_eq!(command(&readme), command(&ci), "README and .ci/run agree");
    assert!(command(&readme).contains(&pin), "README installs {pin}");
}

fn scaffold(dir: &Path, args: &[&str]) -> Run {
    let mut argv = vec!["plugin", "new"];
    argv.extend(args);
    argv.extend(["--dir", p(dir)]);
    hms(&argv)
}

#[test]
fn a_scaffolded_python_section_plugin_builds_and_renders_through_the_host() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("py-store");
    let run = scaffold(
        &project,
        &["--lang", "python", "py-store", "--section", "storage"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // The contract it is built against is the SDK's newest WIT, as this binary carries it.
    let wit = std::fs::read_to_string(project.join("wit/hms-sys.wit")).expect("wit");
    let newest = root().join(format!(
        "plugins/sdk/wit/since_v{}/hms-sys.wit",
        newest_wit_version()
    ));
    assert_eq!(wit, std::fs::read_to_string(newest).expect("SDK WIT"));
    // The README's build command, as written.
    let readme = std::fs::read_to_string(project.join("README.md")).expect("README");
    let build = readme
        .lines()
        .find(|l| l.starts_with("componentize-py "))
        .expect("a build command");
    let args: Vec<&str> = build.split_whitespace().skip(1).collect();
    componentize_py(&project, &args);
    let wasm = project.join("py-store.wasm");
    let inspect = hms(&["plugins", "inspect", p(&wasm)]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert!(inspect.stdout.contains("section-plugin"), "{inspect:?}");
    let run = hms(&[
        "plugins",
        "run",
        p(&wasm),
        "--section",
        p(&project.join("section.yml")),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let pvc = &list["items"][0];
    assert_eq!(pvc["kind"], "PersistentVolumeClaim", "{run:?}");
    assert_eq!(pvc["metadata"]["name"], "example");
    assert_eq!(
        pvc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "hms-sys"
    );
}

/// The YAML the "Compose" step of examples/README.md appends to the spec.
fn readme_compose_block(readme: &str) -> String {
    let start = readme
        .find("cat >> spec.yml <<'YAML'\n")
        .expect("the compose step")
        + "cat >> spec.yml <<'YAML'\n".len();
    let end = start + readme[start..].find("YAML\n").expect("its end");
    readme[start..end].to_string()
}

/// examples/README.md, "From an empty directory": scaffold a Rust and a Python baseline, test
/// the Rust one natively, build both, inspect, run one beside cis-level-2, compose both in the
/// spec `init` writes, and gate an apply.
#[test]
fn the_examples_readme_path_from_an_empty_directory_to_two_baselines() {
    let readme = std::fs::read_to_string(root().join("examples/README.md")).expect("README");
    for command in [
        "hms-sys init ",
        "hms-sys plugin new --lang rust no-secrets --section baseline --sdk ",
        "(cd no-secrets && cargo test && cargo wasm)",
        "hms-sys plugin new --lang python py-rules --section baseline\n",
        "(cd py-rules && componentize-py -d wit -w baseline-plugin componentize app -o py-rules.wasm)",
        "hms-sys validate spec.yml --plugin plugins/py-rules.wasm",
        "hms-sys apply spec.yml --target dir:out ",
    ] {
        assert!(
            readme.contains(command),
            "examples/README.md runs {command:?}"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name);
    assert_eq!(hms(&["init", p(dir.path())]).code, 0);
    std::fs::create_dir(at("plugins")).expect("plugins");

    // Rust: scaffold, test natively, build.
    let sdk = root().join("plugins/sdk");
    let run = scaffold(
        &at("no-secrets"),
        &[
            "--lang",
            "rust",
            "no-secrets",
            "--section",
            "baseline",
            "--sdk",
            p(&sdk),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let tested = cargo(&at("no-secrets"), &["test", "--quiet"]);
    assert!(tested.contains("test result: ok. 1 passed"), "{tested}");
    cargo(&at("no-secrets"), &["wasm", "--quiet"]);
    let built = root().join("target/scaffold/wasm32-wasip2/release/no_secrets.wasm");
    std::fs::copy(built, at("plugins/no-secrets.wasm")).expect("copy");

    // Python: scaffold, build with the command its README gives.
    let run = scaffold(
        &at("py-rules"),
        &["--lang", "python", "py-rules", "--section", "baseline"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let own = std::fs::read_to_string(at("py-rules/README.md")).expect("README");
    let build = own
        .lines()
        .find(|l| l.starts_with("componentize-py "))
        .expect("a build command");
    let args: Vec<&str> = build.split_whitespace().skip(1).collect();
    componentize_py(&at("py-rules"), &args);
    std::fs::copy(at("py-rules/py-rules.wasm"), at("plugins/py-rules.wasm")).expect("copy");

    // Inspect, and one run beside cis-level-2.
    for (file, world) in [
        ("no-secrets", "baseline-plugin"),
        ("py-rules", "baseline-plugin"),
    ] {
        let inspect = hms(&[
            "plugins",
            "inspect",
            p(&at(&format!("plugins/{file}.wasm"))),
        ]);
        assert_eq!(inspect.code, 0, "{inspect:?}");
        assert!(inspect.stdout.contains(world), "{inspect:?}");
    }
    let spec = at("spec.yml");
    let run = hms(&[
        "validate",
        p(&spec),
        "--plugin",
        p(&at("plugins/py-rules.wasm")),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("py-rules"), "{run:?}");

    // Compose both with cis-level-2, as the README does.
    let text = std::fs::read_to_string(&spec).expect("spec");
    assert_eq!(text.matches("\n  baseline: cis-level-2").count(), 1);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("  baseline: cis-level-2"))
        .collect();
    let composed = kept.join("\n") + "\n" + &readme_compose_block(&readme);
    std::fs::write(&spec, &composed).expect("write");
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 5, "ServiceAccount is forbidden: {run:?}");
    assert!(
        run.stderr.contains("error[PY-RULES-FORBIDDEN-KIND]"),
        "{run:?}"
    );

    // Gate an apply: refused, nothing written; allowed once the rule is relaxed.
    let out = at("out");
    let target = format!("dir:{}", out.display());
    let cache = crate::support::cache_dir().display().to_string();
    let apply = [p(&spec), "--target", &target, "--cache-dir", &cache];
    let run = hms(&[&["apply"][..], &apply].concat());
    assert_eq!(run.code, 5, "{run:?}");
    assert!(!out.exists() || std::fs::read_dir(&out).expect("out").next().is_none());
    std::fs::write(
        &spec,
        composed.replace(
            "forbiddenKinds: [Secret, ServiceAccount]",
            "forbiddenKinds: [Secret]",
        ),
    )
    .expect("write");
    let run = hms(&[&["apply"][..], &apply].concat());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(out.join("kustomization.yaml").is_file(), "{run:?}");
}

#[test]
fn plugin_new_refuses_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("x");
    let run = scaffold(
        &target,
        &["--lang", "rust", "Bad_Name", "--section", "storage"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("error[HMS-PLUGIN-NEW]"), "{run:?}");
    assert!(run.stderr.contains("DNS-1123"), "{run:?}");
    assert!(!target.exists());
    let run = scaffold(
        &target,
        &[
            "--lang",
            "rust",
            "ok",
            "--section",
            "storage",
            "--sdk",
            p(dir.path()),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("not the plugin SDK"), "{run:?}");
    assert!(!target.exists());
    let run = scaffold(
        &target,
        &[
            "--lang",
            "python",
            "ok",
            "--section",
            "storage",
            "--sdk",
            p(dir.path()),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    std::fs::create_dir(&target).expect("dir");
    std::fs::write(target.join("mine.txt"), "keep").expect("file");
    let run = scaffold(
        &target,
        &["--lang", "python", "ok", "--section", "baseline"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("is not empty"), "{run:?}");
    assert_eq!(std::fs::read_dir(&target).expect("dir").count(), 1);
}
