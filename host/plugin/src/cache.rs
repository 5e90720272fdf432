//! The on-disk cache of compiled plugins.
//!
//! An entry is keyed by the sha256 of the component and the engine's compatibility hash, so a
//! new hms-sys (or other wasmtime settings) never loads an artifact it did not make. Entries
//! are written atomically (a temporary file renamed into place) into a directory that only
//! the current user can write; if the directory is not private, the cache is not used.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled plugins are kept. `None` disables caching.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// A cache in `dir`, created with mode 0700 if missing.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Cache {
            dir: Some(dir.into()),
        }
    }

    /// No cache: every load compiles.
    pub fn disabled() -> Self {
        Cache { dir: None }
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
        Cache { dir }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn entry(&self, engine: &Engine, digest: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Some(dir.join(format!("{digest}-{:016x}.cwasm", h.finish())))
    }

    /// The compiled component for `bytes`: mapped from the cache when a valid entry exists,
    /// else compiled and stored. Returns the component and whether it was compiled now.
    pub(crate) fn component(
        &self,
        engine: &Engine,
        digest: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let entry = self
            .entry(engine, digest)
            .filter(|p| private_dir(p.parent()));
        if let Some(path) = entry.as_ref().filter(|p| p.is_file()) {
            // SAFETY: the file sits in a directory only this user can write, under a name
            // derived from the component digest and this engine's compatibility hash, and
            // only `store` below writes there, with bytes from `precompile_component`.
            #[allow(unsafe_code)]
            match unsafe { Component::deserialize_file(engine, path) } {
                Ok(c) => return Ok((c, false)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "recompiling a stale cache entry: {e}")
                }
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Some(path) = entry
            && let Err(e) = store(&path, &compiled)
        {
            tracing::warn!(path = %path.display(), "could not write the plugin cache: {e}");
        }
        // SAFETY: `compiled` was produced just now by this engine's `precompile_component`.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, true))
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
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".cwasm")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
