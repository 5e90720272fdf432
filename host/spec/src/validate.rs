//! Turns the raw spec into the `Spec`: the envelope (name, namespace, sections present,
//! `baseline`, `plugins`, `grants`), collecting every error. Sections stay as written.

use std::collections::BTreeMap;

use crate::Section;
use crate::check::{Ctx, LABEL_HINT};
use crate::error::{Location, SpecError};
use crate::model::{BaselineUse, Choice, Grant, Spec, raw};
use crate::names::{dns1123_label_reason, parse_kind_ref};
use crate::plugin_ref::{PluginRef, REF_HINT};
use crate::source::Source;

const SECTION_KEYS: &[&str] = &["nodePool", "storage", "network", "workload"];

/// Validates the envelope of `raw`; all errors, sorted by location, on failure.
pub(crate) fn validate(raw: &raw::Spec, src: &Source) -> Result<Spec, Vec<SpecError>> {
    let mut cx = Ctx::new(src);
    let written = [
        (Section::NodePool, &raw.node_pool),
        (Section::Storage, &raw.storage),
        (Section::Network, &raw.network),
        (Section::Workload, &raw.workload),
    ];
    let mut sections = BTreeMap::new();
    for (section, value) in written {
        let ptr = format!("/{}", section.key());
        match value {
            Some(v) => {
                let mut v = v.clone();
                // `nodePool.baseline` is the envelope's shorthand, not the plugin's field.
                if section == Section::NodePool
                    && let Some(m) = v.as_object_mut()
                {
                    m.remove("baseline");
                }
                sections.insert(section, v);
            }
            None if src.contains(&ptr) => {
                let key = section.key();
                let hint = format!("fill in `{key}` (see docs/spec.md) or remove it");
                cx.at(
                    src.locate_pointer(&ptr),
                    format!("`{key}` is empty"),
                    Some(hint),
                );
            }
            None => {}
        }
    }
    if raw.baseline.is_none() && src.contains("/baseline") {
        let hint = "name a baseline (`baseline: cis-level-2`) or remove it";
        cx.at(
            src.locate_pointer("/baseline"),
            "`baseline` is empty",
            Some(hint.into()),
        );
    }
    if sections.is_empty() {
        if cx.errors.is_empty() {
            cx.at(
                Location::START,
                "the spec has no sections: at least one of `nodePool`, `storage`, `network`, `workload` is needed",
                Some("see examples/dcaa_cluster.yml".into()),
            );
        }
        return Err(cx.errors);
    }

    let (name, name_ptr) = name(&mut cx, raw);
    let namespace = namespace(&mut cx, raw, &name, name_ptr);
    let baselines = baselines(&mut cx, raw);
    let plugins = plugins(&mut cx, raw);
    let grants = grants(&mut cx, raw);
    let exceptions = exceptions(&mut cx, raw);

    if cx.errors.is_empty() {
        Ok(Spec {
            name,
            namespace,
            sections,
            baselines,
            plugins,
            grants,
            exceptions,
        })
    } else {
        let mut errors = cx.errors;
        errors.sort_by_key(|e| e.location);
        Err(errors)
    }
}

/// A string field of a section as written.
fn written<'v>(section: &'v Option<serde_json::Value>, pointer: &str) -> Option<&'v str> {
    section.as_ref()?.pointer(pointer)?.as_str()
}

