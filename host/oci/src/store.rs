//! The local content-addressed store: an OCI image layout directory (`oci-layout`,
//! `index.json`, `blobs/sha256/<hex>`) that keeps pulled, pushed, signed and loaded plugins and
//! their signatures, so a spec whose plugins are here renders offline.
//!
//! **Invariants:**
//! - A blob is written to a temporary file in `blobs/sha256/`, its sha256 checked against the
//!   digest it is stored under, and only then renamed into place: a blob file's content always
//!   has its name's digest (unless someone edits the store by hand, which readers catch: a
//!   manifest, config or payload is hashed again when read, a component by the plugin runtime).
//! - A manifest is stored only after every blob it names, and `index.json` names a manifest
//!   only after it is stored: an interrupted pull leaves unused blobs at worst, never a plugin
//!   with missing parts. Running the pull again fetches only what is missing.
//! - `index.json` is rewritten whole (temp + rename) under an exclusive lock on `.lock`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::artifact::{Descriptor, MAX_MANIFEST_BYTES, Manifest, OCI_INDEX, OCI_MANIFEST};
use crate::{Error, ErrorKind, Result, digest_hex};

/// The annotation an index entry names its reference with.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The largest blob the store accepts (a plugin component is at most 64 MiB).
pub const MAX_BLOB_BYTES: u64 = 64 << 20;

/// The store, at a directory.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// An OCI image index (`index.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

impl Index {
    /// The manifests each reference names (the last entry of a name wins).
    pub fn refs(&self) -> BTreeMap<&str, &Descriptor> {
        self.manifests
            .iter()
            .filter_map(|d| d.annotations.get(REF_NAME).map(|n| (n.as_str(), d)))
            .collect()
    }
}

