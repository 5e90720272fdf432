//! The on-disk cache of compiled plugins.
//!
//! An entry is keyed by the sha256 of the component and the engine's compatibility hash, so a
//! new hms-sys (or other wasmtime settings) never loads an artifact it did not make. Beside the
//! compiled artifact (`.cwasm`) sits the plugin's metadata as this host read and validated it
//! (`.meta.json`, tagged with the host version), so a warm start neither instantiates a plugin
//! to ask for it nor re-checks its section schema against the JSON Schema meta-schema.
//! Entries are written atomically (a temporary file renamed into place) into a directory that
//! only the current user can write; if the directory is not private, the cache is not used.
//!
//! It also remembers the digest of each plugin file it was given by the file's identity
//! (`file-<device>-<inode>.digest`: size, mtime and ctime to the nanosecond, digest), so a warm
//! run with an unchanged file neither reads nor hashes it; see [`crate::PluginSource::from_file`]
//! for what that record is trusted with.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled plugins are kept. `None` disables caching.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
    /// Whether `dir` is private, checked (and the directory created) once per `Cache`.
    private: std::sync::Arc<std::sync::OnceLock<bool>>,
    /// How long a file must have gone unchanged (by its ctime) before its digest is recorded.
    settle: Duration,
}

/// A file changed less than this long ago is hashed on every run until it is older: a change
/// within the same tick of a file system's clock as the one recorded would keep the recorded
/// ctime, and file systems keep ctime to 2 s at the coarsest (FAT).
const SETTLE: Duration = Duration::from_secs(2);

impl Cache {
    /// A cache in `dir`, created with mode 0700 if missing.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Cache {
            dir: Some(dir.into()),
            private: Default::default(),
            settle: SETTLE,
        }
    }

    /// No cache: every load compiles.
    pub fn disabled() -> Self {
        Cache {
            dir: None,
            private: Default::default(),
            settle: SETTLE,
        }
    }

    /// The default place: `$HMS_SYS_CACHE_DIR`, else `$XDG_CACHE_HOME/hms-sys/plugins`,
    /// else `$HOME/.cache/hms-sys/plugins`; disabled when none is set.
    pub fn from_env() -> Self {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dir = var("HMS_SYS_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("hms-sys/plugins")))
            .or_else(|| var("HOME").map(|d| d.join(".cache/hms-sys/plugins")));
        Cache {
            dir,
            private: Default::default(),
            settle: SETTLE,
        }
    }

    /// Records the digest of a file whose ctime is at least `settle` old (2 s by default). For
    /// tests, which cannot age a file's ctime: they wait for the file system clock to tick
    /// past it instead.
    pub fn with_settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The path of `digest`'s entry with extension `ext`, in a private directory; `None` when
    /// the cache is disabled or not private.
    fn entry(&self, engine: &Engine, digest: &str, ext: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let path = dir.join(format!("{digest}-{:016x}.{ext}", h.finish()));
        self.is_private().then_some(path)
    }

    /// The compiled component for `digest`, mapped from a valid cache entry.
    pub(crate) fn lookup(&self, engine: &Engine, digest: &str) -> Option<Component> {
        let path = self
            .entry(engine, digest, "cwasm")
            .filter(|p| p.is_file())?;
        // SAFETY: the file sits in a directory only this user can write, under a name derived
        // from the component digest and this engine's compatibility hash, and only `compile`
        // below writes there, with bytes from `precompile_component`.
        #[allow(unsafe_code)]
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), "recompiling a stale cache entry: {e}");
                None
            }
        }
    }

    /// Compiles `bytes` and stores the artifact under `digest`.
    pub(crate) fn compile(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<Component> {
        let compiled = engine.precompile_component(bytes)?;
        // A new artifact invalidates metadata recorded for an old one.
        if let Some(path) = self.entry(engine, digest, META) {
            let _ = std::fs::remove_file(path);
        }
        if let Some(path) = self.entry(engine, digest, "cwasm") {
            match store(&path, &compiled) {
                Ok(()) => {
                    // Mapped from the file just written, as a warm run maps it: the artifact
                    // (35 MB for a Python component) is not copied again into executable
                    // memory, and its memory image is mapped from the file, not copied.
                    drop(compiled);
                    return self.lookup(engine, digest).ok_or_else(|| {
                        wasmtime::format_err!(
                            "the compiled plugin just written to {} could not be mapped; run again",
                            path.display()
                        )
                    });
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "could not write the plugin cache: {e}")
                }
            }
        }
        // SAFETY: `compiled` was produced just now by this engine's `precompile_component`.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok(component)
    }

    /// The metadata recorded for `digest` by [`Cache::store_metadata`], if any (at most
    /// `cap` bytes; a larger or unreadable file counts as absent).
    pub(crate) fn metadata(&self, engine: &Engine, digest: &str, cap: usize) -> Option<Vec<u8>> {
        read_capped(&self.entry(engine, digest, META)?, cap)
    }

    /// Records `bytes` (the plugin's validated metadata) for `digest`.
    pub(crate) fn store_metadata(&self, engine: &Engine, digest: &str, bytes: &[u8]) {
        keep(self.entry(engine, digest, META), bytes);
    }

    /// Whether `subject` last passed a check on exactly `input` with this host version
    /// (recorded by [`Cache::record_pass`]). Lets a warm run skip a check whose inputs have
    /// not changed, such as validating an unchanged spec section against its plugin's schema.
    pub fn passed(&self, subject: &str, input: &[u8]) -> bool {
        self.pass_entry(subject)
            .and_then(|path| read_capped(&path, 128))
            .is_some_and(|recorded| recorded == fingerprint(input).as_bytes())
    }

    /// Records that `subject` passed on `input`. One small file per subject, holding the
    /// input's fingerprint and replaced each time, so the cache keeps only the latest verdict.
    pub fn record_pass(&self, subject: &str, input: &[u8]) {
        keep(self.pass_entry(subject), fingerprint(input).as_bytes());
    }

    /// The digest recorded for the file with identity `id`, when the record names exactly that
    /// identity (device, inode, size, mtime and ctime).
    pub(crate) fn file_digest(&self, id: &FileId) -> Option<String> {
        let bytes = read_capped(&self.file_entry(id)?, 256)?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (recorded, digest) = text.trim_end().rsplit_once(' ')?;
        let hex = digest.strip_prefix("sha256:")?;
        let well_formed = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (well_formed && recorded == id.record()).then(|| digest.to_string())
    }

    /// Records `digest` for the file with identity `id`, read and hashed just now, unless it
    /// changed less than the settle time ago (see [`SETTLE`]).
    pub(crate) fn record_file_digest(&self, id: &FileId, digest: &str) {
        let settled = SystemTime::now()
            .duration_since(id.ctime())
            .is_ok_and(|age| age >= self.settle);
        if settled {
            keep(
                self.file_entry(id),
                format!("{} {digest}\n", id.record()).as_bytes(),
            );
        }
    }

    /// Drops the record for `id` (its file no longer has the recorded digest).
    pub(crate) fn forget_file_digest(&self, id: &FileId) {
        if let Some(path) = self.file_entry(id) {
            let _ = std::fs::remove_file(path);
        }
    }

    fn file_entry(&self, id: &FileId) -> Option<PathBuf> {
        let path = self
            .dir
            .as_ref()?
            .join(format!("file-{:x}-{:x}.digest", id.dev, id.ino));
        self.is_private().then_some(path)
    }

    fn is_private(&self) -> bool {
        *self
            .private
            .get_or_init(|| private_dir(self.dir.as_deref()))
    }

    fn pass_entry(&self, subject: &str) -> Option<PathBuf> {
        let plain = !subject.is_empty()
            && subject
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let path = self.dir.as_ref()?.join(format!("{subject}.pass"));
        (plain && self.is_private()).then_some(path)
    }
}

