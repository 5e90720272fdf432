//! Label selectors (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`) and the
//! field selectors clients use (`metadata.name`, `metadata.namespace`, `=`/`!=`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

/// A parsed label selector; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector(Vec<Req>);

fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let req = if let Some((k, v)) = part.split_once("!=") {
                Req::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once(" notin ") {
                Req::NotIn(
                    k.trim().into(),
                    set(v).ok_or(format!("bad set in {part:?}"))?,
                )
            } else if let Some((k, v)) = part.split_once(" in ") {
                Req::In(
                    k.trim().into(),
                    set(v).ok_or(format!("bad set in {part:?}"))?,
                )
            } else if let Some(k) = part.strip_prefix('!') {
                Req::Absent(k.trim().into())
            } else if part.contains([' ', '(', ')']) {
                return Err(format!("unable to parse requirement: {part:?}"));
            } else {
                Req::Exists(part.into())
            };
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether these labels (a JSON object, or null) match.
    pub fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::Ne(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Req::NotIn(k, vs) => get(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            Req::Exists(k) => get(k).is_some(),
            Req::Absent(k) => get(k).is_none(),
        })
    }

    /// Field selector: the same grammar over `metadata.name` / `metadata.namespace` (and any
    /// other dotted path to a string).
    pub fn matches_fields(&self, obj: &Value) -> bool {
        let get = |k: &str| {
            k.split('.')
                .try_fold(obj, |v, p| v.get(p))
                .and_then(Value::as_str)
        };
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k).unwrap_or("") == v,
            Req::Ne(k, v) => get(k).unwrap_or("") != v,
            _ => true,
        })
    }
}
