//! Reads the section (applying the schema's defaults) and renders the StorageClass, the claim
//! and, when asked, a ResourceQuota.

use hms_plugin_sdk::labels::{self, Labels};
use hms_plugin_sdk::object::{Scope, metadata, object};
use hms_plugin_sdk::{Ctx, Diagnostic, Output, Reader};
use serde_json::{Value, json};

use crate::schema::{BACKENDS, DEFAULT_BACKEND, DEFAULT_TIER, TIERS};

/// Trident's CSI driver name, the StorageClass provisioner.
pub const PROVISIONER: &str = "csi.trident.netapp.io";
/// Code prefix of this plugin's diagnostics.
const PREFIX: &str = "TRIDENT";
const COMPONENT: &str = "storage";

/// The section's `volume`, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume<'a> {
    pub name: &'a str,
    pub size: String,
    pub tier: &'a str,
    pub svm: &'a str,
    pub backend: &'a str,
    pub encryption: bool,
}

impl<'a> Volume<'a> {
    /// Reads `/volume`, recording an error in `r` for each missing or mistyped field. The host
    /// has already checked the section against the schema; this is the plugin's own guard.
    pub fn read(v: &'a Value, r: &mut Reader) -> Option<Self> {
        let name = r.str(v, "/volume/name");
        let size = r.quantity(v, "/volume/size");
        let svm = r.str(v, "/volume/svm");
        let tier = optional_choice(v, r, "/volume/tier", &TIERS, DEFAULT_TIER);
        let backend = optional_choice(v, r, "/volume/backend", &BACKENDS, DEFAULT_BACKEND);
        let encryption = r.bool_or(v, "/volume/encryption", true);
        if let Some(s) = svm.filter(|s| !is_svm_name(s)) {
            r.invalid(
                "/volume/svm",
                format!("`/volume/svm` `{s}` is not an SVM name Trident can select: use letters, digits, '_', '.' and '-'"),
            );
        }
        if !r.ok() {
            return None;
        }
        Some(Volume {
            name: name?,
            size: size?,
            tier: tier?,
            svm: svm?,
            backend: backend?,
            encryption,
        })
    }

    /// The StorageClass name: one class per volume and tier.
    pub fn class(&self) -> String {
        format!("{}-{}-encrypted", self.name, self.tier)
    }
}

/// An optional enum field: `default` when absent, an error when not one of `allowed`.
fn optional_choice<'v>(
    v: &'v Value,
    r: &mut Reader,
    path: &str,
    allowed: &[&str],
    default: &'static str,
) -> Option<&'v str> {
    match v.pointer(path) {
        None | Some(Value::Null) => Some(default),
        Some(_) => r.one_of(v, path, allowed),
    }
}

/// Whether `s` may be written unquoted in `storagePools` (see [`crate::schema::SVM_PATTERN`]).
fn is_svm_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(section: &str, ctx: &Ctx) -> Output {
    let mut r = Reader::new(PREFIX);
    let Some(v) = r.parse_section(section) else {
        return Output::failed(r.into_errors());
    };
    let vol = Volume::read(&v, &mut r);
    let quota = match v.pointer("/quota") {
        None | Some(Value::Null) => None,
        Some(_) => r.quantity(&v, "/quota"),
    };
    let Some(vol) = vol.filter(|_| r.ok()) else {
        return Output::failed(r.into_errors());
    };
    if !vol.encryption {
        return Output::failed(vec![encryption_refused()]);
    }
    let labels = labels::standard(&ctx.common_labels, &ctx.spec_name, COMPONENT);
    let class = vol.class();
    let mut manifests = vec![
        storage_class(&class, &vol, &labels),
        claim(&vol, &class, &ctx.namespace, &labels),
    ];
    if let Some(q) = quota {
        manifests.push(resource_quota(&vol, &class, &q, &ctx.namespace, &labels));
    }
    Output {
        manifests,
        diagnostics: Vec::new(),
        node_selector: Vec::new(),
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
fn storage_class(name: &str, vol: &Volume<'_>, labels: &Labels) -> Value {
    let annotations = labels::from_pairs(&[
        ("hms.io/encryption", "aes256"),
        ("hms.io/encryption-key", "ontap-key-manager"),
        ("hms.io/svm", vol.svm),
    ]);
    object(
        "storage.k8s.io/v1",
        "StorageClass",
        metadata(name, Scope::Cluster, labels, &annotations),
        json!({
            "provisioner": PROVISIONER,
            "parameters": {
                "backendType": vol.backend,
                "selector": format!("tier={}", vol.tier),
                "encryption": "true",
                "storagePools": format!("{}:.*", regex_literal(vol.svm))
            },
            "reclaimPolicy": "Retain",
            "allowVolumeExpansion": true,
            "volumeBindingMode": "Immediate"
        }),
    )
}

/// The claim the workload mounts: named after the volume, in the spec's namespace. NFS, so
/// every replica can mount it.
fn claim(vol: &Volume<'_>, class: &str, ns: &str, labels: &Labels) -> Value {
    object(
        "v1",
        "PersistentVolumeClaim",
        metadata(vol.name, Scope::Namespaced(ns), labels, &Labels::new()),
        json!({
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": class,
                "resources": {"requests": {"storage": vol.size}}
            }
        }),
    )
}

/// At most `quota` of storage requested from the class in the namespace.
fn resource_quota(vol: &Volume<'_>, class: &str, quota: &str, ns: &str, labels: &Labels) -> Value {
    object(
        "v1",
        "ResourceQuota",
        metadata(
            &format!("{}-storage", vol.name),
            Scope::Namespaced(ns),
            labels,
            &Labels::new(),
        ),
        json!({
            "spec": {
                "hard": {
                    format!("{class}.storageclass.storage.k8s.io/requests.storage"): quota
                }
            }
        }),
    )
}