/// What identifies a file's content without reading it: the device and inode, the size, and
/// the modification and change times to the nanosecond. Any write changes the ctime to the
/// current time, and no user can set a ctime (only the clock, as root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// The identity of an open file (`None` where there is no inode to go by).
    pub(crate) fn of(meta: &std::fs::Metadata) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId {
                dev: meta.dev(),
                ino: meta.ino(),
                size: meta.size(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// What a record holds of it, besides the device and inode in its name.
    fn record(&self) -> String {
        let (m, mn) = self.mtime;
        let (c, cn) = self.ctime;
        format!("v1 {} {m}.{mn:09} {c}.{cn:09}", self.size)
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    fn ctime(&self) -> SystemTime {
        let (s, ns) = self.ctime;
        let at = Duration::new(s.unsigned_abs(), ns.clamp(0, 999_999_999) as u32);
        if s >= 0 {
            SystemTime::UNIX_EPOCH + at
        } else {
            SystemTime::UNIX_EPOCH
        }
    }
}

/// The extension of a metadata entry.
const META: &str = "meta.json";

/// The host that writes cache entries other than compiled artifacts (metadata, verdicts): an
/// entry written by another version is not used.
pub(crate) const HOST: &str = concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION"));

/// What a verdict records of its input: the sha256 of this host's tag and the input.
fn fingerprint(input: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(HOST.as_bytes());
    h.update([0]);
    h.update(input);
    hex::encode(h.finalize())
}

/// The file at `path` if it holds at most `cap` bytes; a larger or unreadable file is absent.
fn read_capped(path: &Path, cap: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() <= cap).then_some(bytes)
}

/// Stores `bytes` at `path` (when the cache is in use); a failed write only costs the next run
/// its shortcut, so it is a warning.
fn keep(path: Option<PathBuf>, bytes: &[u8]) {
    if let Some(path) = path
        && let Err(e) = store(&path, bytes)
    {
        tracing::warn!(path = %path.display(), "could not write the plugin cache: {e}");
    }
}

/// Creates `dir` (0700) when missing and says whether it is safe to use: a directory owned by
/// this user that nobody else can write.
fn private_dir(dir: Option<&Path>) -> bool {
    let Some(dir) = dir else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        if !dir.exists() {
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {
                let uid = std::fs::metadata("/proc/self")
                    .map(|s| s.uid())
                    .unwrap_or(m.uid());
                let ok = m.uid() == uid && m.mode() & 0o022 == 0;
                if !ok {
                    tracing::warn!(dir = %dir.display(), "plugin cache not used: the directory is writable by others");
                }
                ok
            }
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).is_ok()
    }
}

/// Writes `bytes` to `path` atomically: a private temporary file in the same directory,
/// flushed, then renamed over `path`.
fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