/// The spec's name and where it was taken from: `name:`, else `nodePool.name`, else the
/// workload's name (`workload.name`, else the name its plugin gives it from the image, see
/// [`hms_plugin_sdk::image::default_name`]). A name taken from the image is checked here even
/// when the spec's name comes from elsewhere: it names the workload's objects.
fn name(cx: &mut Ctx<'_>, raw: &raw::Spec) -> (String, &'static str) {
    let src = cx.src;
    let image = written(&raw.workload, "/image");
    let from_image = match (written(&raw.workload, "/name"), image) {
        (None, Some(image)) => {
            let name = hms_plugin_sdk::image::default_name(image);
            match dns1123_label_reason(name) {
                None => Some(name),
                Some(reason) => {
                    // A reference that is not valid says so itself (the workload's schema); the
                    // name only matters for a valid one.
                    if crate::image::parse(image).is_ok() {
                        let msg = format!(
                            "the workload name taken from the image, `{name}`, is not valid: {reason}"
                        );
                        let hint = "set `workload.name`";
                        cx.at(
                            src.locate_pointer("/workload/image"),
                            msg,
                            Some(hint.into()),
                        );
                    }
                    return (String::new(), "");
                }
            }
        }
        _ => None,
    };
    let (n, ptr) = if let Some(n) = &raw.name {
        if let Some(reason) = dns1123_label_reason(n) {
            let msg = format!("invalid spec name `{n}`: {reason}");
            cx.at(src.locate_pointer("/name"), msg, Some(LABEL_HINT.into()));
        }
        return (n.clone(), "/name");
    } else if let Some(n) = written(&raw.node_pool, "/name") {
        (n, "/nodePool/name")
    } else if let Some(n) = written(&raw.workload, "/name") {
        (n, "/workload/name")
    } else if let Some(n) = from_image {
        (n, "/workload/image")
    } else {
        let msg = "the spec has no name: there is no `name:`, no `nodePool.name` and no workload name or image to take it from";
        let hint = if raw.node_pool.is_some() {
            "add `nodePool.name`, or a top-level `name:`"
        } else {
            "add a top-level `name:`"
        };
        cx.at(Location::START, msg, Some(hint.into()));
        return (String::new(), "");
    };
    // A name taken from a section: its plugin's schema may say more, but the envelope needs
    // a DNS-1123 label now.
    if ptr != "/workload/image"
        && let Some(reason) = dns1123_label_reason(n)
    {
        let msg = format!(
            "invalid spec name `{n}` (from `{}`): {reason}",
            ptr[1..].replace('/', ".")
        );
        let hint = "set a top-level `name:` that is a DNS-1123 label".to_string();
        cx.at(src.locate_pointer(ptr), msg, Some(hint));
    }
    (n.to_string(), ptr)
}

fn namespace(cx: &mut Ctx<'_>, raw: &raw::Spec, name: &str, name_ptr: &str) -> String {
    let (ns, ptr) = match &raw.namespace {
        Some(ns) => {
            if let Some(reason) = dns1123_label_reason(ns) {
                let msg = format!("invalid namespace `{ns}`: {reason}");
                cx.at(
                    cx.src.locate_pointer("/namespace"),
                    msg,
                    Some(LABEL_HINT.into()),
                );
            }
            (ns.clone(), "/namespace")
        }
        None => (name.to_string(), name_ptr),
    };
    if ns == "default" || ns.starts_with("kube-") {
        let msg = format!(
            "namespace `{ns}` is refused (CIS 5.7.4: do not use the default or kube-* namespaces)"
        );
        let hint = if raw.namespace.is_some() {
            "set `namespace:` to a dedicated namespace, e.g. the spec name".to_string()
        } else {
            "the namespace defaults to the spec name; set `namespace:` to a dedicated one"
                .to_string()
        };
        cx.at(cx.src.locate_pointer(ptr), msg, Some(hint));
    }
    ns
}

