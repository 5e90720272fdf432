//! `hms-sys apply --target dir:PATH`: the rendered objects and the ApplySet inventory as files
//! for a GitOps tool (Argo CD, Flux), instead of a cluster.
//!
//! Every path is opened through a cap-std [`Dir`] on PATH, every write is atomic
//! ([`output::write_atomic`]) and a file whose content is unchanged is not rewritten. The
//! inventory (`hms-sys-inventory.yaml`, the same ConfigMap the cluster target writes) lists the
//! files this target wrote in its `hms.io/files` annotation; a later run removes only those of
//! them it no longer renders, never any other file in PATH.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use hms_apply::events::Sink;
use hms_apply::{Action, ObjectRef, applyset};
use serde_json::Value;

use crate::cmd_apply::{self, ApplyRequest};
use crate::exit;
use crate::kinds;
use crate::output::{self, Format};
use crate::pipeline::{Object, Rendered};

/// The inventory file: the ApplySet parent ConfigMap.
pub const INVENTORY_FILE: &str = "hms-sys-inventory.yaml";
/// The annotation of the inventory that lists the object files this target wrote.
pub const ANN_FILES: &str = "hms.io/files";
const KUSTOMIZATION: &str = "kustomization.yaml";

/// Where `apply` sends the objects: `cluster` (the default) or `dir:PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyTarget {
    Cluster,
    Dir(PathBuf),
}

/// Parses `--target`.
pub fn parse_target(v: &str) -> Result<ApplyTarget, String> {
    match v.split_once(':') {
        _ if v == "cluster" => Ok(ApplyTarget::Cluster),
        Some(("dir", path)) if !path.is_empty() => Ok(ApplyTarget::Dir(PathBuf::from(path))),
        _ => Err(format!("{v:?} is neither `cluster` nor `dir:PATH`")),
    }
}

/// `hms-sys apply --target dir:PATH`: one line per object; exit 0, or 1 on an I/O error.
pub fn apply(
    req: &ApplyRequest<'_>,
    rendered: &Rendered,
    events: &Sink,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let start = Instant::now();
    match write(req, rendered, events, path, out) {
        Ok(()) => Ok(exit::OK),
        Err(e) => {
            writeln!(err, "error[HMS-APPLY]: {}: {e:#}", path.display())?;
            events.emit(
                "apply",
                None,
                "failed",
                start.elapsed(),
                Some(format!("{e:#}")),
            );
            Ok(exit::ERROR)
        }
    }
}

/// What a directory target holds for a spec: the objects in apply order with their file names,
/// and what the last run recorded.
struct Layout {
    set: hms_apply::Set,
    /// `None` when PATH does not exist (yet).
    root: Option<Dir>,
    /// The object files the inventory lists from the last run.
    old: BTreeSet<String>,
    /// (file name, object labelled as the cluster target labels it), in apply order.
    objects: Vec<(String, Object)>,
    gks: BTreeSet<String>,
}

fn layout(rendered: &Rendered, path: &Path, create: bool) -> anyhow::Result<Layout> {
    let (set, _) = cmd_apply::desired(rendered)?;
    let id = applyset::set_id(&set.spec, &set.namespace);
    if create {
        std::fs::create_dir_all(path).map_err(|e| anyhow::anyhow!("cannot create: {e}"))?;
    }
    let root = match Dir::open_ambient_dir(path, ambient_authority()) {
        Ok(root) => Some(root),
        Err(e) if !create && e.kind() == ErrorKind::NotFound => None,
        Err(e) => anyhow::bail!("cannot open: {e}"),
    };
    let old = match &root {
        Some(root) => previous_files(root, &set.spec)?,
        None => BTreeSet::new(),
    };
    let mut objects: Vec<Object> = rendered
        .objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            applyset::label(&mut o.value, &id);
            o
        })
        .collect();
    objects.sort_by_key(|o| kinds::rank(&o.id.group, &o.id.kind));
    let gks = objects
        .iter()
        .map(|o| applyset::group_kind(&o.id.group, &o.id.kind))
        .collect();
    let objects = objects.into_iter().map(|o| (file_name(&o), o)).collect();
    Ok(Layout {
        set,
        root,
        old,
        objects,
        gks,
    })
}

/// The file of an object: `kind[.group]_namespace_name.yaml` (`kind_name.yaml` when
/// cluster-scoped), lower-case kind. Stable when other objects come and go (the order lives in
/// kustomization.yaml), and unambiguous: Kubernetes names never contain `_`.
fn file_name(o: &Object) -> String {
    let kind = o.id.kind.to_lowercase();
    let kind = if o.id.group.is_empty() {
        kind
    } else {
        format!("{kind}.{}", o.id.group)
    };
    let ns = o
        .value
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map_or_else(String::new, |ns| format!("_{ns}"));
    format!("{kind}{ns}_{}.yaml", o.id.name)
}

