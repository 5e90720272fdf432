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
            hms_plugin::digest_of(source.bytes().expect("embedded")),
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

// The digest of a plugin file, remembered by the file's identity (PluginSource::from_file).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use hms_plugin::PluginSource;

/// A cache that records the digest of any file, however young: a test cannot age a file's
/// ctime by the default settle time (2 s) without waiting for it.
fn settled_cache(dir: &Path) -> Cache {
    Cache::at(dir).with_settle(Duration::ZERO)
}

fn open(path: &Path, cache: &Cache) -> PluginSource {
    let (file, _) = hms_spec::open_regular_file(path, 64 << 20).expect("open");
    PluginSource::from_file(path.display().to_string(), file, 64 << 20, cache).expect("source")
}

fn ctime(path: &Path) -> (i64, i64) {
    let m = std::fs::metadata(path).expect("metadata");
    (m.ctime(), m.ctime_nsec())
}

/// Waits until a change made now gets a ctime later than `path`'s: two changes within one tick
/// of a file system's clock may share a ctime (what the settle time guards against).
fn wait_for_the_clock_past(path: &Path) {
    let then = ctime(path);
    let probe = path.with_extension("probe");
    loop {
        std::fs::write(&probe, b"tick").expect("probe");
        if ctime(&probe) > then {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Rewrites `path` in place (same inode, same size) with `bytes`, and puts its mtime back.
fn rewrite_in_place(path: &Path, bytes: &[u8]) {
    let before = std::fs::metadata(path).expect("metadata");
    assert_eq!(before.len(), bytes.len() as u64, "same size");
    wait_for_the_clock_past(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for writing");
    use std::io::Write;
    file.write_all(bytes).expect("rewrite");
    file.set_modified(before.modified().expect("mtime"))
        .expect("restore the mtime");
    drop(file);
    let after = std::fs::metadata(path).expect("metadata");
    assert_eq!(after.ino(), before.ino(), "in place");
    assert_eq!(after.len(), before.len());
    assert_eq!(
        (after.mtime(), after.mtime_nsec()),
        (before.mtime(), before.mtime_nsec()),
        "the mtime restored"
    );
}

fn digest_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    entries(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".digest"))
        .collect()
}

#[test]
fn an_unchanged_file_is_neither_read_nor_hashed_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    let file = tmp.path().join("storage.wasm");
    std::fs::write(&file, storage_source().bytes().expect("bytes")).expect("write");
    let runtime = Runtime::new(settled_cache(&dir), Limits::default().stack).expect("runtime");

    let first = open(&file, runtime.cache());
    assert!(first.was_read(), "nothing recorded yet: read and hashed");
    assert_eq!(first.digest(), storage_source().digest());
    assert!(
        runtime
            .load(&first, Limits::default())
            .expect("loads")
            .compiled()
    );
    assert_eq!(
        digest_entries(&dir).len(),
        1,
        "the file's digest is recorded"
    );

    let second = open(&file, runtime.cache());
    assert_eq!(second.digest(), storage_source().digest());
    assert!(!second.was_read(), "the recorded digest is used");
    let plugin = runtime.load(&second, Limits::default()).expect("loads");
    assert!(!plugin.compiled(), "the artifact is mapped from the cache");
    assert_eq!(plugin.metadata().name, "storage-csi");
    assert!(!second.was_read(), "and the file is still unread");

    // Without the artifact the file must be compiled: then it is read, and hashed again.
    std::fs::remove_file(entry_ending(&dir, ".cwasm")).expect("drop the artifact");
    let third = open(&file, runtime.cache());
    assert!(!third.was_read());
    assert!(
        runtime
            .load(&third, Limits::default())
            .expect("loads")
            .compiled()
    );
    assert!(third.was_read());
}

#[test]
fn a_young_file_is_hashed_until_it_settles() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    let file = tmp.path().join("storage.wasm");
    std::fs::write(&file, storage_source().bytes().expect("bytes")).expect("write");
    // The default settle time: a file changed in the last 2 s is not recorded.
    let cache = Cache::at(&dir);
    assert!(open(&file, &cache).was_read());
    assert!(open(&file, &cache).was_read(), "read again");
    assert!(digest_entries(&dir).is_empty(), "nothing recorded");
}

