//! The `storage` section as written -> the section the renderer reads: this plugin's defaults
//! filled in (provider, access mode, Ceph names), and the rules that join fields (blocks that
//! fit one provider). The section's schema has judged each field alone.

use hms_plugin_sdk::Diagnostic;
use hms_plugin_sdk::pointer::set_default;
use serde_json::Value;

use crate::providers;

/// The provider when none is given (Rook CephFS: on premises, shared, encrypted).
pub const DEFAULT_PROVIDER: &str = "cephfs";
/// Rook's quick-start names: the operator namespace (the clusterID) and the filesystem.
pub const DEFAULT_CEPH_CLUSTER_ID: &str = "rook-ceph";
pub const DEFAULT_CEPH_FS_NAME: &str = "myfs";
/// Rook's quick-start RBD pool (a CephFS data pool is `<fsName>-replicated`).
pub const DEFAULT_RBD_POOL: &str = "replicapool";

/// The access mode when none is given: ReadWriteMany for a file provider (the volume can be
/// shared by every replica), ReadWriteOnce for a block provider.
pub fn default_access_mode(provider: &providers::Provider) -> &'static str {
    if provider.modes.contains(&"ReadWriteMany") {
        "ReadWriteMany"
    } else {
        "ReadWriteOnce"
    }
}

fn only_with(field: &str, wanted: &str, provider: &str) -> Diagnostic {
    Diagnostic::error(
        "STORAGE-BLOCK-PROVIDER",
        format!("`{field}` is only allowed with {wanted}, but the provider is `{provider}`"),
    )
    .at(format!("/volume/{field}"))
    .hint(format!("remove `{field}`, or use {wanted}"))
}

/// Fills in the defaults of `v` (the section as written) and returns the errors of the rules
/// that join fields.
pub fn apply(v: &mut Value) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if !v.get("volume").is_some_and(Value::is_object) {
        return errors;
    }
    set_default(v, "/volume/provider", DEFAULT_PROVIDER.into());
    let name = v["volume"]["provider"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(provider) = providers::find(&name) else {
        return errors;
    };
    set_default(
        v,
        "/volume/accessMode",
        default_access_mode(provider).into(),
    );
    let given = |v: &Value, field: &str| v["volume"].get(field).is_some_and(|x| !x.is_null());
    if given(v, "fileSystemId") && provider.name != "aws-efs" {
        errors.push(only_with(
            "fileSystemId",
            "`provider: aws-efs`",
            provider.name,
        ));
    }
    if provider.name == "aws-efs" && !given(v, "fileSystemId") {
        errors.push(
            Diagnostic::error(
                "STORAGE-EFS-FILE-SYSTEM",
                "`provider: aws-efs` needs `storage.volume.fileSystemId` (the EFS file system to create access points in)",
            )
            .at("/volume/provider")
            .hint("set `fileSystemId` to the EFS file system id (`fs-...`)"),
        );
    }
    if provider.name.starts_with("ceph") {
        set_default(v, "/volume/ceph/clusterID", DEFAULT_CEPH_CLUSTER_ID.into());
        set_default(v, "/volume/ceph/fsName", DEFAULT_CEPH_FS_NAME.into());
        let pool = if provider.name == "cephfs" {
            let fs = v["volume"]["ceph"]["fsName"].as_str().unwrap_or_default();
            format!("{fs}-replicated")
        } else {
            DEFAULT_RBD_POOL.to_string()
        };
        set_default(v, "/volume/ceph/pool", pool.into());
    } else if given(v, "ceph") {
        errors.push(only_with(
            "ceph",
            "`provider: cephfs` or `provider: ceph-rbd`",
            provider.name,
        ));
    }
    errors
}