impl Store {
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    /// The default place: `$HMS_SYS_STORE_DIR`, else `$XDG_DATA_HOME/hms-sys/store`, else
    /// `$HOME/.local/share/hms-sys/store` (data, not a cache: the compiled-plugin cache can be
    /// rebuilt, pulled plugins cannot be offline). `None` when none is set.
    pub fn from_env() -> Option<Self> {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        var("HMS_SYS_STORE_DIR")
            .or_else(|| var("XDG_DATA_HOME").map(|d| d.join("hms-sys/store")))
            .or_else(|| var("HOME").map(|d| d.join(".local/share/hms-sys/store")))
            .map(Store::at)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    /// Where the blob `digest` is (or would be).
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf> {
        let hex = digest_hex(digest).ok_or_else(|| {
            Error::new(
                ErrorKind::Input,
                format!("`{digest}` is not a sha256 digest"),
            )
        })?;
        Ok(self.blob_dir().join(hex))
    }

    /// Creates the layout (0700) when missing.
    pub fn init(&self) -> Result<()> {
        let blobs = self.blob_dir();
        if !blobs.is_dir() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(&blobs).map_err(|e| {
                Error::io(
                    format!("cannot create the plugin store {}", self.root.display()),
                    e,
                )
            })?;
        }
        let layout = self.root.join("oci-layout");
        if !layout.is_file() {
            write_atomic(&self.root, &layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !self.root.join("index.json").is_file() {
            self.write_index(&Index {
                schema_version: 2,
                media_type: Some(OCI_INDEX.into()),
                manifests: Vec::new(),
            })?;
        }
        Ok(())
    }

    pub fn has(&self, digest: &str) -> bool {
        self.blob_path(digest).is_ok_and(|p| p.is_file())
    }

    /// A blob's bytes, checked against its digest.
    pub fn read_blob(&self, digest: &str, max: u64) -> Result<Vec<u8>> {
        let bytes = self.read_blob_unverified(digest, max)?;
        let actual = crate::digest_of(&bytes);
        if actual != digest {
            return Err(Error::new(
                ErrorKind::Digest,
                format!(
                    "the store's blob {digest} has been altered: its content has digest {actual}"
                ),
            )
            .hint(format!(
                "delete {} and pull or load the plugin again",
                self.blob_path(digest)?.display()
            )));
        }
        Ok(bytes)
    }

    /// A blob's bytes, for a caller that hashes them itself.
    pub fn read_blob_unverified(&self, digest: &str, max: u64) -> Result<Vec<u8>> {
        let (file, path) = self.open_blob(digest)?;
        let mut bytes = Vec::new();
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if bytes.len() as u64 > max {
            return Err(Error::new(
                ErrorKind::Input,
                format!("{} is larger than {max} bytes", path.display()),
            ));
        }
        Ok(bytes)
    }

    /// A blob's file, opened, and its path, for a caller that checks its digest itself (the
    /// plugin runtime hashes a component it reads, or knows the digest of the unchanged file
    /// from its cache; the caller compares it with the manifest's).
    pub fn open_blob(&self, digest: &str) -> Result<(std::fs::File, PathBuf)> {
        let path = self.blob_path(digest)?;
        let file = std::fs::File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::new(
                    ErrorKind::Missing,
                    format!(
                        "{digest} is not in the plugin store {}",
                        self.root.display()
                    ),
                )
            } else {
                Error::io(format!("cannot read {}", path.display()), e)
            }
        })?;
        Ok((file, path))
    }

    /// A manifest from the store, checked against its digest.
    pub fn manifest(&self, digest: &str) -> Result<(Manifest, Vec<u8>)> {
        let bytes = self.read_blob(digest, MAX_MANIFEST_BYTES)?;
        Ok((
            Manifest::parse(&bytes, &format!("manifest {digest}"))?,
            bytes,
        ))
    }

    /// Starts writing the blob `digest` (of at most `max` bytes).
    pub fn writer(&self, digest: &str, max: u64) -> Result<BlobWriter> {
        let path = self.blob_path(digest)?;
        self.init()?;
        let file = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(self.blob_dir())
            .map_err(|e| Error::io(format!("cannot write into {}", self.root.display()), e))?;
        Ok(BlobWriter {
            file,
            hasher: sha2::Sha256::new(),
            written: 0,
            max,
            digest: digest.to_string(),
            path,
        })
    }

    /// Stores `bytes` as the blob `digest` (refused when they do not have that digest).
    pub fn put_blob(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        if self.has(digest) {
            return Ok(());
        }
        let mut w = self.writer(digest, bytes.len() as u64)?;
        w.write_all(bytes)
            .map_err(|e| Error::io(format!("cannot write into {}", self.root.display()), e))?;
        w.finish()
    }

    /// Stores a manifest whose blobs are all stored already, and names it `ref_name` in the
    /// index (when given).
    pub fn put_manifest(&self, bytes: &[u8], ref_name: Option<&str>) -> Result<Descriptor> {
        let manifest = Manifest::parse(bytes, "the manifest")?;
        for d in std::iter::once(&manifest.config).chain(&manifest.layers) {
            if !self.has(&d.digest) {
                return Err(Error::new(
                    ErrorKind::Missing,
                    format!("the manifest names blob {}, which is not stored", d.digest),
                ));
            }
        }
        let mut desc = crate::artifact::Descriptor::of(
            manifest.media_type.as_deref().unwrap_or(OCI_MANIFEST),
            bytes,
        );
        self.put_blob(&desc.digest.clone(), bytes)?;
        if let Some(name) = ref_name {
            desc.annotations.insert(REF_NAME.into(), name.to_string());
            self.add_refs(std::slice::from_ref(&desc))?;
        }
        Ok(desc)
    }

    /// Adds index entries (replacing entries of the same names).
    pub fn add_refs(&self, entries: &[Descriptor]) -> Result<()> {
        self.init()?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join(".lock"))
            .map_err(|e| Error::io("cannot lock the plugin store", e))?;
        lock.lock()
            .map_err(|e| Error::io("cannot lock the plugin store", e))?;
        let mut index = self.index()?;
        for e in entries {
            let name = e.annotations.get(REF_NAME);
            index
                .manifests
                .retain(|d| name.is_none() || d.annotations.get(REF_NAME) != name);
            index.manifests.push(e.clone());
        }
        self.write_index(&index)
    }

    /// The index (empty when the store does not exist yet).
    pub fn index(&self) -> Result<Index> {
        let path = self.root.join("index.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(
                    ErrorKind::Input,
                    format!("{} is not an OCI image index: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
        }
    }

    fn write_index(&self, index: &Index) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(index).unwrap_or_default();
        write_atomic(&self.root, &self.root.join("index.json"), &bytes)
    }

    /// The digest the store's index names `ref_name` with.
    pub fn resolve(&self, ref_name: &str) -> Result<Option<String>> {
        Ok(self.index()?.refs().get(ref_name).map(|d| d.digest.clone()))
    }

    /// The signature manifests stored for the manifest `digest` (cosign's
    /// `…:sha256-<hex>.sig`, from any repository: a mirrored plugin keeps its signatures).
    pub fn signature_manifests(&self, digest: &str) -> Result<Vec<String>> {
        let suffix = format!(":{}", crate::artifact::signature_tag(digest));
        let mut out: Vec<String> = self
            .index()?
            .manifests
            .iter()
            .filter(|d| {
                d.annotations
                    .get(REF_NAME)
                    .is_some_and(|n| n.ends_with(&suffix))
            })
            .map(|d| d.digest.clone())
            .collect();
        out.dedup();
        Ok(out)
    }
}

/// A blob being written: hashed as it goes, renamed into place by [`BlobWriter::finish`] only
/// when its digest is right; dropped unfinished, the temporary file is removed.
pub struct BlobWriter {
    file: tempfile::NamedTempFile,
    hasher: sha2::Sha256,
    written: u64,
    max: u64,
    digest: String,
    path: PathBuf,
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.max {
            return Err(std::io::Error::other(format!(
                "blob {} is larger than {} bytes",
                self.digest, self.max
            )));
        }
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl BlobWriter {
    /// Checks the digest and renames the blob into place.
    pub fn finish(self) -> Result<()> {
        let actual = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        if actual != self.digest {
            return Err(Error::new(
                ErrorKind::Digest,
                format!(
                    "blob {} arrived with digest {actual}: its content does not match; nothing was stored",
                    self.digest
                ),
            )
            .hint("the registry or the file served altered or truncated content; try again, and report it to the registry's operator if it persists"));
        }
        self.file
            .as_file()
            .sync_all()
            .map_err(|e| Error::io("cannot write the plugin store", e))?;
        self.file
            .persist(&self.path)
            .map_err(|e| Error::io(format!("cannot write {}", self.path.display()), e.error))?;
        Ok(())
    }
}

/// Writes `path` (in `dir`) through a temporary file renamed into place.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("cannot write into {}", dir.display()), e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    f.persist(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
}
