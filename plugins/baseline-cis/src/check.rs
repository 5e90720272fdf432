//! The `check` entry point in plain Rust: parses params and manifests and runs every check.

use serde_json::Value;

use crate::cis::{self, Inventory, PodNamespace};
use crate::model::{Finding, INPUT_CODE, ObjectRef, Severity, Sink, parse_params};
use crate::pods::{is_pod_kind, pod_of};
use crate::pss;

fn input_error(message: String, path: String, object: Option<ObjectRef>) -> Finding {
    Finding {
        severity: Severity::Error,
        code: INPUT_CODE.to_string(),
        message,
        path,
        hint: String::new(),
        object,
    }
}

/// [`check`], and the node pool's runtime in `spec` (the whole spec as JSON, `context.spec`)
/// against the profile's `runtimes` ([`crate::runtime`]).
pub fn check_spec(
    manifests: &[String],
    params: &str,
    ctx_namespace: &str,
    spec: &Value,
) -> Vec<Finding> {
    let mut out = check(manifests, params, ctx_namespace);
    if let Ok(p) = parse_params(params) {
        out.extend(crate::runtime::check(&p, spec));
    }
    out
}

/// Checks `manifests` (one JSON object each) against the baseline section `params`.
/// `ctx_namespace` is where objects without a namespace go. Never panics on any input.
pub fn check(manifests: &[String], params: &str, ctx_namespace: &str) -> Vec<Finding> {
    let params = match parse_params(params) {
        Ok(p) => p,
        Err(message) => return vec![input_error(message, String::new(), None)],
    };
    let mut out = Vec::new();
    let mut objects: Vec<(Value, ObjectRef)> = Vec::new();
    for (i, text) in manifests.iter().enumerate() {
        match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => {
                let r = ObjectRef::of(&value);
                objects.push((value, r));
            }
            Ok(_) => out.push(input_error(
                format!("manifest #{i} is not a JSON object"),
                String::new(),
                None,
            )),
            Err(e) => out.push(input_error(
                format!("manifest #{i} is not valid JSON: {e}"),
                String::new(),
                None,
            )),
        }
    }

    let extras = !params.pod_security_only;
    let inv = if extras {
        Inventory::new(&objects, ctx_namespace)
    } else {
        Inventory::default()
    };
    let mut pod_namespaces: Vec<PodNamespace> = Vec::new();
    for (obj, r) in &objects {
        let mut sink = Sink {
            object: r,
            out: &mut out,
        };
        let pod_kind = is_pod_kind(obj, &r.group, &r.kind);
        match pod_of(obj, &r.group, &r.kind) {
            None => {}
            Some(Err(path)) => sink.error(
                INPUT_CODE,
                path,
                format!(
                    "{} has a pod template or spec that is not an object",
                    r.display()
                ),
                "",
            ),
            Some(Ok(pod)) => {
                pss::check_pod(&pod, params.profile, &mut sink);
                if extras {
                    let ns = cis::effective_namespace(r, ctx_namespace);
                    cis::check_pod(&pod, &ns, &inv, &mut sink);
                    if !pod_namespaces.iter().any(|p| p.name == ns) {
                        pod_namespaces.push(PodNamespace {
                            name: ns,
                            first: r.clone(),
                        });
                    }
                }
            }
        }
        if extras {
            cis::check_object(obj, r, pod_kind, &mut sink);
        }
    }
    if extras {
        cis::check_namespaces(&objects, &pod_namespaces, &inv, params.profile, &mut out);
    }
    out
}