/// The baselines to run: `baseline:` (a name, a mapping, or a list of them) or the
/// `nodePool.baseline` shorthand. Each entry's fields other than `name` and `plugin` are the
/// baseline plugin's parameters, judged by its schema.
fn baselines(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Vec<BaselineUse> {
    let short = raw.node_pool.as_ref().and_then(|v| {
        let given = v.pointer("/baseline");
        if given.is_some_and(|b| !b.is_string()) {
            let msg = "`nodePool.baseline` must be one baseline's name";
            let hint =
                "list several baselines, or give parameters, under the top-level `baseline:`";
            cx.at(
                cx.src.locate_pointer("/nodePool/baseline"),
                msg,
                Some(hint.into()),
            );
        }
        given
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    });
    let entries: Vec<(serde_json::Value, String)> = match (&raw.baseline, short) {
        (None, None) => return Vec::new(),
        (Some(b), short) => {
            if short.is_some() {
                let top = cx.src.key_location("/baseline").unwrap_or(Location::START);
                let nested = cx
                    .src
                    .key_location("/nodePool/baseline")
                    .unwrap_or(Location::START);
                let msg = "`baseline` is given twice: at the top level and as `nodePool.baseline`";
                cx.at(top.max(nested), msg, Some("keep only one of them".into()));
            }
            match b {
                raw::Baselines::One(v) => vec![(v.clone(), "/baseline".to_string())],
                raw::Baselines::List(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.clone(), format!("/baseline/{i}")))
                    .collect(),
            }
        }
        (None, Some(name)) => vec![(
            serde_json::Value::String(name),
            "/nodePool/baseline".to_string(),
        )],
    };
    let mut out: Vec<BaselineUse> = Vec::new();
    for (entry, pointer) in entries {
        let at = |cx: &Ctx<'_>, p: &str| cx.src.locate_pointer(&format!("{pointer}{p}"));
        let mut params = match entry {
            serde_json::Value::String(name) => serde_json::json!({ "name": name }),
            serde_json::Value::Object(m) => serde_json::Value::Object(m),
            other => {
                let msg = format!(
                    "a baseline entry must be a name or a mapping with `name`, not `{other}`"
                );
                let hint = "write `- cis-level-2` or `- name: cis-level-2`";
                cx.at(at(cx, ""), msg, Some(hint.into()));
                continue;
            }
        };
        let Some(name) = params["name"].as_str().map(str::to_string) else {
            let msg = if params.get("name").is_some() {
                "the baseline's `name` must be a string"
            } else {
                "missing required field `name` in `baseline`"
            };
            let hint = "name the baseline plugin, e.g. `name: cis-level-2`";
            cx.at(at(cx, ""), msg, Some(hint.into()));
            continue;
        };
        if let Some(reason) = dns1123_label_reason(&name) {
            let msg = format!("invalid baseline name `{name}`: {reason}");
            cx.at(at(cx, "/name"), msg, Some(LABEL_HINT.into()));
            continue;
        }
        if out.iter().any(|b| b.name == name) {
            let msg = format!("baseline `{name}` is listed twice");
            cx.at(at(cx, ""), msg, Some("list each baseline once".into()));
            continue;
        }
        let plugin = match params.as_object_mut().and_then(|m| m.remove("plugin")) {
            None => None,
            Some(serde_json::Value::String(r)) => match PluginRef::parse(&r) {
                Ok(r) => Some(r),
                Err(msg) => {
                    cx.at(at(cx, "/plugin"), msg, Some(REF_HINT.into()));
                    continue;
                }
            },
            Some(_) => {
                let msg = "the baseline's `plugin` must be a string";
                cx.at(at(cx, "/plugin"), msg, Some(REF_HINT.into()));
                continue;
            }
        };
        out.push(BaselineUse {
            name,
            plugin,
            params,
            pointer,
        });
    }
    out
}

/// `plugins:`: a section key to a plugin reference.
fn plugins(cx: &mut Ctx<'_>, raw: &raw::Spec) -> BTreeMap<Section, Choice> {
    let mut out = BTreeMap::new();
    for (key, reference) in raw.plugins.iter().flatten() {
        let pointer = format!("/plugins/{}", crate::source::escape(key));
        let Some(section) = Section::from_key(key).filter(|s| *s != Section::Baseline) else {
            let (msg, hint) = if key == "baseline" {
                (
                    "`plugins` does not choose baselines".to_string(),
                    "give a baseline's plugin in its entry: `baseline: [{name: agency-rules, plugin: ./agency-rules.wasm}]`".to_string(),
                )
            } else {
                (
                    format!("`plugins` has no section `{key}`"),
                    crate::names::choice_hint(key, SECTION_KEYS, "sections"),
                )
            };
            let location = cx.src.key_location(&pointer).unwrap_or(Location::START);
            cx.at(location, msg, Some(hint));
            continue;
        };
        match PluginRef::parse(reference) {
            Ok(reference) => {
                out.insert(section, Choice { reference, pointer });
            }
            Err(msg) => {
                let location = cx.src.locate_pointer(&pointer);
                cx.at(location, msg, Some(REF_HINT.into()));
            }
        }
    }
    out
}