/// How an object is named in lines and events: `Kind.group namespace/name`.
fn object_name(o: &Object) -> String {
    ObjectRef::of(&o.value).map_or_else(|_| o.id.to_string(), |r| r.to_string())
}

/// The object a file this target wrote holds, for naming what is pruned.
fn object_in_file(root: Option<&Dir>, name: &str) -> Option<String> {
    let text = root?.read_to_string(name).ok()?;
    let value: Value = serde_yaml_ng::from_str(&text).ok()?;
    ObjectRef::of(&value).ok().map(|r| r.to_string())
}

fn write(
    req: &ApplyRequest<'_>,
    rendered: &Rendered,
    events: &Sink,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dry = req.options.dry_run;
    let suffix = if dry { " (dry run)" } else { "" };
    let Layout {
        set,
        root,
        old,
        objects,
        gks,
    } = layout(rendered, path, !dry)?;
    let texts: Vec<String> = objects
        .iter()
        .map(|(_, o)| output::object_text(o, Format::Yaml))
        .collect::<Result<_, _>>()?;
    // A file this spec did not write is never overwritten.
    let strangers: Vec<&str> = objects
        .iter()
        .zip(&texts)
        .filter(|((name, _), text)| {
            !old.contains(name)
                && root
                    .as_ref()
                    .and_then(|r| r.read_to_string(name).ok())
                    .is_some_and(|existing| existing != **text)
        })
        .map(|((name, _), _)| name.as_str())
        .collect();
    if !strangers.is_empty() {
        anyhow::bail!(
            "{} already exist(s) and {INVENTORY_FILE} does not list them as written by hms-sys \
             for spec {:?}; move them away or use another directory",
            strangers.join(", "),
            set.spec
        );
    }
    let names: Vec<String> = objects.iter().map(|(n, _)| n.clone()).collect();
    let current: BTreeSet<String> = names.iter().cloned().collect();
    let union: BTreeSet<String> = old.union(&current).cloned().collect();
    if union != old {
        // Before any new file: interrupted from here on, the inventory names every file a later
        // run may have to prune.
        put(
            root.as_ref(),
            INVENTORY_FILE,
            &inventory(&set, &gks, &union)?,
            dry,
        )?;
    }
    let mut counts = [0usize; 4];
    for ((name, o), text) in objects.iter().zip(&texts) {
        let start = Instant::now();
        let action = put(root.as_ref(), name, text, dry)?;
        let object = object_name(o);
        writeln!(out, "✔ {object} {} ({name}){suffix}", action.as_str())?;
        events.emit(
            "apply",
            Some(object),
            action.as_str(),
            start.elapsed(),
            Some(format!("file {name}")),
        );
        counts[match action {
            Action::Created => 0,
            Action::Configured => 1,
            _ => 2,
        }] += 1;
    }

    let mut resources = names.clone();
    resources.push(INVENTORY_FILE.to_string());
    put(
        root.as_ref(),
        KUSTOMIZATION,
        &output::kustomization(&resources),
        dry,
    )?;
    let stale: Vec<&String> = old.difference(&current).collect();
    let start = Instant::now();
    for name in &stale {
        let object = object_in_file(root.as_ref(), name).unwrap_or_else(|| name.to_string());
        if let (Some(root), false) = (&root, dry) {
            match root.remove_file(name.as_str()) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => anyhow::bail!("cannot remove {name}: {e}"),
            }
        }
        writeln!(out, "✔ {object} pruned ({name}){suffix}")?;
        events.emit(
            "prune",
            Some(object),
            "pruned",
            start.elapsed(),
            Some(format!("file {name}")),
        );
        counts[3] += 1;
    }
    events.emit("prune", None, "ok", start.elapsed(), None);
    put(
        root.as_ref(),
        INVENTORY_FILE,
        &inventory(&set, &gks, &current)?,
        dry,
    )?;
    writeln!(
        out,
        "{}: {} created, {} configured, {} unchanged, {} pruned, 0 failed (dir {}){suffix}",
        set.spec,
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        path.display()
    )?;
    Ok(())
}

/// `hms-sys plan --target dir:PATH`: what `apply --target dir:PATH` would create, update (with
/// a field diff), prune or leave unchanged; exit 0 no changes, 2 changes, 1 error. Writes
/// nothing.
pub fn plan(
    rendered: &Rendered,
    events: &Sink,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let start = Instant::now();
    let planned = plan_lines(rendered, path, out);
    match planned {
        Ok(changes) => Ok(cmd_apply::planned(changes, events, start)),
        Err(e) => {
            writeln!(err, "error[HMS-APPLY]: {}: {e:#}", path.display())?;
            events.emit("plan", None, "failed", start.elapsed(), Some(e.to_string()));
            Ok(exit::ERROR)
        }
    }
}

