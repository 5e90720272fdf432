//! JSON Schema (draft 2020-12) of the `storage` section as this plugin accepts it. The host
//! validates the section against it before `render` (unknown fields with "did you mean", enum
//! choices, required fields, the host's named formats); `default` is published for people and
//! tools, and applied by the plugin itself.

use serde_json::{Value, json};

/// Service tiers; each is a Trident label (`tier=<tier>`) on the backend's (virtual) pools.
pub const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
/// The tier when the section names none.
pub const DEFAULT_TIER: &str = "silver";

/// Trident's ONTAP NAS drivers: NFS volumes that many replicas can mount (ReadWriteMany) and
/// that ONTAP encrypts with NetApp Volume Encryption when the backend enables it.
pub const BACKENDS: [&str; 3] = ["ontap-nas", "ontap-nas-economy", "ontap-nas-flexgroup"];
/// The driver when the section names none.
pub const DEFAULT_BACKEND: &str = "ontap-nas";

/// An SVM name as ONTAP writes it, restricted to what fits in Trident's `storagePools`
/// parameter unquoted (no `:`, `,` or `;`).
pub const SVM_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";

/// The schema the host validates the `storage` section against.
pub fn section_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "storage (netapp-trident)",
        "type": "object",
        "additionalProperties": false,
        "required": ["volume"],
        "properties": {
            "volume": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "size", "svm"],
                "properties": {
                    "name": {
                        "description": "the PersistentVolumeClaim's name; the workload mounts it",
                        "type": "string",
                        "format": "dns1123-label"
                    },
                    "size": {
                        "description": "requested capacity, e.g. 1Ti or 500Gi",
                        "type": "string",
                        "format": "k8s-quantity"
                    },
                    "tier": {
                        "description": "service tier: the Trident selector tier=<tier>",
                        "enum": TIERS,
                        "default": DEFAULT_TIER
                    },
                    "svm": {
                        "description": "the SVM to provision on; its Trident backend must be named after it (backendName)",
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 253,
                        "pattern": SVM_PATTERN
                    },
                    "backend": {
                        "description": "the Trident storage driver (backendType)",
                        "enum": BACKENDS,
                        "default": DEFAULT_BACKEND
                    },
                    "encryption": {
                        "description": "NetApp Volume Encryption; must stay true",
                        "type": "boolean",
                        "default": true
                    }
                }
            },
            "quota": {
                "description": "optional cap on the claims of this class in the namespace (a ResourceQuota; needs a grant)",
                "type": "string",
                "format": "k8s-quantity"
            }
        }
    })
}
