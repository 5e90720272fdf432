//! Agencies' own plugins kept in their lane: chosen per section in the spec (pinned by
//! digest), composed baselines, the host's capability model (section allow-lists, power kinds
//! only by grant), hardened output judged again, reserved bundled names.

use std::path::{Path, PathBuf};

use crate::support::{Run, hms, hostile_baseline_wasm, hostile_wasm};

/// A spec file in a fresh directory beside copies of the hostile plugins (`hostile.wasm`,
/// `tamper.wasm`), so the spec can name them by relative path.
fn project(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(hostile_wasm(), dir.path().join("hostile.wasm")).expect("copy");
    std::fs::copy(hostile_baseline_wasm(), dir.path().join("tamper.wasm")).expect("copy");
    let path = dir.path().join("spec.yml");
    std::fs::write(&path, spec).expect("write spec");
    (dir, path)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

fn digest(path: &Path) -> String {
    hms_plugin::digest_of(&std::fs::read(path).expect("read"))
}

/// A spec whose workload is served by the hostile plugin in `mode`, with `extra` lines.
fn hostile_spec(mode: &str, extra: &str) -> String {
    format!(
        "name: hostile\nplugins:\n  workload: ./hostile.wasm\nworkload:\n  mode: {mode}\n{extra}"
    )
}

fn has(run: &Run, needles: &[&str]) {
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?}\n{run:?}");
    }
}

#[test]
fn a_cluster_admin_binding_needs_an_explicit_grant() {
    let (_d, spec) = project(&hostile_spec("forbidden-kind", ""));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &[
            "error[HMS-FORBIDDEN-KIND]",
            "ClusterRoleBinding.rbac.authorization.k8s.io",
            "gives power over the cluster",
            "plugin `hostile`",
            "grants: {hostile: [ClusterRoleBinding.rbac.authorization.k8s.io]}",
        ],
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    let grant = "grants:\n  hostile: [ClusterRoleBinding.rbac.authorization.k8s.io]\n";
    let (_d, spec) = project(&hostile_spec("forbidden-kind", grant));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("name: cluster-admin"), "{run:?}");
    // A grant is per plugin: granting another plugin changes nothing.
    let other = "grants:\n  someone-else: [ClusterRoleBinding.rbac.authorization.k8s.io]\n";
    let (_d, spec) = project(&hostile_spec("forbidden-kind", other));
    assert_eq!(hms(&["render", p(&spec)]).code, 4);
}

#[test]
fn webhooks_other_namespaces_and_privileged_labels_are_refused() {
    let (_d, spec) = project(&hostile_spec("webhook", ""));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &[
            "MutatingWebhookConfiguration.admissionregistration.k8s.io",
            "HMS-FORBIDDEN-KIND",
        ],
    );
    // kube-system is never the spec's namespace, whatever is granted.
    let grant = "grants:\n  hostile: [Namespace]\n";
    let (_d, spec) = project(&hostile_spec("kube-system", grant));
    let run = hms(&["render", p(&spec), "--out", p(&spec.with_extension("d"))]);
    assert_eq!(run.code, 4, "{run:?}");
    has(&run, &["HMS-OBJECT-NAMESPACE", "\"kube-system\""]);
    assert!(!spec.with_extension("d").exists(), "nothing is written");
    // Widening pod security of its own namespace needs the grant.
    let (_d, spec) = project(&hostile_spec("privileged-namespace", ""));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &["widens pod security", "grants: {hostile: [Namespace]}"],
    );
    let (_d, spec) = project(&hostile_spec("privileged-namespace", grant));
    assert_eq!(hms(&["render", p(&spec)]).code, 0);
}

#[test]
fn kinds_are_validated_like_names() {
    let (_d, spec) = project(&hostile_spec("bad-kind", ""));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &[
            "HMS-OBJECT-SHAPE",
            "kind \"../../etc/ConfigMap\" is invalid",
        ],
    );
}

#[test]
fn every_bundled_plugin_declares_only_what_its_section_allows() {
    let run = hms(&["plugins", "list", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    for row in rows.as_array().expect("rows") {
        let section = hms_spec::Section::from_key(row["section"].as_str().expect("section"))
            .expect("a known section");
        for k in row["emits"].as_array().expect("emits") {
            let (group, kind) =
                hms_spec::parse_kind_ref(k.as_str().expect("kind")).expect("kind ref");
            assert!(
                hms_sys::kinds::section_allows(section, &group, &kind),
                "{} emits {k} outside the {section} allow-list",
                row["name"]
            );
        }
    }
}

#[test]
fn a_spec_chooses_a_plugin_by_path_pinned_by_digest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = dir.path().join("hostile.wasm");
    std::fs::copy(hostile_wasm(), &hostile).expect("copy");
    let pinned = format!(
        "name: hostile\nplugins:\n  workload: ./hostile.wasm@{}\nworkload:\n  mode: ok\n",
        digest(&hostile)
    );
    let spec = dir.path().join("spec.yml");
    std::fs::write(&spec, &pinned).expect("write");
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("kind: ConfigMap"), "{run:?}");
    let list = hms(&["plugins", "list", p(&spec)]);
    assert_eq!(list.code, 0, "{list:?}");
    assert!(list.stdout.contains("workload hostile"), "{list:?}");
    assert!(
        list.stdout.contains("hostile.wasm (named in the spec)"),
        "{list:?}"
    );
    let json = hms(&["plugins", "list", p(&spec), "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(rows[0]["origin"]["kind"], "spec", "{json:?}");
    assert_eq!(rows[0]["digest"].as_str(), Some(digest(&hostile).as_str()));

    // Another build of the file: refused before it is compiled, located at the pin.
    let wrong = pinned.replace(&digest(&hostile)[7..], &"0".repeat(64));
    std::fs::write(&spec, wrong).expect("write");
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:3:13: error[HMS-PLUGIN-PIN]",
            "but the spec pins sha256:0000",
        ],
    );
}