fn plan_lines(rendered: &Rendered, path: &Path, out: &mut dyn Write) -> anyhow::Result<usize> {
    let l = layout(rendered, path, false)?;
    let mut changes = 0;
    for (name, o) in &l.objects {
        let text = output::object_text(o, Format::Yaml)?;
        let existing = match l.root.as_ref().map(|r| r.read_to_string(name)) {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(e)) if e.kind() == ErrorKind::NotFound => None,
            Some(Err(e)) => anyhow::bail!("cannot read {name}: {e}"),
        };
        let object = object_name(o);
        match existing {
            None => writeln!(out, "+ {object} create ({name})")?,
            Some(t) if t == text => {
                writeln!(out, "= {object} unchanged ({name})")?;
                continue;
            }
            Some(t) => {
                writeln!(out, "~ {object} update ({name})")?;
                let before: Value = serde_yaml_ng::from_str(&t).unwrap_or(Value::Null);
                let diff = hms_apply::plan::diff(&before, &o.value)
                    .map(|d| d.replacen("--- live", &format!("--- {name}"), 1))
                    .unwrap_or_else(|| "(formatting only)".to_string());
                for line in diff.lines() {
                    // Object content is a plugin's: shown escaped.
                    writeln!(
                        out,
                        "    {}",
                        crate::text::shown(line, crate::text::MESSAGE)
                    )?;
                }
            }
        }
        changes += 1;
    }
    let current: BTreeSet<String> = l.objects.iter().map(|(n, _)| n.clone()).collect();
    for name in l.old.difference(&current) {
        let object = object_in_file(l.root.as_ref(), name).unwrap_or_else(|| name.clone());
        writeln!(out, "- {object} prune ({name})")?;
        changes += 1;
    }
    writeln!(
        out,
        "{}: {changes} changes (dir {})",
        l.set.spec,
        path.display()
    )?;
    Ok(changes)
}

/// The inventory ConfigMap: the cluster target's ApplySet parent, plus the files it lists.
fn inventory(
    set: &hms_apply::Set,
    gks: &BTreeSet<String>,
    files: &BTreeSet<String>,
) -> anyhow::Result<String> {
    let mut parent = applyset::parent(set, gks);
    let list: Vec<&str> = files.iter().map(String::as_str).collect();
    if let Some(ann) = parent
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.insert(ANN_FILES.to_string(), Value::String(list.join(",")));
    }
    Ok(serde_yaml_ng::to_string(&parent)?)
}

/// The object files the last run recorded; an inventory of another spec is an error.
fn previous_files(root: &Dir, spec: &str) -> anyhow::Result<BTreeSet<String>> {
    let text = match root.read_to_string(INVENTORY_FILE) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => anyhow::bail!("cannot read {INVENTORY_FILE}: {e}"),
    };
    let v: Value = serde_yaml_ng::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{INVENTORY_FILE} is not an inventory: {e}"))?;
    let owner = v
        .pointer("/metadata/labels")
        .and_then(|l| l.get(applyset::LABEL_SPEC))
        .and_then(Value::as_str);
    if owner != Some(spec) {
        anyhow::bail!(
            "{INVENTORY_FILE} belongs to spec {:?}, not {spec:?}; use another directory",
            owner.unwrap_or("")
        );
    }
    let files = v
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(ANN_FILES))
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(applyset::parse_group_kinds(files)
        .into_iter()
        .filter(|f| is_own_file_name(f))
        .collect())
}

/// A name this target could have written: one plain component, not hidden, not ours to keep.
/// (cap-std refuses escapes anyway; this also keeps a tampered inventory from naming
/// `kustomization.yaml` or the inventory itself.)
fn is_own_file_name(name: &str) -> bool {
    !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.ends_with(".yaml")
        && name != KUSTOMIZATION
        && name != INVENTORY_FILE
}

/// Writes `text` to `name` unless it already holds exactly that; what it did, as an action.
fn put(root: Option<&Dir>, name: &str, text: &str, dry: bool) -> anyhow::Result<Action> {
    let existing = match root.map(|r| r.read(name)) {
        None => None,
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(e)) if e.kind() == ErrorKind::NotFound => None,
        Some(Err(e)) => anyhow::bail!("cannot read {name}: {e}"),
    };
    let action = match existing {
        Some(b) if b == text.as_bytes() => return Ok(Action::Unchanged),
        Some(_) => Action::Configured,
        None => Action::Created,
    };
    if let (Some(root), false) = (root, dry) {
        output::write_atomic(root, name, text.as_bytes())?;
    }
    Ok(action)
}