#[test]
fn a_file_changed_in_place_with_its_size_and_mtime_restored_is_read_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    let file = tmp.path().join("plugin.wasm");
    let a = vec![b'a'; 4096];
    let mut b = a.clone();
    b[100] = b'b';
    std::fs::write(&file, &a).expect("write");
    let cache = settled_cache(&dir);
    let first = open(&file, &cache);
    assert_eq!(first.digest(), hms_plugin::digest_of(&a));
    assert!(!open(&file, &cache).was_read(), "recorded");

    // Same inode, same size, same mtime: only the ctime tells.
    rewrite_in_place(&file, &b);
    let after = open(&file, &cache);
    assert!(after.was_read(), "the ctime changed: read again");
    assert_eq!(after.digest(), hms_plugin::digest_of(&b));
    let again = open(&file, &cache);
    assert!(!again.was_read(), "and the new digest recorded");
    assert_eq!(again.digest(), hms_plugin::digest_of(&b));

    // A new file under the old name (another inode): read.
    let moved = tmp.path().join("new.wasm");
    std::fs::write(&moved, &a).expect("write");
    std::fs::rename(&moved, &file).expect("replace");
    let replaced = open(&file, &cache);
    assert!(replaced.was_read());
    assert_eq!(replaced.digest(), hms_plugin::digest_of(&a));
}

/// What the record is trusted with: a record written into the cache by someone else (who can
/// write the cache directory) that names the wrong digest for a file cannot make the file's
/// own bytes run under that digest: bytes that are read are hashed, and must have it.
#[test]
fn a_forged_record_cannot_make_other_bytes_pass_for_its_digest() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    let file = tmp.path().join("plugin.wasm");
    std::fs::write(&file, storage_source().bytes().expect("bytes")).expect("write");
    let runtime = Runtime::new(settled_cache(&dir), Limits::default().stack).expect("runtime");
    assert!(open(&file, runtime.cache()).was_read());
    let record = digest_entries(&dir).pop().expect("a record");
    let text = std::fs::read_to_string(&record).expect("record");
    let real = storage_source().digest().to_string();
    let forged = format!("sha256:{}", "ab".repeat(32));
    std::fs::write(&record, text.replace(&real, &forged)).expect("forge");

    let source = open(&file, runtime.cache());
    assert_eq!(
        source.digest(),
        forged,
        "the record is believed while the file is unchanged"
    );
    // Nothing is compiled for the forged digest: loading reads the file and refuses it.
    let err = runtime
        .load(&source, Limits::default())
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains(&format!("it has digest {real}, not the {forged}")),
        "{text}"
    );
    assert!(digest_entries(&dir).is_empty(), "and the record is dropped");
    assert_eq!(open(&file, runtime.cache()).digest(), real);
}

/// A pinned plugin after warm runs: a file changed in place (its size and mtime restored) is
/// refused at its pin, through the host's own loading of a spec's plugins.
#[test]
fn a_pin_is_still_checked_after_warm_runs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("cache");
    let file = tmp.path().join("rules.wasm");
    std::fs::copy(crate::support::agency_rules_wasm(), &file).expect("copy");
    let bytes = std::fs::read(&file).expect("read");
    let pin = hms_plugin::digest_of(&bytes);
    let text = crate::support::example_with("  baseline: cis-level-2\n", "")
        + &format!(
            "baseline:\n  - cis-level-2\n  - {{name: agency-rules, plugin: ./rules.wasm@{pin}}}\n"
        );
    let spec = tmp.path().join("spec.yml");
    std::fs::write(&spec, text).expect("spec");
    let doc = hms_spec::load(&spec).expect("spec loads");
    let runtime = Runtime::new(settled_cache(&dir), Limits::default().stack).expect("runtime");
    let req = hms_sys::plugins::Request {
        doc: Some(&doc),
        base: tmp.path(),
        flags: &[],
        store: None,
        policy: None,
    };
    let limits = hms_sys::plugins::LimitTable::default();
    for _ in 0..2 {
        let set = hms_sys::plugins::Plugins::load(&runtime, &req, &limits).expect("loads");
        assert!(set.baseline("agency-rules").is_some());
    }
    assert!(
        !digest_entries(&dir).is_empty(),
        "warm: the file's digest is recorded"
    );

    let mut changed = bytes.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    rewrite_in_place(&file, &changed);
    let problems = match hms_sys::plugins::Plugins::load(&runtime, &req, &limits) {
        Ok(_) => panic!("a changed file passed its pin"),
        Err(problems) => problems,
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, "HMS-PLUGIN-PIN", "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains(&hms_plugin::digest_of(&changed)),
        "{problems:?}"
    );
}