#[test]
fn bad_plugin_references_are_located_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("adir")).expect("dir");
    // An empty core module: wasm, but not a component.
    std::fs::write(dir.path().join("core.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::copy(hostile_wasm(), dir.path().join("hostile.wasm")).expect("copy");
    std::fs::copy(hostile_baseline_wasm(), dir.path().join("tamper.wasm")).expect("copy");
    let spec = dir.path().join("spec.yml");
    let cases: [(&str, &str); 5] = [
        ("./missing.wasm", "cannot read plugin"),
        ("./adir", "is a directory"),
        ("./core.wasm", "core.wasm"),
        (
            "./tamper.wasm",
            "serves section baseline, but the spec names it for storage",
        ),
        (
            "./hostile.wasm",
            "serves section workload, but the spec names it for storage",
        ),
    ];
    for (reference, needle) in cases {
        let text = format!(
            "name: x\nplugins:\n  storage: {reference}\nstorage:\n  volume: {{name: v, size: 1Gi, encryption: aes256}}\n"
        );
        std::fs::write(&spec, text).expect("write");
        let run = hms(&["validate", p(&spec)]);
        assert!(matches!(run.code, 3 | 4), "{reference}: {run:?}");
        assert!(
            run.stderr.contains(needle),
            "{reference}: missing {needle:?}\n{run:?}"
        );
        assert!(!run.stderr.contains("panicked"), "{run:?}");
    }
    // Two plugins named for one section on the command line.
    let h = dir.path().join("hostile.wasm");
    let run = hms(&["plugins", "list", "--plugin", p(&h), "--plugin", p(&h)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(&run, &["HMS-PLUGIN-TWICE", "section workload"]);
}

#[test]
fn bundled_names_are_reserved() {
    // Tamper with the hostile baseline's metadata so it calls itself `cis-level-2`.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = std::fs::read(hostile_baseline_wasm()).expect("read");
    let mut found = 0;
    while let Some(at) = bytes.windows(11).position(|w| w == b"tamper-base") {
        bytes[at..at + 11].copy_from_slice(b"cis-level-2");
        found += 1;
    }
    assert!(found > 0, "the name is in the component");
    let impostor = dir.path().join("impostor.wasm");
    std::fs::write(&impostor, bytes).expect("write");
    let run = hms(&[
        "validate",
        crate::support::example().to_str().expect("utf-8"),
        "--plugin",
        p(&impostor),
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &[
            "HMS-PLUGIN-NAME",
            "calls itself `cis-level-2`, the name of a bundled plugin",
        ],
    );
    assert!(!run.stdout.contains("passed"), "{run:?}");
}

#[test]
fn composed_baselines_all_run_and_each_finding_names_its_baseline() {
    let example = std::fs::read_to_string(crate::support::example()).expect("example");
    let composed = example.replace("  baseline: cis-level-2\n", "")
        + "baseline:\n  - cis-level-2\n  - name: tamper-base\n    plugin: ./tamper.wasm\n    mode: MODE\n";
    let (_d, spec) = project(&composed.replace("MODE", "ok"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("baselines cis-level-2, tamper-base passed"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("baseline by plugin tamper-base"),
        "{run:?}"
    );

    let (_d, spec) = project(&composed.replace("MODE", "refuse"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 5, "{run:?}");
    has(&run, &["error[TAMPER-REFUSED]", "plugin `tamper-base`"]);

    // Hardening cannot introduce what another baseline refuses.
    let (_d, spec) = project(&composed.replace("MODE", "privileged"));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 5, "{run:?}");
    has(
        &run,
        &[
            "plugin `cis-level-2`",
            "as hardened by tamper-base",
            "privileged",
        ],
    );
    assert!(run.stdout.is_empty(), "{run:?}");

    let (_d, spec) = project(&composed.replace("MODE", "rename"));
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(&run, &["HMS-HARDENED", "changed the identity"]);

    // Each baseline's parameters are judged by its own schema, located in the spec.
    let (_d, spec) = project(&composed.replace("mode: MODE", "mdoe: ok"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:22:5: error[HMS-SECTION-SCHEMA]: unknown field `mdoe` in `baseline.1`",
            "did you mean `mode`?",
        ],
    );
    let (_d, spec) = project(&composed.replace("MODE", "privilegd"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "`baseline.1.mode` cannot be `privilegd`",
            "did you mean `privileged`?",
        ],
    );
}

#[test]
fn a_baseline_given_with_plugin_is_composed_not_substituted() {
    let run = hms(&[
        "validate",
        crate::support::example().to_str().expect("utf-8"),
        "--plugin",
        p(&hostile_baseline_wasm()),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("baselines cis-level-2, tamper-base passed"),
        "{run:?}"
    );
}

#[test]
fn the_bundled_baseline_parameters_are_written_in_the_spec() {
    let example = std::fs::read_to_string(crate::support::example()).expect("example");
    let base = example.replace("  baseline: cis-level-2\n", "");
    let (_d, spec) = project(&format!(
        "{base}baseline: {{name: cis-level-2, profile: baseline, podSecurityOnly: true}}\n"
    ));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    let (_d, spec) = project(&format!(
        "{base}baseline: {{name: cis-level-2, profle: baseline}}\n"
    ));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:18:31: error[HMS-SECTION-SCHEMA]: unknown field `profle` in `baseline`",
            "did you mean `profile`?",
        ],
    );
    let (_d, spec) = project(&format!("{base}baseline: cis-level2\n"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:18:11: error[HMS-NO-PLUGIN]: there is no baseline `cis-level2`",
            "did you mean `cis-level-2`?",
        ],
    );
}

#[test]
fn the_node_pool_plugin_owns_the_list_of_runtimes() {
    let example = std::fs::read_to_string(crate::support::example()).expect("example");
    let (_d, spec) = project(&example.replace("runtime: fips-ubuntu-22.04", "runtime: windows"));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:4:12: error[HMS-SECTION-SCHEMA]: `nodePool.runtime` cannot be `windows`",
            "plugin `nodepool`",
            "hint: valid values: `fips-ubuntu-22.04`",
        ],
    );
    let (_d, spec) =
        project(&example.replace("runtime: fips-ubuntu-22.04", "runtime: fips-ubuntu-2204"));
    let run = hms(&["validate", p(&spec)]);
    has(&run, &["did you mean `fips-ubuntu-22.04`?"]);
}

#[test]
fn two_different_plugins_may_not_share_a_name() {
    // Another build of `hostile`: same name, different bytes (grants follow the name).
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = std::fs::read(hostile_wasm()).expect("read");
    let at = bytes
        .windows(10)
        .position(|w| w == b"tests only")
        .expect("the description is in the component");
    bytes[at..at + 10].copy_from_slice(b"tests-only");
    let twin = dir.path().join("twin.wasm");
    std::fs::write(&twin, bytes).expect("write");
    let (_d, spec) = project(&hostile_spec("ok", ""));
    let run = hms(&["render", p(&spec), "--plugin", p(&twin)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(&run, &["HMS-PLUGIN-NAME", "both call themselves `hostile`"]);
}

#[test]
fn a_baseline_entry_naming_a_bundled_plugin_must_be_that_baseline() {
    let example = std::fs::read_to_string(crate::support::example()).expect("example");
    let base = example.replace("  baseline: cis-level-2\n", "");
    let (_d, spec) = project(&format!(
        "{base}baseline:\n  - name: cis-level-2\n    plugin: workload\n"
    ));
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    has(
        &run,
        &[
            "spec.yml:20:13: error[HMS-PLUGIN-NAME]",
            "names the bundled plugin `workload`, which is not that baseline",
        ],
    );
}

#[test]
fn an_object_of_unknown_scope_without_a_namespace_needs_a_grant() {
    use hms_sys::checks::{Caps, check_object};
    let caps = Caps {
        plugin: "np".into(),
        section: hms_spec::Section::NodePool,
        declared: vec![(
            "infrastructure.cluster.x-k8s.io".into(),
            "AWSClusterRoleIdentity".into(),
        )],
        granted: Vec::new(),
    };
    let identity = serde_json::json!({
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSClusterRoleIdentity",
        "metadata": {"name": "everyone"}, "spec": {"allowedNamespaces": {}},
    });
    let problems = check_object(&caps, 0, &identity, "dcaa").expect_err("cluster-wide");
    assert!(
        problems
            .iter()
            .any(|p| p.code == "HMS-FORBIDDEN-KIND" && p.message.contains("may be cluster-wide")),
        "{problems:?}"
    );
    // In the spec's namespace the same allow-listed kind is fine; a grant allows it cluster-wide.
    let mut namespaced = identity.clone();
    namespaced["metadata"]["namespace"] = "dcaa".into();
    assert!(check_object(&caps, 0, &namespaced, "dcaa").is_ok());
    let granted = Caps {
        granted: caps.declared.clone(),
        ..caps.clone()
    };
    assert!(check_object(&granted, 0, &identity, "dcaa").is_ok());
}
