//! The parameters, their schema, and the two rules, in plain Rust over `serde_json::Value`.

use serde_json::{Value, json};

use crate::NAME;

/// Code of findings about the input itself (params or a manifest that cannot be judged).
pub const INPUT_CODE: &str = "AGENCY-INPUT";
/// Code of a missing required label.
pub const LABEL_CODE: &str = "AGENCY-REQUIRED-LABEL";
/// Code of an image from a registry the agency has not approved.
pub const REGISTRY_CODE: &str = "AGENCY-REGISTRY";

/// The labels required when the params name none.
pub const DEFAULT_REQUIRED_LABELS: [&str; 1] = ["hms.io/owner"];

/// A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name.
const LABEL_KEY_PATTERN: &str = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

/// A finding is the SDK's diagnostic with its object set.
pub use hms_plugin_sdk::{Diagnostic as Finding, ObjectRef, Severity};

/// The baseline's parameters, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub required_labels: Vec<String>,
    pub approved_registries: Vec<String>,
}

/// JSON Schema (draft 2020-12) of the parameters: the baseline entry without `plugin`.
pub fn params_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "baseline agency-rules",
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "approvedRegistries"],
        "properties": {
            "name": {"const": NAME},
            "requiredLabels": {
                "description": "label keys every object must carry in metadata.labels",
                "type": "array",
                "uniqueItems": true,
                "items": {"type": "string", "maxLength": 317, "pattern": LABEL_KEY_PATTERN},
                "default": DEFAULT_REQUIRED_LABELS
            },
            "approvedRegistries": {
                "description": "image prefixes containers may be pulled from, e.g. ghcr.io/hms/",
                "type": "array",
                "minItems": 1,
                "uniqueItems": true,
                "items": {"type": "string", "minLength": 1}
            }
        },
        // What each finding code means, for `hms-sys explain CODE --spec SPEC`: an annotation
        // keyword, ignored by validation (any plugin, in any language, can publish one).
        "x-hms-explain": {
            INPUT_CODE: {
                "summary": "The agency's rules could not judge their input: the parameters or a manifest cannot be read.",
                "why": "A rule that cannot read something cannot say it is compliant.",
                "control": "",
                "fix": "Correct the `agency-rules` entry's parameters in the spec's `baseline:`."
            },
            LABEL_CODE: {
                "summary": "An object lacks a label the agency requires on every object (`requiredLabels`).",
                "why": "The agency finds, bills and audits objects by these labels.",
                "control": "NIST SP 800-53 CM-8 (system component inventory)",
                "fix": "Have the plugin that renders the object add the label, or remove it from `requiredLabels`."
            },
            REGISTRY_CODE: {
                "summary": "A container image comes from a registry the agency has not approved (`approvedRegistries`).",
                "why": "Only images from approved registries are scanned and signed by the agency.",
                "control": "NIST SP 800-53 CM-7(5) (authorized software), SA-12",
                "fix": "Push the image to an approved registry and use that reference, or add the registry to `approvedRegistries`."
            }
        }
    })
}

/// Parses `params` (the host has validated them against [`params_schema`]; this is the
/// plugin's own guard) and applies the defaults.
pub fn parse_params(text: &str) -> Result<Params, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("params are not JSON: {e}"))?;
    if v.get("name").and_then(Value::as_str) != Some(NAME) {
        return Err(format!("params.name must be `{NAME}`"));
    }
    let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("params.{key} must be a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(format!("params.{key} must be a list of strings")),
        }
    };
    let required_labels = strings("requiredLabels")?
        .unwrap_or_else(|| DEFAULT_REQUIRED_LABELS.map(String::from).to_vec());
    let approved_registries = strings("approvedRegistries")?.unwrap_or_default();
    if approved_registries.is_empty() || approved_registries.iter().any(String::is_empty) {
        return Err("params.approvedRegistries must name at least one registry prefix".into());
    }
    Ok(Params {
        required_labels,
        approved_registries,
    })
}

