//! Server-side apply: field sets per manager, kept in `metadata.managedFields` in the real
//! `FieldsV1` format (`f:` fields, `k:{...}` list items keyed by name/type/mountPath, `.` for an
//! item itself), conflicts between managers, force, and `Update` ownership for PUT/POST/merge patch.
//! A manager's entries are per subresource (`subresource: status`): writes to `/status` own the
//! `.status` fields they set, writes to the main endpoint everything else.

use serde_json::{Value, json};

use super::fields::{
    FieldSet, Path, Step, display, fields_for, fields_of, from_fields_v1, get, key_text, list_key,
    remove, status_fields_of, to_fields_v1,
};

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

/// One `managedFields` entry, parsed.
#[derive(Debug, Clone)]
pub struct Managed {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    /// "" for the main endpoint, "status" for the status subresource.
    pub subresource: String,
    pub fields: FieldSet,
}

impl Managed {
    fn is(&self, manager: &str, operation: &str, subresource: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }
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
                    subresource: e["subresource"].as_str().unwrap_or_default().into(),
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
            let mut e = json!({
                "manager": m.manager,
                "operation": m.operation,
                "apiVersion": m.api_version,
                "time": m.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&m.fields),
            });
            if !m.subresource.is_empty() {
                e["subresource"] = json!(m.subresource);
            }
            e
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
    pub subresource: String,
}

/// Server-side apply of `applied` by `manager` through `subresource` ("" or "status") over
/// `live`. Returns the new object (without server-stamped metadata) or the conflicts.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    api_version: &str,
    subresource: &str,
    force: bool,
) -> Result<Value, Vec<Conflict>> {
    let new_set = fields_for(applied, subresource);
    let mut managed = live.map(managed_of).unwrap_or_default();
    let mut obj = live.cloned().unwrap_or_else(|| json!({}));
    let mut conflicts = Vec::new();
    let mine = |m: &Managed| m.is(manager, "Apply", subresource);
    for m in managed.iter_mut().filter(|m| !mine(m)) {
        let clashing: Vec<Path> = m
            .fields
            .iter()
            .filter(|p| {
                new_set.contains(*p) && !matches!(p.last(), Some(Step::K(..) | Step::V(..)))
            })
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
                    subresource: m.subresource.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let old_set = managed
        .iter()
        .find(|m| mine(m))
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    for p in old_set.iter().rev() {
        let owned_elsewhere = managed.iter().any(|m| !mine(m) && m.fields.contains(p));
        if !new_set.contains(p) && !owned_elsewhere {
            remove(&mut obj, p);
        }
    }
    // metadata.finalizers is a set: the applied items join the others' (merge would replace).
    let kept = obj["metadata"]["finalizers"].as_array().cloned();
    merge(&mut obj, applied);
    if let Some(applied) = applied["metadata"]["finalizers"].as_array() {
        let mut union = kept.unwrap_or_default();
        for f in applied {
            if !union.contains(f) {
                union.push(f.clone());
            }
        }
        obj["metadata"]["finalizers"] = Value::Array(union);
    }
    managed.retain(|m| !mine(m));
    managed.push(Managed {
        manager: manager.into(),
        operation: "Apply".into(),
        api_version: api_version.into(),
        time: super::store::now_rfc3339(),
        subresource: subresource.into(),
        fields: new_set,
    });
    finish(&mut obj, managed);
    Ok(obj)
}

/// Records an `Update` (POST, PUT, merge patch) by `manager` through `subresource` ("" or
/// "status"): it takes the fields it changed.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    subresource: &str,
) {
    let mut managed = old.map(managed_of).unwrap_or_default();
    let empty = json!({});
    let before = old.unwrap_or(&empty);
    let changed: FieldSet = fields_for(new, subresource)
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
        .find(|m| m.is(manager, "Update", subresource))
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
            subresource: subresource.into(),
            fields: changed,
        }),
    }
    finish(new, managed);
}

/// Drops owned paths that no longer exist, and writes `managedFields`.
fn finish(obj: &mut Value, mut managed: Vec<Managed>) {
    let mut present = fields_of(obj);
    present.extend(status_fields_of(obj));
    for m in managed.iter_mut() {
        m.fields.retain(|p| present.contains(p));
    }
    set_managed(obj, managed);
}
