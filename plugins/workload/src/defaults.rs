//! The `workload` section as written -> the section the renderer reads: this plugin's
//! defaults filled in (name, replicas, the storage section's volume and where it is mounted,
//! user, resources), and the rules that join fields or sections. The section's schema has
//! judged each field alone.

use hms_plugin_sdk::image::default_name;
use hms_plugin_sdk::pointer::set_default;
use hms_plugin_sdk::{Ctx, Diagnostic};
use serde_json::Value;

/// The user the container runs as when none is given (CIS 5.2.6: not root, above the range
/// distributions give to system accounts).
pub const DEFAULT_RUN_AS_USER: u64 = 10001;
/// `volume: none` mounts nothing.
pub const NO_VOLUME: &str = "none";
/// Requests and limits when not given: `(pointer, quantity)`.
pub const DEFAULT_RESOURCES: [(&str, &str); 4] = [
    ("/resources/requests/cpu", "100m"),
    ("/resources/requests/memory", "128Mi"),
    ("/resources/limits/cpu", "500m"),
    ("/resources/limits/memory", "256Mi"),
];

/// Where a volume is mounted when `mountPath` is not given: `/data/` and the last
/// `-`-separated part of its name (`contract-pdfs` is mounted at `/data/pdfs`).
pub fn default_mount_path(volume: &str) -> String {
    format!("/data/{}", volume.rsplit('-').next().unwrap_or(volume))
}

fn error(code: &str, path: &str, message: String, hint: &str) -> Diagnostic {
    Diagnostic::error(code, message).at(path).hint(hint)
}

/// Fills in the defaults of `v` (the section as written) and returns the errors of the rules
/// that join fields: the volume against the spec's `storage` section, the mount path against
/// the volume.
pub fn apply(v: &mut Value, ctx: &Ctx) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if !v.is_object() {
        return errors;
    }
    if let Some(image) = v.get("image").and_then(Value::as_str) {
        let name = default_name(image).to_string();
        set_default(v, "/name", name.into());
    }
    set_default(v, "/replicas", 1.into());
    set_default(v, "/readOnly", false.into());
    set_default(v, "/runAsUser", DEFAULT_RUN_AS_USER.into());
    for (pointer, quantity) in DEFAULT_RESOURCES {
        set_default(v, pointer, quantity.into());
    }

    let has_storage = ctx.spec_at("/storage").is_some_and(|s| !s.is_null());
    let storage_volume = ctx
        .spec_at("/storage/volume/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let given = v.get("volume").and_then(Value::as_str).map(str::to_string);
    let no_storage =
        "add a `storage:` section (see examples/dcaa_cluster.yml) or set `workload.volume: none`";
    let volume = match (given.as_deref(), storage_volume) {
        (Some(NO_VOLUME), _) => Some(NO_VOLUME.to_string()),
        (None, Some(sv)) => Some(sv),
        (Some(v), Some(sv)) if v == sv => Some(sv),
        (Some(v), Some(sv)) => {
            errors.push(error(
                "WORKLOAD-VOLUME",
                "/volume",
                format!("`workload.volume` `{v}` does not name the storage volume `{sv}`"),
                &format!("use `volume: {sv}` or `volume: none`"),
            ));
            None
        }
        (Some(v), None) if !has_storage => {
            errors.push(error(
                "WORKLOAD-VOLUME",
                "/volume",
                format!("the workload mounts volume `{v}` but the spec has no `storage` section"),
                no_storage,
            ));
            None
        }
        (None, None) if !has_storage => {
            errors.push(error(
                "WORKLOAD-VOLUME",
                "",
                "the workload mounts a volume but the spec has no `storage` section".into(),
                no_storage,
            ));
            None
        }
        (None, None) => {
            errors.push(error(
                "WORKLOAD-VOLUME",
                "",
                "the workload mounts the storage section's volume, but that section names no `volume.name`".into(),
                "set `workload.volume` to the volume's name, or to `none`",
            ));
            None
        }
        // A volume named, and a storage section without a name to compare: trust the name.
        (Some(v), None) => Some(v.to_string()),
    };
    let Some(volume) = volume else {
        return errors;
    };
    set_default(v, "/volume", volume.clone().into());
    let mount = v
        .get("mountPath")
        .and_then(Value::as_str)
        .map(str::to_string);
    match mount {
        Some(_) if volume == NO_VOLUME => errors.push(error(
            "WORKLOAD-MOUNT-PATH",
            "/mountPath",
            "`workload.mountPath` needs a volume, but `workload.volume` is `none`".into(),
            "remove `mountPath`",
        )),
        Some(p) if !p.starts_with('/') => errors.push(error(
            "WORKLOAD-MOUNT-PATH",
            "/mountPath",
            format!("`workload.mountPath` must be an absolute path, got `{p}`"),
            &format!("use `/{p}`"),
        )),
        Some(_) => {}
        None if volume == NO_VOLUME => {}
        None => set_default(v, "/mountPath", default_mount_path(&volume).into()),
    }
    errors
}