fn input_error(message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        code: INPUT_CODE.to_string(),
        message,
        path: String::new(),
        hint: String::new(),
        object: None,
    }
}

/// Checks `manifests` (one JSON object each) against the agency's rules in `params`. Never
/// panics on any input.
pub fn check(manifests: &[String], params: &str) -> Vec<Finding> {
    let params = match parse_params(params) {
        Ok(p) => p,
        Err(message) => return vec![input_error(message)],
    };
    let mut out = Vec::new();
    for (i, text) in manifests.iter().enumerate() {
        match serde_json::from_str::<Value>(text) {
            Ok(obj @ Value::Object(_)) => {
                let r = ObjectRef::of(&obj);
                check_labels(&obj, &r, &params, &mut out);
                check_images(&obj, &r, &params, &mut out);
            }
            Ok(_) => out.push(input_error(format!("manifest #{i} is not a JSON object"))),
            Err(e) => out.push(input_error(format!("manifest #{i} is not valid JSON: {e}"))),
        }
    }
    out
}

/// `AGENCY-REQUIRED-LABEL`: one finding per object, naming every required label it lacks.
fn check_labels(obj: &Value, r: &ObjectRef, params: &Params, out: &mut Vec<Finding>) {
    let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
    let missing: Vec<&str> = params
        .required_labels
        .iter()
        .filter(|key| {
            labels
                .and_then(|l| l.get(key.as_str()))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return;
    }
    let list = missing
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (noun, them) = if missing.len() == 1 {
        ("label", "it")
    } else {
        ("labels", "them")
    };
    out.push(Finding {
        severity: Severity::Error,
        code: LABEL_CODE.to_string(),
        message: format!(
            "{} has no {noun} {list}; the agency requires it on every object (requiredLabels)",
            r.display()
        ),
        path: "/metadata/labels".to_string(),
        hint: format!(
            "the plugin that renders this object must set {them}; hms-sys gives every object \
             app.kubernetes.io/managed-by and hms.io/spec, which requiredLabels may name instead"
        ),
        object: Some(r.clone()),
    });
}

/// Where a pod-bearing kind keeps its pod spec, as a JSON pointer; `None` for other kinds.
pub fn pod_spec_pointer(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some("/spec"),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => Some("/spec/template/spec"),
        ("batch", "CronJob") => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// Whether `image` comes from `prefix`: a string prefix that ends at a path boundary, so
/// `ghcr.io/hms` approves `ghcr.io/hms/x` but not `ghcr.io/hms-other/x`.
pub fn approved_by(image: &str, prefix: &str) -> bool {
    match image.strip_prefix(prefix) {
        None => false,
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', ':', '@']),
    }
}

/// `AGENCY-REGISTRY`: every container, init container and ephemeral container image of a
/// pod-bearing object comes from an approved registry.
fn check_images(obj: &Value, r: &ObjectRef, params: &Params, out: &mut Vec<Finding>) {
    let Some(pod) = pod_spec_pointer(&r.group, &r.kind) else {
        return;
    };
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let at = format!("{pod}/{list}");
        let Some(containers) = obj.pointer(&at).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in containers.iter().enumerate() {
            let Some(image) = c.get("image").and_then(Value::as_str) else {
                continue;
            };
            if params
                .approved_registries
                .iter()
                .any(|p| approved_by(image, p))
            {
                continue;
            }
            let container = c.get("name").and_then(Value::as_str).unwrap_or("?");
            out.push(Finding {
                severity: Severity::Error,
                code: REGISTRY_CODE.to_string(),
                message: format!(
                    "{} runs image `{image}` (container `{container}`), which is not from a registry the agency approved",
                    r.display()
                ),
                path: format!("{at}/{i}/image"),
                hint: format!(
                    "use an image from {} (written in full, registry included), or have the \
                     registry reviewed and added to approvedRegistries",
                    params.approved_registries.join(", ")
                ),
                object: Some(r.clone()),
            });
        }
    }
}
