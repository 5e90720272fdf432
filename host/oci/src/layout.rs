//! `plugin save` / `plugin load`: plugins and their signatures as an OCI image layout tarball
//! (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), the form `skopeo copy oci-archive:` and
//! `oras` read too.
//!
//! Loading trusts nothing in the tarball: only those three kinds of entry are read (no links,
//! no other paths), each blob is checked against its digest before it enters the store, and a
//! manifest enters only after the blobs it names.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use crate::artifact::{Descriptor, MAX_MANIFEST_BYTES, Manifest, signature_tag};
use crate::store::{Index, MAX_BLOB_BYTES, REF_NAME, Store};
use crate::{Error, ErrorKind, Result, digest_hex};

/// Writes `refs` (index entries of the store: reference names) and the signatures stored for
/// each into a tarball at `out` (written atomically).
pub fn save(store: &Store, entries: &[Descriptor], out: &Path) -> Result<usize> {
    let index = store.index()?;
    let mut chosen: Vec<Descriptor> = Vec::new();
    for e in entries {
        chosen.push(e.clone());
        let suffix = format!(":{}", signature_tag(&e.digest));
        chosen.extend(
            index
                .manifests
                .iter()
                .filter(|d| {
                    d.annotations
                        .get(REF_NAME)
                        .is_some_and(|n| n.ends_with(&suffix))
                })
                .cloned(),
        );
    }
    let mut blobs = BTreeSet::new();
    for d in &chosen {
        blobs.insert(d.digest.clone());
        let (m, _) = store.manifest(&d.digest)?;
        for b in std::iter::once(&m.config).chain(&m.layers) {
            blobs.insert(b.digest.clone());
        }
    }
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".hms-save-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("cannot write into {}", dir.display()), e))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(
        tmp.reopen()
            .map_err(|e| Error::io("cannot write the tarball", e))?,
    ));
    let add = |tar: &mut tar::Builder<_>, name: &str, bytes: &[u8]| -> Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, name, bytes)
            .map_err(|e| Error::io(format!("cannot write {}", out.display()), e))
    };
    add(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let index = Index {
        schema_version: 2,
        media_type: Some(crate::artifact::OCI_INDEX.into()),
        manifests: chosen,
    };
    add(
        &mut tar,
        "index.json",
        &serde_json::to_vec_pretty(&index).unwrap_or_default(),
    )?;
    for b in &blobs {
        let bytes = store.read_blob(b, MAX_BLOB_BYTES)?;
        add(
            &mut tar,
            &format!("blobs/sha256/{}", digest_hex(b).unwrap_or_default()),
            &bytes,
        )?;
    }
    let mut w = tar
        .into_inner()
        .map_err(|e| Error::io(format!("cannot write {}", out.display()), e))?;
    w.flush()
        .map_err(|e| Error::io(format!("cannot write {}", out.display()), e))?;
    drop(w);
    tmp.persist(out)
        .map_err(|e| Error::io(format!("cannot write {}", out.display()), e.error))?;
    Ok(index.manifests.len())
}

/// Loads a tarball into the store: the index entries it added.
pub fn load(store: &Store, tarball: &Path) -> Result<Vec<Descriptor>> {
    let shown = tarball.display().to_string();
    let bad = |why: String| {
        Error::new(ErrorKind::Input, format!("{shown}: {why}"))
            .hint("give a tarball written by `hms-sys plugin save` (an OCI image layout)")
    };
    let file =
        std::fs::File::open(tarball).map_err(|e| Error::io(format!("cannot read {shown}"), e))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut index: Option<Index> = None;
    let mut manifests: Vec<(String, Vec<u8>)> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("not a tar archive ({e})")))?;
        let path = entry
            .path()
            .map_err(|e| bad(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let path = path.trim_start_matches("./");
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(bad(format!("`{path}` is not a regular file")));
        }
        match path {
            "oci-layout" => {}
            "index.json" => {
                let mut bytes = Vec::new();
                (&mut entry)
                    .take(MAX_MANIFEST_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| bad(e.to_string()))?;
                index = Some(
                    serde_json::from_slice(&bytes).map_err(|e| bad(format!("index.json: {e}")))?,
                );
            }
            _ => {
                let hex = path
                    .strip_prefix("blobs/sha256/")
                    .filter(|h| digest_hex(&format!("sha256:{h}")).is_some());
                let Some(hex) = hex else {
                    return Err(bad(format!("unexpected entry `{path}`")));
                };
                let digest = format!("sha256:{hex}");
                let size = entry.header().size().map_err(|e| bad(e.to_string()))?;
                if size > MAX_BLOB_BYTES {
                    return Err(bad(format!(
                        "blob {digest} is larger than {MAX_BLOB_BYTES} bytes"
                    )));
                }
                // Manifests wait until every blob is in; they are small.
                if size <= MAX_MANIFEST_BYTES {
                    let mut bytes = Vec::new();
                    entry
                        .read_to_end(&mut bytes)
                        .map_err(|e| bad(e.to_string()))?;
                    if Manifest::parse(&bytes, "").is_ok() {
                        manifests.push((digest, bytes));
                        continue;
                    }
                    store.put_blob(&digest, &bytes).map_err(|e| Error {
                        message: format!("{shown}: {}", e.message),
                        ..e
                    })?;
                } else {
                    let mut w = store.writer(&digest, size)?;
                    std::io::copy(&mut entry, &mut w).map_err(|e| bad(e.to_string()))?;
                    w.finish().map_err(|e| Error {
                        message: format!("{shown}: {}", e.message),
                        ..e
                    })?;
                }
            }
        }
    }
    let index = index.ok_or_else(|| bad("it has no index.json".into()))?;
    for (digest, bytes) in &manifests {
        if crate::digest_of(bytes) != *digest {
            return Err(Error::new(
                ErrorKind::Digest,
                format!(
                    "{shown}: manifest {digest} does not match its digest; nothing of it was stored"
                ),
            ));
        }
        store.put_manifest(bytes, None)?;
    }
    let mut added = Vec::new();
    for d in &index.manifests {
        if !store.has(&d.digest) {
            return Err(bad(format!(
                "index.json names {}, which the tarball does not hold",
                d.digest
            )));
        }
        if d.annotations.contains_key(REF_NAME) {
            added.push(d.clone());
        }
    }
    store.add_refs(&added)?;
    Ok(added)
}
