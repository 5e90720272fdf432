//! Field paths and field sets in the API server's `FieldsV1` format: `f:` fields, `k:{...}` list
//! items keyed by name/type/mountPath/containerPort, `v:"..."` items of a set (here only
//! `metadata.finalizers`), `.` for an item itself.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// One step into an object: a field, a list item chosen by its key field's value, or an item of
/// a set of scalars (its JSON text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    F(String),
    K(String, String),
    V(String),
}

pub type Path = Vec<Step>;
pub type FieldSet = BTreeSet<Path>;

const LIST_KEYS: [&str; 4] = ["name", "type", "mountPath", "containerPort"];

/// The key field of an associative list: one that every item has as a scalar.
pub fn list_key(items: &[Value]) -> Option<&'static str> {
    if items.is_empty() || !items.iter().all(Value::is_object) {
        return None;
    }
    LIST_KEYS
        .into_iter()
        .find(|k| items.iter().all(|i| i[*k].is_string() || i[*k].is_number()))
}

pub fn key_text(v: &Value) -> String {
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
                        if mk == "finalizers" {
                            // A set: each manager owns the items it set, not the list.
                            for f in mv.as_array().into_iter().flatten() {
                                out.insert(vec![
                                    Step::F("metadata".into()),
                                    Step::F("finalizers".into()),
                                    Step::V(f.to_string()),
                                ]);
                            }
                        } else if matches!(
                            mk.as_str(),
                            "labels" | "annotations" | "ownerReferences"
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

/// The fields of `.status` (what a write to the `/status` subresource owns).
pub fn status_fields_of(obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    if let Some(status) = obj.get("status").filter(|s| !s.is_null()) {
        walk(status, vec![Step::F("status".into())], &mut out);
    }
    out
}

/// The fields a write through `subresource` ("" for the main endpoint, or "status") owns.
pub fn fields_for(obj: &Value, subresource: &str) -> FieldSet {
    if subresource == "status" {
        status_fields_of(obj)
    } else {
        fields_of(obj)
    }
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

/// A set item back from its JSON text (`Step::V`).
fn set_item(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
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
            Step::V(v) => cur.as_array()?.iter().find(|i| *i == &set_item(v))?,
        };
    }
    Some(cur)
}

pub fn remove(obj: &mut Value, path: &[Step]) {
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
            Step::V(v) => cur
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|i| **i == set_item(v))),
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
        Step::V(v) => {
            if let Some(a) = cur.as_array_mut() {
                let item = set_item(v);
                a.retain(|i| *i != item);
            }
        }
    }
}

/// Path as the API server prints it: `.spec.template.spec.containers[name="app"].image`.
pub fn display(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::F(f) => format!(".{f}"),
            Step::K(k, v) => format!("[{k}=\"{v}\"]"),
            Step::V(v) => format!("[={v}]"),
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
            Step::V(v) => format!("v:{v}"),
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
            } else if let Some(j) = k.strip_prefix("v:") {
                match serde_json::from_str::<Value>(j) {
                    Ok(v) => Step::V(v.to_string()),
                    Err(_) => continue,
                }
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
