//! Reads the `workload` section and renders the Namespace, ServiceAccount and Deployment.

use hms_plugin_sdk::labels::{self, Labels};
use hms_plugin_sdk::{Ctx, Output, Reader};
use serde_json::{Value, json};

use crate::defaults::{self, NO_VOLUME};
use crate::pod::{self, Workload};

/// The `app.kubernetes.io/component` of every object.
pub(crate) const COMPONENT: &str = "workload";

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(section: &str, ctx: &Ctx) -> Output {
    let mut r = Reader::new("WORKLOAD");
    let Some(mut v) = r.parse_section(section) else {
        return Output::failed(r.into_errors());
    };
    let joined = defaults::apply(&mut v, ctx);
    if !joined.is_empty() {
        return Output::failed(joined);
    }
    let Some(w) = read(&v, &mut r) else {
        return Output::failed(r.into_errors());
    };
    let labels = labels::standard(&ctx.common_labels, w.name, COMPONENT);
    Output {
        manifests: vec![
            namespace(ctx, &labels),
            service_account(w.name, ctx, &labels),
            pod::deployment(&w, ctx, &labels),
        ],
        diagnostics: Vec::new(),
        node_selector: Vec::new(),
    }
}

fn read<'v>(v: &'v Value, r: &mut Reader) -> Option<Workload<'v>> {
    let image = r.str(v, "/image");
    let replicas = r.u64(v, "/replicas");
    let name = r.str(v, "/name");
    let volume = r.str(v, "/volume");
    let mount_path = r.opt_str(v, "/mountPath");
    let read_only = r.bool_or(v, "/readOnly", false);
    let port = r.opt_u64(v, "/port");
    let run_as_user = r.u64(v, "/runAsUser");
    let resources = [
        "/resources/requests/cpu",
        "/resources/requests/memory",
        "/resources/limits/cpu",
        "/resources/limits/memory",
    ]
    .map(|p| r.quantity(v, p));
    if replicas == Some(0) {
        r.invalid("/replicas", "`/replicas` must be at least 1");
    }
    if port.is_some_and(|p| !(1..=65535).contains(&p)) {
        r.invalid("/port", "`/port` must be between 1 and 65535");
    }
    if run_as_user.is_some_and(|u| u < 10000) {
        r.invalid("/runAsUser", "`/runAsUser` must be at least 10000");
    }
    if volume.is_some_and(|v| v != NO_VOLUME) && mount_path.is_none() {
        r.invalid("/mountPath", "required field `/mountPath` is missing");
    }
    let [Some(rc), Some(rm), Some(lc), Some(lm)] = resources else {
        return None;
    };
    if !r.ok() {
        return None;
    }
    Some(Workload {
        image: image?,
        replicas: replicas?,
        name: name?,
        volume: volume.filter(|v| *v != NO_VOLUME),
        mount_path: mount_path.unwrap_or_default(),
        read_only,
        port,
        run_as_user: run_as_user?,
        resources: json!({
            "requests": {"cpu": rc, "memory": rm},
            "limits": {"cpu": lc, "memory": lm}
        }),
    })
}

/// The namespace, enforcing (and auditing and warning on) Pod Security `restricted`.
fn namespace(ctx: &Ctx, labels: &Labels) -> Value {
    let mut l = labels.clone();
    for mode in ["enforce", "audit", "warn"] {
        l.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            "restricted".into(),
        );
        l.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            "latest".into(),
        );
    }
    ctx.object("v1", "Namespace", &ctx.namespace, COMPONENT)
        .cluster_scoped()
        .labels(&l)
        .body(json!({}))
}

/// A dedicated ServiceAccount that mounts no token.
fn service_account(name: &str, ctx: &Ctx, labels: &Labels) -> Value {
    ctx.object("v1", "ServiceAccount", name, COMPONENT)
        .labels(labels)
        .body(json!({"automountServiceAccountToken": false}))
}
