//! Label sets: sorted maps, merged from the host's common labels and the plugin's own.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A label (or annotation) set, sorted by key so output is deterministic.
pub type Labels = BTreeMap<String, String>;

/// Builds a label set from pairs; a later pair overrides an earlier one with the same key.
pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect()
}

/// `base` with every entry of `over` added, `over` winning on conflicts.
pub fn merge(base: &Labels, over: &Labels) -> Labels {
    let mut out = base.clone();
    out.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// The standard labels of an object: the host's common labels plus
/// `app.kubernetes.io/name` and `app.kubernetes.io/component`.
pub fn standard(common: &[(String, String)], name: &str, component: &str) -> Labels {
    let mut out = from_pairs(common);
    out.insert("app.kubernetes.io/name".into(), name.into());
    out.insert("app.kubernetes.io/component".into(), component.into());
    out
}

/// A label set as a JSON object (keys in sorted order).
pub fn to_json(labels: &Labels) -> Value {
    Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_with_override_and_sorts() {
        let common = vec![
            ("hms.io/spec".to_string(), "s".to_string()),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "hms-sys".to_string(),
            ),
        ];
        let l = standard(&common, "n", "storage");
        let keys: Vec<_> = l.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "app.kubernetes.io/component",
                "app.kubernetes.io/managed-by",
                "app.kubernetes.io/name",
                "hms.io/spec"
            ]
        );
        let m = merge(&l, &from_pairs(&[("hms.io/spec", "t")]));
        assert_eq!(m["hms.io/spec"], "t");
        let json = to_json(&m);
        let first = json.as_object().and_then(|o| o.keys().next().cloned());
        assert_eq!(first.as_deref(), Some("app.kubernetes.io/component"));
    }
}
