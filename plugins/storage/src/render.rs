//! Renders the `storage` section into a StorageClass and a PersistentVolumeClaim.

use hms_plugin_sdk::labels;
use hms_plugin_sdk::{Ctx, Output, Reader};
use serde_json::{Value, json};

use crate::providers::{self, ACCESS_MODES, PROVIDERS, Provider, Volume};
use crate::{defaults, rules};

const COMPONENT: &str = "storage";

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(section: &str, ctx: &Ctx) -> Output {
    let mut r = Reader::new("STORAGE");
    let Some(mut v) = r.parse_section(section) else {
        return Output::failed(r.into_errors());
    };
    let joined = defaults::apply(&mut v);
    if !joined.is_empty() {
        return Output::failed(joined);
    }
    let names: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    let name = r.str(&v, "/volume/name");
    let size = r.quantity(&v, "/volume/size");
    let _enc = r.one_of(&v, "/volume/encryption", &["aes256"]);
    let provider = r
        .one_of(&v, "/volume/provider", &names)
        .and_then(providers::find);
    let mode = r.one_of(&v, "/volume/accessMode", &ACCESS_MODES);
    let kms_key_id = r.opt_str(&v, "/volume/kmsKeyId");
    let file_system_id = r.opt_str(&v, "/volume/fileSystemId");
    let (Some(name), Some(size), Some(p), Some(mode)) = (name, size, provider, mode) else {
        return Output::failed(r.into_errors());
    };
    let ceph = p.name.starts_with("ceph");
    let (cluster_id, fs_name, pool) = if ceph {
        (
            r.str(&v, "/volume/ceph/clusterID"),
            r.str(&v, "/volume/ceph/fsName"),
            r.str(&v, "/volume/ceph/pool"),
        )
    } else {
        (Some(""), Some(""), Some(""))
    };
    let (Some(cluster_id), Some(fs_name), Some(pool), true) = (cluster_id, fs_name, pool, r.ok())
    else {
        return Output::failed(r.into_errors());
    };

    let mut diagnostics = rules::access_mode(p, mode, name, ctx);
    diagnostics.extend(rules::encryption(p, kms_key_id));
    let vol = Volume {
        kms_key_id,
        file_system_id,
        cluster_id,
        fs_name,
        pool,
    };
    let class = format!("{name}-encrypted");
    Output {
        manifests: vec![
            storage_class(&class, p, &vol, ctx),
            claim(name, &class, mode, &size, ctx),
        ],
        diagnostics,
        node_selector: Vec::new(),
    }
}

/// The cluster-scoped StorageClass, annotated with the cipher and the key.
fn storage_class(name: &str, p: &Provider, v: &Volume<'_>, ctx: &Ctx) -> Value {
    let key = v.kms_key_id.unwrap_or("provider-default");
    let annotations = labels::from_pairs(&[
        ("hms.io/encryption", "aes256"),
        ("hms.io/encryption-key", key),
    ]);
    ctx.object("storage.k8s.io/v1", "StorageClass", name, COMPONENT)
        .cluster_scoped()
        .annotations(&annotations)
        .body(json!({
            "provisioner": providers::provisioner(p, v),
            "parameters": providers::parameters(p, v),
            "reclaimPolicy": "Retain",
            "allowVolumeExpansion": true,
            "volumeBindingMode": "WaitForFirstConsumer"
        }))
}

/// The PVC the workload mounts, named after the volume.
fn claim(name: &str, class: &str, mode: &str, size: &str, ctx: &Ctx) -> Value {
    ctx.object("v1", "PersistentVolumeClaim", name, COMPONENT)
        .body(json!({
            "spec": {
                "accessModes": [mode],
                "storageClassName": class,
                "resources": {"requests": {"storage": size}}
            }
        }))
}
