//! `hms-sys plugins inspect` and `hms-sys plugins run`: a plugin author's view of a component
//! and the inner loop of running it on one section file.

use serde_json::Value;

use crate::support::{hms, hostile_wasm, netapp_trident_wasm};

fn p(path: &std::path::Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A section file in a fresh temporary directory.
fn section_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("section.yml");
    std::fs::write(&path, text).expect("write section");
    (dir, path)
}

#[test]
fn inspect_shows_what_a_bundled_plugin_is_and_may_do() {
    let run = hms(&["plugins", "inspect", "storage-csi"]);
    assert_eq!(run.code, 0, "{run:?}");
    for needle in [
        "name         storage-csi",
        "world        section-plugin (hms:sys@0.2.0)",
        "section      storage",
        "from         bundled",
        "digest       sha256:",
        "emits        StorageClass.storage.k8s.io, PersistentVolumeClaim",
        "may emit     what it declares, within what the host allows for `storage`: ",
        "wasi:cli/environment@0.2",
        "\"title\": \"storage\"",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?}\n{run:?}");
    }
    let json = hms(&["plugins", "inspect", "cis-level-2", "-o", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["world"], "baseline-plugin");
    assert_eq!(v["witVersion"], "0.2.0");
    assert!(v["size"].as_u64().is_some_and(|s| s > 10_000), "{v}");
    let imports: Vec<&str> = v["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(imports.contains(&"hms:sys/types@0.2.0"), "{imports:?}");
    assert!(
        imports
            .iter()
            .all(|i| i.starts_with("wasi:") || i.starts_with("hms:sys/"))
    );
    assert_eq!(v["schema"]["title"], "cis-level-2 baseline", "{v}");
}

#[test]
fn inspect_reads_a_component_file() {
    let file = netapp_trident_wasm();
    let json = hms(&["plugins", "inspect", p(&file), "-o", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let v: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["name"], "netapp-trident");
    assert_eq!(v["origin"]["kind"], "flag");
    let size = std::fs::metadata(&file).expect("file").len();
    assert_eq!(v["size"].as_u64(), Some(size));
    assert!(
        v["schema"]["properties"]["volume"]["properties"]["svm"].is_object(),
        "{v}"
    );
}

#[test]
fn inspect_says_what_it_could_not_find() {
    let run = hms(&["plugins", "inspect", "storage-cs"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no plugin `storage-cs`"), "{run:?}");
    assert!(
        run.stderr.contains("did you mean `storage-csi`?"),
        "{run:?}"
    );
    let run = hms(&["plugins", "inspect", "./missing.wasm"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("does not exist"), "{run:?}");
}

#[test]
fn run_renders_one_section_file_with_the_plugins_defaults() {
    let (_d, file) = section_file(
        "volume:\n  name: data\n  size: 10Gi\n  encryption: aes256\n  provider: aws-ebs\n",
    );
    let run = hms(&[
        "plugins",
        "run",
        "storage-csi",
        "--section",
        p(&file),
        "--name",
        "slice",
        "--namespace",
        "team-a",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    for needle in [
        "kind: StorageClass",
        "provisioner: ebs.csi.aws.com",
        "kind: PersistentVolumeClaim",
        "namespace: team-a",
        "hms.io/spec: slice",
        "- ReadWriteOnce",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?}\n{run:?}");
    }
    let (_d, own) = section_file("volume:\n  name: data\n  size: 1Ti\n  tier: gold\n  svm: svm1\n");
    let run = hms(&[
        "plugins",
        "run",
        p(&netapp_trident_wasm()),
        "--section",
        p(&own),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: Value = serde_json::from_str(&run.stdout).expect("json list");
    assert_eq!(list["kind"], "List");
}

#[test]
fn run_reports_located_errors_and_the_hosts_refusals() {
    let (_d, file) = section_file("volume:\n  name: data\n  size: 10GB\n  encryption: aes256\n");
    let run = hms(&["plugins", "run", "storage-csi", "--section", p(&file)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = format!(
        "{}:3:9: error[HMS-SECTION-SCHEMA]: `storage.volume.size` `10GB`",
        p(&file)
    );
    assert!(run.stderr.contains(&at), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    let (_d, file) = section_file(
        "volume:\n  name: data\n  size: 1Gi\n  encryption: aes256\n  provider: aws-efs\n",
    );
    let run = hms(&["plugins", "run", "storage-csi", "--section", p(&file)]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(":5:13: error[STORAGE-EFS-FILE-SYSTEM]"),
        "{run:?}"
    );
    // What the host would refuse in a render, it refuses here, and says which grant allows it.
    let (_d, file) = section_file("mode: forbidden-kind\n");
    let run = hms(&["plugins", "run", p(&hostile_wasm()), "--section", p(&file)]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("ClusterRoleBinding"), "{run:?}");
    assert!(run.stderr.contains("grants:"), "{run:?}");
    let run = hms(&["plugins", "run", "cis-level-2", "--section", p(&file)]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("is a baseline plugin"), "{run:?}");
}

/// The SDK's export macros each generate their own world only (from the SDK's newest WIT): a
/// section plugin's component exports `hms:sys/section@0.2.0` and `hms:sys/status@0.2.0` and
/// nothing else, a baseline's `hms:sys/baseline@0.2.0`, the bundled plugins and the examples
/// alike.
#[test]
fn every_plugin_built_with_the_sdk_exports_its_own_world_only() {
    let engine = wasmtime::Engine::default();
    let mut plugins: Vec<(String, Vec<u8>)> = hms_sys::bundled::BUNDLED
        .iter()
        .map(|(name, bytes, _)| (name.to_string(), bytes.to_vec()))
        .collect();
    for path in [
        env!("NETAPP_TRIDENT_WASM"),
        env!("AGENCY_RULES_WASM"),
        env!("HOSTILE_BASELINE_WASM"),
    ] {
        plugins.push((
            path.to_string(),
            std::fs::read(path).expect("built by build.rs"),
        ));
    }
    let baselines = ["baseline-cis", "agency_rules", "hostile_baseline"];
    for (name, bytes) in plugins {
        let component = wasmtime::component::Component::new(&engine, &bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let exports: Vec<String> = component
            .component_type()
            .exports(&engine)
            .map(|(export, _)| export.to_string())
            .collect();
        let want: &[&str] = if baselines.iter().any(|b| name.contains(b)) {
            &["hms:sys/baseline@0.2.0"]
        } else {
            &["hms:sys/section@0.2.0", "hms:sys/status@0.2.0"]
        };
        assert_eq!(exports, want, "{name}");
    }
}
