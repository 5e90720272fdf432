//! Server-side apply: field sets per manager, kept in `metadata.managedFields` in the real
//! `FieldsV1` format (`f:` fields, `k:{...}` list items keyed by name/type/mountPath, `.` for an
//! item itself), conflicts between managers, force, and `Update` ownership for PUT/POST/merge patch.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// One step into an object: a field, or a list item chosen by its key field's value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    F(String),
    K(String, String),
}

pub type Path = Vec<Step>;
pub type FieldSet = BTreeSet<Path>;

const LIST_KEYS: [&str; 4] = ["name", "type", "mountPath", "containerPort"];

/// The key field of an associative list: one that every item has as a scalar.
fn list_key(items: &[Value]) -> Option<&'static str> {
    if items.is_empty() || !items.iter().all(Value::is_object) {
        return None;
    }
    LIST_KEYS
        .into_iter()
        .find(|k| items.iter().all(|i| i[*k].is_string() || i[*k].is_number()))
}

fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Fields an object sets, apart from identity and server-owned fields.
pub fn fields_of(obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (k, v) in map {
        match k.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                if let Some(m) = v.as_object() {
                    for (mk, mv) in m {
                        if matches!(
                            mk.as_str(),
                            "labels" | "annotations" | "finalizers" | "ownerReferences"
                        ) {
                            walk(
                                mv,
                                vec![Step::F("metadata".into()), Step::F(mk.clone())],
                                &mut out,
                            );
                        }
                    }
                }
            }
            _ => walk(v, vec![Step::F(k.clone())], &mut out),
        }
    }
    out
}

fn walk(v: &Value, path: Path, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                let mut p = path.clone();
                p.push(Step::F(k.clone()));
                walk(c, p, out);
            }
        }
        Value::Array(items) => match list_key(items) {
            Some(key) => {
                for item in items {
                    let mut p = path.clone();
                    p.push(Step::K(key.into(), key_text(&item[key])));
                    out.insert(p.clone());
                    walk(item, p, out);
                }
            }
            None => {
                out.insert(path);
            }
        },
        _ => {
            out.insert(path);
        }
    }
}

/// The value at a path, if present.
pub fn get<'a>(obj: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut cur = obj;
    for step in path {
        cur = match step {
            Step::F(f) => cur.as_object()?.get(f)?,
            Step::K(k, v) => cur
                .as_array()?
                .iter()
                .find(|i| key_text(&i[k.as_str()]) == *v && !i[k.as_str()].is_null())?,
        };
    }
    Some(cur)
}

fn remove(obj: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for step in parent {
        let next = match step {
            Step::F(f) => cur.as_object_mut().and_then(|m| m.get_mut(f)),
            Step::K(k, v) => cur
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|i| key_text(&i[k.as_str()]) == *v)),
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match last {
        Step::F(f) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(f);
            }
        }
        Step::K(k, v) => {
            if let Some(a) = cur.as_array_mut() {
                a.retain(|i| key_text(&i[k.as_str()]) != *v);
            }
        }
    }
}

/// Deep merge: objects field by field, associative lists item by item, anything else replaced.
pub fn merge(live: &mut Value, applied: &Value) {
    if let (Some(l), Some(a)) = (live.as_object_mut(), applied.as_object()) {
        for (k, av) in a {
            match l.get_mut(k) {
                Some(lv) => merge(lv, av),
                None => {
                    l.insert(k.clone(), av.clone());
                }
            }
        }
        return;
    }
    if let (Some(l), Some(a)) = (live.as_array(), applied.as_array())
        && let (Some(lk), Some(ak)) = (list_key(l), list_key(a))
        && lk == ak
    {
        let mut out: Vec<Value> = Vec::new();
        for ai in a {
            let mut item = l
                .iter()
                .find(|li| key_text(&li[lk]) == key_text(&ai[lk]))
                .cloned()
                .unwrap_or_else(|| json!({}));
            merge(&mut item, ai);
            out.push(item);
        }
        for li in l {
            if !a.iter().any(|ai| key_text(&ai[lk]) == key_text(&li[lk])) {
                out.push(li.clone());
            }
        }
        *live = Value::Array(out);
        return;
    }
    *live = applied.clone();
}

/// Path as the API server prints it: `.spec.template.spec.containers[name="app"].image`.
pub fn display(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::F(f) => format!(".{f}"),
            Step::K(k, v) => format!("[{k}=\"{v}\"]"),
        })
        .collect()
}

/// `FieldsV1` JSON for a field set.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    fn name(step: &Step) -> String {
        match step {
            Step::F(f) => format!("f:{f}"),
            Step::K(k, v) => {
                let mut key = Map::new();
                let value = serde_json::from_str::<Value>(v)
                    .ok()
                    .filter(Value::is_number)
                    .unwrap_or(json!(v));
                key.insert(k.clone(), value);
                format!("k:{}", Value::Object(key))
            }
        }
    }
    fn insert(node: &mut Map<String, Value>, path: &[Step]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let entry = node.entry(name(first)).or_insert_with(|| json!({}));
        if let Some(child) = entry.as_object_mut() {
            if rest.is_empty() {
                if matches!(first, Step::K(..)) {
                    child.insert(".".into(), json!({}));
                }
            } else {
                insert(child, rest);
            }
        }
    }
    let mut root = Map::new();
    for path in set {
        insert(&mut root, path);
    }
    Value::Object(root)
}

