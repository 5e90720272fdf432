//! The compiled-plugin cache: the second run compiles nothing, bad entries are replaced,
//! and a directory others can write is not trusted.

use hms_plugin::{Cache, Limits, Runtime};

fn storage_source() -> hms_plugin::PluginSource {
    hms_sys::bundled::sources()
        .into_iter()
        .find(|s| s.origin.ends_with("storage"))
        .expect("bundled")
}

fn load(dir: &std::path::Path) -> hms_plugin::Plugin {
    let runtime = Runtime::new(Cache::at(dir), Limits::default().stack).expect("runtime");
    runtime
        .load(&storage_source(), Limits::default())
        .expect("loads")
}

/// The one entry of `dir` whose name ends with `suffix`.
fn entry_ending(dir: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    entries(dir)
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("an entry ending in {suffix}"))
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default()
}

#[test]
fn the_second_load_compiles_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    assert!(load(&dir).compiled(), "a cold cache compiles");
    let second = load(&dir);
    assert!(!second.compiled(), "a warm cache maps the artifact");
    assert_eq!(second.metadata().name, "storage-csi");
    let mut names: Vec<String> = entries(&dir)
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        2,
        "the artifact and the metadata, no temporary files left: {names:?}"
    );
    assert!(names[0].ends_with(".cwasm") && names[1].ends_with(".meta.json"));
    let source = storage_source();
    let key = source.digest().trim_start_matches("sha256:");
    for name in &names {
        assert!(name.starts_with(key), "{name} is keyed by the digest");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "only the user can write the cache");
}

#[test]
fn a_corrupt_entry_is_recompiled() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    load(&dir);
    let entry = entry_ending(&dir, ".cwasm");
    std::fs::write(&entry, b"garbage").expect("corrupt it");
    let plugin = load(&dir);
    assert!(plugin.compiled(), "recompiled");
    assert_eq!(plugin.metadata().name, "storage-csi");
    assert!(!load(&dir).compiled(), "and cached again");
}

#[test]
fn a_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    assert!(load(&dir).compiled());
    assert!(load(&dir).compiled(), "never cached");
    assert!(entries(&dir).is_empty());
}

#[test]
fn build_time_digests_match_the_embedded_bytes() {
    for source in hms_sys::bundled::sources() {
        assert_eq!(
            source.digest(),
            hms_plugin::digest_of(source.bytes()),
            "{}",
            source.origin
        );
    }
}

#[test]
fn a_tampered_metadata_entry_is_checked_and_replaced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    load(&dir);
    let entry = entry_ending(&dir, ".meta.json");
    let text = std::fs::read_to_string(&entry).expect("entry");
    assert!(text.contains("\"storage-csi\""), "{text}");
    // A name that is not a DNS label fails the same check fresh metadata gets.
    std::fs::write(&entry, text.replace("\"storage-csi\"", "\"Evil Name\"")).expect("tamper");
    let plugin = load(&dir);
    assert!(!plugin.compiled(), "the artifact is still good");
    assert_eq!(
        plugin.metadata().name,
        "storage-csi",
        "asked the plugin again"
    );
    let rewritten = std::fs::read_to_string(&entry).expect("entry");
    assert!(rewritten.contains("\"storage-csi\""), "{rewritten}");
    // Garbage is ignored too.
    std::fs::write(&entry, b"\xff not json").expect("garbage");
    assert_eq!(load(&dir).metadata().name, "storage-csi");
}
