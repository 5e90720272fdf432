//! Writing rendered objects: YAML or JSON on stdout, or one file per object in a directory.

use std::io::Write;
use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use serde_json::Value;

use crate::pipeline::Object;

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

/// All objects as one text: a multi-document YAML stream, or a JSON `v1/List`.
pub fn to_text(objects: &[Object], format: Format) -> anyhow::Result<String> {
    match format {
        Format::Yaml => {
            let mut text = String::new();
            for o in objects {
                text.push_str("---\n");
                text.push_str(&serde_yaml_ng::to_string(&o.value)?);
            }
            Ok(text)
        }
        Format::Json => {
            let list = serde_json::json!({
                "apiVersion": "v1",
                "kind": "List",
                "items": objects.iter().map(|o| &o.value).collect::<Vec<&Value>>(),
            });
            Ok(serde_json::to_string_pretty(&list)? + "\n")
        }
    }
}

/// The file name of an object: apply order, kind and name, so `ls` shows the apply order.
pub fn file_name(index: usize, o: &Object, format: Format) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let ext = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
    };
    format!(
        "{:03}-{}-{}.{ext}",
        index + 1,
        safe(&o.id.kind),
        safe(&o.id.name).trim_start_matches('.')
    )
}

/// Writes one file per object plus a `kustomization.yaml` into `dir` (created if needed).
/// Every path is resolved inside `dir` through cap-std, and every file is written to a
/// temporary name and renamed, so a crash never leaves a half-written file.
pub fn write_dir(dir: &Path, objects: &[Object], format: Format) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let root = Dir::open_ambient_dir(dir, ambient_authority())
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        let name = file_name(i, o, format);
        write_atomic(&root, &name, object_text(o, format)?.as_bytes())?;
        names.push(name);
    }
    write_atomic(
        &root,
        "kustomization.yaml",
        kustomization(&names).as_bytes(),
    )?;
    Ok(names)
}

/// One object as the text of its own file.
pub fn object_text(o: &Object, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => serde_yaml_ng::to_string(&o.value)?,
        Format::Json => serde_json::to_string_pretty(&o.value)? + "\n",
    })
}

/// A `kustomization.yaml` listing `names` as its resources.
pub fn kustomization(names: &[String]) -> String {
    let mut text = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for n in names {
        text.push_str(&format!("- {n}\n"));
    }
    text
}

/// Writes `bytes` to `name` in `root` through a temporary file in the same directory (synced,
/// then renamed into place), so a reader sees the old file or the new one, never a part.
pub fn write_atomic(root: &Dir, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = format!(".{name}.tmp");
    let mut f = root
        .create(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {e}"))?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written {
        let _ = root.remove_file(&tmp);
        anyhow::bail!("cannot write {name}: {e}");
    }
    if let Err(e) = root.rename(&tmp, root, name) {
        let _ = root.remove_file(&tmp);
        anyhow::bail!("cannot rename {tmp} to {name}: {e}");
    }
    // The rename itself is durable once the directory is synced (best effort: not every
    // file system lets a directory be opened for that).
    if let Ok(dir) = root.open(".") {
        let _ = dir.sync_all();
    }
    Ok(())
}