/// The field set back from `FieldsV1` JSON.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn rec(v: &Value, path: Path, out: &mut FieldSet) {
        let Some(m) = v.as_object() else { return };
        if m.is_empty() || m.contains_key(".") {
            out.insert(path.clone());
        }
        for (k, c) in m {
            let step = if let Some(f) = k.strip_prefix("f:") {
                Step::F(f.into())
            } else if let Some(j) = k.strip_prefix("k:") {
                let Ok(Value::Object(key)) = serde_json::from_str::<Value>(j) else {
                    continue;
                };
                let Some((kk, kv)) = key.into_iter().next() else {
                    continue;
                };
                Step::K(kk, key_text(&kv))
            } else {
                continue;
            };
            let mut p = path.clone();
            p.push(step);
            rec(c, p, out);
        }
    }
    let mut out = FieldSet::new();
    rec(v, Vec::new(), &mut out);
    out.remove(&Vec::new());
    out
}

/// One `managedFields` entry, parsed.
#[derive(Debug, Clone)]
pub struct Managed {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: FieldSet,
}

pub fn managed_of(obj: &Value) -> Vec<Managed> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| Managed {
                    manager: e["manager"].as_str().unwrap_or_default().into(),
                    operation: e["operation"].as_str().unwrap_or("Update").into(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().into(),
                    time: e["time"].as_str().unwrap_or_default().into(),
                    fields: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_managed(obj: &mut Value, managed: Vec<Managed>) {
    let entries: Vec<Value> = managed
        .into_iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            json!({
                "manager": m.manager,
                "operation": m.operation,
                "apiVersion": m.api_version,
                "time": m.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&m.fields),
            })
        })
        .collect();
    obj["metadata"]["managedFields"] = Value::Array(entries);
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub field: String,
    pub manager: String,
    pub api_version: String,
}

/// Server-side apply of `applied` by `manager` over `live`. Returns the new object (without
/// server-stamped metadata) or the conflicts.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
) -> Result<Value, Vec<Conflict>> {
    let new_set = fields_of(applied);
    let mut managed = live.map(managed_of).unwrap_or_default();
    let mut obj = live.cloned().unwrap_or_else(|| json!({}));
    let mut conflicts = Vec::new();
    for m in managed
        .iter_mut()
        .filter(|m| !(m.manager == manager && m.operation == "Apply"))
    {
        let clashing: Vec<Path> = m
            .fields
            .iter()
            .filter(|p| new_set.contains(*p) && !matches!(p.last(), Some(Step::K(..))))
            .filter(|p| get(&obj, p) != get(applied, p))
            .cloned()
            .collect();
        for p in clashing {
            if force {
                m.fields.remove(&p);
            } else {
                conflicts.push(Conflict {
                    field: display(&p),
                    manager: m.manager.clone(),
                    api_version: m.api_version.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let old_set = managed
        .iter()
        .find(|m| m.manager == manager && m.operation == "Apply")
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    for p in old_set.iter().rev() {
        let owned_elsewhere = managed
            .iter()
            .any(|m| !(m.manager == manager && m.operation == "Apply") && m.fields.contains(p));
        if !new_set.contains(p) && !owned_elsewhere {
            remove(&mut obj, p);
        }
    }
    merge(&mut obj, applied);
    managed.retain(|m| !(m.manager == manager && m.operation == "Apply"));
    managed.push(Managed {
        manager: manager.into(),
        operation: "Apply".into(),
        api_version: api_version.into(),
        time: super::store::now_rfc3339(),
        fields: new_set,
    });
    finish(&mut obj, managed);
    Ok(obj)
}

/// Records an `Update` (POST, PUT, merge patch) by `manager`: it takes the fields it changed.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    let mut managed = old.map(managed_of).unwrap_or_default();
    let empty = json!({});
    let before = old.unwrap_or(&empty);
    let changed: FieldSet = fields_of(new)
        .into_iter()
        .filter(|p| get(before, p) != get(new, p))
        .collect();
    if changed.is_empty() {
        finish(new, managed);
        return;
    }
    for m in managed.iter_mut() {
        m.fields.retain(|p| !changed.contains(p));
    }
    match managed
        .iter_mut()
        .find(|m| m.manager == manager && m.operation == "Update")
    {
        Some(m) => {
            m.fields.extend(changed);
            m.time = super::store::now_rfc3339();
        }
        None => managed.push(Managed {
            manager: manager.into(),
            operation: "Update".into(),
            api_version: api_version.into(),
            time: super::store::now_rfc3339(),
            fields: changed,
        }),
    }
    finish(new, managed);
}

/// Drops owned paths that no longer exist, and writes `managedFields`.
fn finish(obj: &mut Value, mut managed: Vec<Managed>) {
    let present = fields_of(obj);
    for m in managed.iter_mut() {
        m.fields.retain(|p| present.contains(p));
    }
    set_managed(obj, managed);
}