/// `grants:`: a plugin name to the kinds it may emit beyond its section's allow-list.
fn grants(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Vec<Grant> {
    let mut out = Vec::new();
    for (plugin, kinds) in raw.grants.iter().flatten() {
        let base = format!("/grants/{}", crate::source::escape(plugin));
        if let Some(reason) = dns1123_label_reason(plugin) {
            let location = cx.src.key_location(&base).unwrap_or(Location::START);
            let msg = format!("invalid plugin name `{plugin}` in `grants`: {reason}");
            cx.at(location, msg, Some(LABEL_HINT.into()));
            continue;
        }
        for (i, k) in kinds.iter().enumerate() {
            let pointer = format!("{base}/{i}");
            match parse_kind_ref(k) {
                Ok((group, kind)) => out.push(Grant {
                    plugin: plugin.clone(),
                    group,
                    kind,
                    pointer,
                }),
                Err(msg) => {
                    let location = cx.src.locate_pointer(&pointer);
                    let hint = "write `Kind` for the core group or `Kind.group`, e.g. `ClusterRoleBinding.rbac.authorization.k8s.io`";
                    cx.at(
                        location,
                        format!("invalid grant `{k}`: {msg}"),
                        Some(hint.into()),
                    );
                }
            }
        }
    }
    out
}

/// The `exceptions:` of a file that holds only them (`hms-sys check --exceptions FILE`).
pub(crate) fn exceptions_only(
    raw: &raw::Spec,
    src: &Source,
) -> Result<Vec<crate::model::Exception>, Vec<SpecError>> {
    let mut cx = Ctx::new(src);
    if raw.exceptions.as_ref().is_none_or(Vec::is_empty) {
        cx.at(
            Location::START,
            "the file lists no `exceptions:`",
            Some("write `exceptions:` and a list of entries, as in a spec (docs/spec.md)".into()),
        );
    }
    let list = exceptions(&mut cx, raw);
    if cx.errors.is_empty() {
        Ok(list)
    } else {
        Err(cx.errors)
    }
}

/// `exceptions:`: each needs a control, a justification, an approver or a ticket, and an expiry
/// date (`YYYY-MM-DD`).
fn exceptions(cx: &mut Ctx<'_>, raw: &raw::Spec) -> Vec<crate::model::Exception> {
    let mut out = Vec::new();
    for (i, e) in raw.exceptions.iter().flatten().enumerate() {
        let pointer = format!("/exceptions/{i}");
        let mut ok = true;
        let blank = |s: &str| s.trim().is_empty();
        for (field, value) in [("control", &e.control), ("justification", &e.justification)] {
            if blank(value) {
                let at = cx.src.locate_pointer(&format!("{pointer}/{field}"));
                let hint = match field {
                    "control" => {
                        "name the control id it accepts, e.g. `CIS-5.2.5` (globs allowed: `CIS-5.2.*`)"
                    }
                    _ => "say why the risk is accepted: an auditor reads this",
                };
                cx.at(
                    at,
                    format!("exception {}: `{field}` is empty", i + 1),
                    Some(hint.into()),
                );
                ok = false;
            }
        }
        if e.approver.as_deref().is_none_or(blank) && e.ticket.as_deref().is_none_or(blank) {
            cx.at(
                cx.src.locate_pointer(&pointer),
                format!("exception {} names neither an `approver` nor a `ticket`", i + 1),
                Some("add who approved it (`approver: jane.doe@agency.gov`) or the ticket that did (`ticket: SEC-1234`)".into()),
            );
            ok = false;
        }
        if !is_date(&e.expires) {
            cx.at(
                cx.src.locate_pointer(&format!("{pointer}/expires")),
                format!("exception {}: `expires` is `{}`, not a date", i + 1, e.expires),
                Some("write the last day it applies as YYYY-MM-DD (quoted or not), e.g. `expires: 2027-06-30`".into()),
            );
            ok = false;
        }
        if ok {
            out.push(crate::model::Exception {
                control: e.control.clone(),
                objects: e
                    .objects
                    .iter()
                    .map(|o| crate::model::ObjectPattern {
                        kind: o.kind.clone().unwrap_or_else(|| "*".into()),
                        namespace: o.namespace.clone().unwrap_or_else(|| "*".into()),
                        name: o.name.clone().unwrap_or_else(|| "*".into()),
                    })
                    .collect(),
                justification: e.justification.clone(),
                approver: e.approver.clone(),
                ticket: e.ticket.clone(),
                expires: e.expires.clone(),
                pointer,
            });
        }
    }
    out
}

/// `YYYY-MM-DD` with a month 01-12 and a day 01-31.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}
