//! The `storage` section as this plugin accepts it: one Rust type for what the plugin reads and
//! the JSON Schema the host validates against before `render` (unknown fields with "did you
//! mean", enum choices, required fields, the host's named formats). The defaults serde applies
//! are the ones the schema publishes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An SVM name as ONTAP writes it, restricted to what fits in Trident's `storagePools`
/// parameter unquoted (no `:`, `,` or `;`).
pub const SVM_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";

/// An encrypted NetApp Trident volume and its class.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "storage (netapp-trident)")]
pub struct Storage {
    pub volume: Volume,
    /// optional cap on the claims of this class in the namespace (a ResourceQuota; needs a grant)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "k8s-quantity"))]
    pub quota: Option<String>,
}

/// The volume: its claim, capacity, tier, SVM and driver.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// the PersistentVolumeClaim's name; the workload mounts it
    #[schemars(extend("format" = "dns1123-label"))]
    pub name: String,
    /// requested capacity, e.g. 1Ti or 500Gi
    #[schemars(extend("format" = "k8s-quantity"))]
    pub size: String,
    /// service tier: the Trident selector tier=<tier>
    #[serde(default)]
    pub tier: Tier,
    /// the SVM to provision on; its Trident backend must be named after it (backendName)
    #[schemars(length(min = 1, max = 253), regex(pattern = SVM_PATTERN))]
    pub svm: String,
    /// the Trident storage driver (backendType)
    #[serde(default)]
    pub backend: Backend,
    /// NetApp Volume Encryption; must stay true
    #[serde(default = "encrypted")]
    pub encryption: bool,
}

fn encrypted() -> bool {
    true
}

/// Service tiers; each is a Trident label (`tier=<tier>`) on the backend's (virtual) pools.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Gold,
    #[default]
    Silver,
    Bronze,
}

/// Trident's ONTAP NAS drivers: NFS volumes that many replicas can mount (ReadWriteMany) and
/// that ONTAP encrypts with NetApp Volume Encryption when the backend enables it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    #[default]
    OntapNas,
    OntapNasEconomy,
    OntapNasFlexgroup,
}

impl Tier {
    /// The name as written in the section.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Gold => "gold",
            Tier::Silver => "silver",
            Tier::Bronze => "bronze",
        }
    }
}

impl Backend {
    /// The driver name as written in the section (Trident's `backendType`).
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::OntapNas => "ontap-nas",
            Backend::OntapNasEconomy => "ontap-nas-economy",
            Backend::OntapNasFlexgroup => "ontap-nas-flexgroup",
        }
    }
}

impl Volume {
    /// The StorageClass name: one class per volume and tier.
    pub fn class(&self) -> String {
        format!("{}-{}-encrypted", self.name, self.tier.as_str())
    }
}
