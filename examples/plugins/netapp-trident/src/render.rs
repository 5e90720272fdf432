//! Reads the section (typed: [`crate::schema::Storage`], defaults applied by serde) and renders
//! the StorageClass, the claim and, when asked, a ResourceQuota.

use hms_plugin_sdk::labels;
use hms_plugin_sdk::{Ctx, Diagnostic, Output, section};
use serde_json::{Value, json};

use crate::schema::{Storage, Volume};

/// Trident's CSI driver name, the StorageClass provisioner.
pub const PROVISIONER: &str = "csi.trident.netapp.io";
/// Code prefix of this plugin's diagnostics.
const PREFIX: &str = "TRIDENT";
const COMPONENT: &str = "storage";

/// Whether `s` may be written unquoted in `storagePools` (see [`crate::schema::SVM_PATTERN`]).
fn is_svm_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Renders the section text; a malformed section gives error diagnostics, never a panic. The
/// host has already checked the section against the schema; this is the plugin's own guard.
pub fn render(text: &str, ctx: &Ctx) -> Output {
    let Storage { volume: vol, quota } = match section::parse::<Storage>(text, PREFIX) {
        Ok(s) => s,
        Err(errors) => return Output::failed(errors),
    };
    if !is_svm_name(&vol.svm) {
        return Output::failed(vec![Diagnostic::error(
            "TRIDENT-SECTION",
            format!("`/volume/svm` `{}` is not an SVM name Trident can select: use letters, digits, '_', '.' and '-'", vol.svm),
        ).at("/volume/svm")]);
    }
    if !vol.encryption {
        return Output::failed(vec![encryption_refused()]);
    }
    let class = vol.class();
    let mut manifests = vec![storage_class(&class, &vol, ctx), claim(&vol, &class, ctx)];
    if let Some(q) = quota {
        manifests.push(resource_quota(&vol, &class, &q, ctx));
    }
    Output {
        manifests,
        ..Output::default()
    }
}

/// `encryption: false`, refused with the reason.
fn encryption_refused() -> Diagnostic {
    Diagnostic::error(
        "TRIDENT-ENCRYPTION",
        "encryption cannot be turned off: the volume holds agency records, which must be \
         encrypted at rest, and an unencrypted class would let any claim on it land on \
         unencrypted ONTAP volumes",
    )
    .at("/volume/encryption")
    .hint(
        "remove `encryption: false` (true is the default); if the SVM cannot encrypt, ask the \
         storage team to enable NetApp Volume Encryption (a key manager) for it and set \
         `encryption: \"true\"` on its Trident backend",
    )
}

/// Escapes the regular-expression metacharacters an SVM name may contain (only `.`).
fn regex_literal(s: &str) -> String {
    s.replace('.', "\\.")
}

/// The cluster-scoped StorageClass. Its parameters are Trident storage-class attributes:
/// `backendType` (the driver), `selector` (pool labels), `encryption` (pools with NetApp
/// Volume Encryption) and `storagePools` (`<backend>:<pool regex>`: every pool of the SVM's
/// backend). Trident refuses a class with any parameter it does not know, so there are no
/// others.
fn storage_class(name: &str, vol: &Volume, ctx: &Ctx) -> Value {
    let annotations = labels::from_pairs(&[
        ("hms.io/encryption", "aes256"),
        ("hms.io/encryption-key", "ontap-key-manager"),
        ("hms.io/svm", &vol.svm),
    ]);
    ctx.object("storage.k8s.io/v1", "StorageClass", name, COMPONENT)
        .cluster_scoped()
        .annotations(&annotations)
        .body(json!({
            "provisioner": PROVISIONER,
            "parameters": {
                "backendType": vol.backend.as_str(),
                "selector": format!("tier={}", vol.tier.as_str()),
                "encryption": "true",
                "storagePools": format!("{}:.*", regex_literal(&vol.svm))
            },
            "reclaimPolicy": "Retain",
            "allowVolumeExpansion": true,
            "volumeBindingMode": "Immediate"
        }))
}

/// The claim the workload mounts: named after the volume, in the spec's namespace. NFS, so
/// every replica can mount it.
fn claim(vol: &Volume, class: &str, ctx: &Ctx) -> Value {
    ctx.object("v1", "PersistentVolumeClaim", &vol.name, COMPONENT)
        .body(json!({
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": class,
                "resources": {"requests": {"storage": vol.size}}
            }
        }))
}

/// At most `quota` of storage requested from the class in the namespace.
fn resource_quota(vol: &Volume, class: &str, quota: &str, ctx: &Ctx) -> Value {
    let name = format!("{}-storage", vol.name);
    ctx.object("v1", "ResourceQuota", &name, COMPONENT)
        .body(json!({
            "spec": {
                "hard": {
                    format!("{class}.storageclass.storage.k8s.io/requests.storage"): quota
                }
            }
        }))
}
