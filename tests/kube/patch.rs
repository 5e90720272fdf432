//! Patches other than apply: JSON merge patch (RFC 7386); strategic merge patch, approximated as
//! a merge patch whose lists of objects merge item by item on their key (`name`, `type`, ...),
//! with `$patch: delete` items removed, `$deleteFromPrimitiveList/<field>` honoured and other `$`
//! directives dropped (a list of scalars is replaced, not merged, except `metadata.finalizers`,
//! which has the merge strategy as on a real server); and JSON patch (RFC 6902).

use serde_json::{Value, json};

use super::fields::{key_text, list_key};

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch.as_object() {
        Some(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in p {
                if v.is_null() {
                    if let Some(m) = target.as_object_mut() {
                        m.remove(k);
                    }
                } else {
                    merge_patch(&mut target[k.as_str()], v);
                }
            }
        }
        None => *target = patch.clone(),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Strategic merge patch, as far as the test server goes (see the module doc).
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    // `metadata.finalizers` has the merge strategy: the patch's finalizers are added to the
    // object's (removing one takes `$deleteFromPrimitiveList` or a null list).
    if let (Some(live), Some(added)) = (
        target["metadata"]["finalizers"].as_array().cloned(),
        patch["metadata"]["finalizers"].as_array(),
    ) {
        let gone = patch["metadata"]["$deleteFromPrimitiveList/finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut union: Vec<Value> = live.into_iter().filter(|f| !gone.contains(f)).collect();
        union.extend(
            added
                .iter()
                .filter(|f| !union.contains(f))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let mut patch = patch.clone();
        patch["metadata"]["finalizers"] = Value::Array(union);
        return merge_object(target, &patch);
    }
    merge_object(target, patch)
}

fn merge_object(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = strip_directives(patch);
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    for (field, gone) in p
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("$deleteFromPrimitiveList/")?, v)))
    {
        if let (Some(list), Some(gone)) = (
            target.get_mut(field).and_then(Value::as_array_mut),
            gone.as_array(),
        ) {
            list.retain(|i| !gone.contains(i));
        }
    }
    for (k, v) in p.iter().filter(|(k, _)| !k.starts_with('$')) {
        if v.is_null() {
            if let Some(m) = target.as_object_mut() {
                m.remove(k);
            }
            continue;
        }
        let live = target.get(k.as_str()).and_then(Value::as_array).cloned();
        let items: Option<Vec<Value>> = v.as_array().map(|a| {
            a.iter()
                .filter(|i| i.get("$patch").is_none_or(|d| d != "delete"))
                .cloned()
                .collect()
        });
        match (live, v.as_array(), items) {
            (Some(live), Some(all), Some(items))
                if list_key(&live).is_some() && list_key(&live) == list_key(all) =>
            {
                let key = list_key(&live).unwrap_or("name");
                let id = |i: &Value| key_text(&i[key]);
                let deleted: Vec<String> = all
                    .iter()
                    .filter(|i| i.get("$patch").is_some_and(|d| d == "delete"))
                    .map(id)
                    .collect();
                let mut out: Vec<Value> = live
                    .into_iter()
                    .filter(|i| !deleted.contains(&id(i)))
                    .collect();
                for item in items {
                    match out.iter_mut().find(|o| id(o) == id(&item)) {
                        Some(o) => merge_object(o, &item),
                        None => out.push(strip_directives(&item)),
                    }
                }
                target[k.as_str()] = Value::Array(out);
            }
            _ => merge_object(&mut target[k.as_str()], v),
        }
    }
}

fn pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or(format!("invalid JSON pointer {path:?}"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn parent<'a>(doc: &'a mut Value, tokens: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or(format!("path segment {t:?} not found"))?;
    }
    Ok(cur)
}

fn take(doc: &mut Value, path: &str) -> Result<Value, String> {
    let tokens = pointer(path)?;
    let (last, init) = tokens
        .split_last()
        .ok_or("cannot remove the whole document")?;
    match parent(doc, init)? {
        Value::Object(m) => m.remove(last).ok_or(format!("{path} not found")),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(format!("{path} not found")),
        },
        _ => Err(format!("{path} not found")),
    }
}

fn put(doc: &mut Value, path: &str, value: Value, replace: bool) -> Result<(), String> {
    let tokens = pointer(path)?;
    let Some((last, init)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent(doc, init)? {
        Value::Object(m) => {
            if replace && !m.contains_key(last) {
                return Err(format!("{path} not found"));
            }
            m.insert(last.clone(), value);
        }
        Value::Array(a) if last == "-" && !replace => a.push(value),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if replace && i < a.len() => a[i] = value,
            Ok(i) if !replace && i <= a.len() => a.insert(i, value),
            _ => return Err(format!("{path} is out of range")),
        },
        _ => return Err(format!("{path}: parent is not a container")),
    }
    Ok(())
}

/// RFC 6902 JSON patch.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops
        .as_array()
        .ok_or("a JSON patch is an array of operations")?
    {
        let path = op["path"].as_str().ok_or("operation without a path")?;
        let from = || op["from"].as_str().ok_or("operation without from");
        match op["op"].as_str().unwrap_or("") {
            "add" => put(doc, path, op["value"].clone(), false)?,
            "replace" => put(doc, path, op["value"].clone(), true)?,
            "remove" => drop(take(doc, path)?),
            "test" => {
                // As the API server's json-patch: a missing path tests equal to null (what
                // kube-runtime's finalizer helper relies on when adding the first finalizer).
                if doc.pointer(path).unwrap_or(&Value::Null) != &op["value"] {
                    return Err(format!("test failed at {path}"));
                }
            }
            "move" => {
                let v = take(doc, from()?)?;
                put(doc, path, v, false)?;
            }
            "copy" => {
                let v = doc
                    .pointer(from()?)
                    .cloned()
                    .ok_or("copy: from not found")?;
                put(doc, path, v, false)?;
            }
            other => return Err(format!("unknown JSON patch operation {other:?}")),
        }
    }
    Ok(())
}
