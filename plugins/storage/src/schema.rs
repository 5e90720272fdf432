//! JSON Schema (draft 2020-12) of the `storage` section as written (docs/spec.md). The
//! defaults it publishes are the ones `defaults::apply` fills in.

use serde_json::{Value, json};

use crate::defaults::{DEFAULT_CEPH_CLUSTER_ID, DEFAULT_CEPH_FS_NAME, DEFAULT_PROVIDER};
use crate::providers::{ACCESS_MODES, PROVIDERS};

/// The schema the host validates the `storage` section against.
pub fn section_schema() -> Value {
    let providers: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "storage",
        "type": "object",
        "additionalProperties": false,
        "required": ["volume"],
        "properties": {
            "volume": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "size", "encryption"],
                "properties": {
                    "name": {
                        "type": "string",
                        "format": "dns1123-label",
                        "description": "The PersistentVolumeClaim's name; the workload mounts it"
                    },
                    "size": {
                        "type": ["string", "number"],
                        "format": "k8s-quantity",
                        "exclusiveMinimum": 0,
                        "description": "e.g. 1Ti"
                    },
                    "encryption": {"enum": ["aes256"], "description": "At-rest encryption"},
                    "provider": {"enum": providers, "default": DEFAULT_PROVIDER},
                    "accessMode": {
                        "enum": ACCESS_MODES,
                        "description": "Defaults to ReadWriteMany for a file provider, ReadWriteOnce for a block provider"
                    },
                    "kmsKeyId": {"type": "string", "minLength": 1, "description": "The key that encrypts the volume"},
                    "fileSystemId": {
                        "type": "string",
                        "minLength": 1,
                        "description": "provider: aws-efs only, and needed there"
                    },
                    "ceph": {
                        "type": "object",
                        "additionalProperties": false,
                        "description": "provider: cephfs or ceph-rbd only",
                        "properties": {
                            "clusterID": {"type": "string", "minLength": 1, "default": DEFAULT_CEPH_CLUSTER_ID},
                            "fsName": {"type": "string", "minLength": 1, "default": DEFAULT_CEPH_FS_NAME},
                            "pool": {
                                "type": "string",
                                "minLength": 1,
                                "description": "Defaults to <fsName>-replicated for cephfs, replicapool for ceph-rbd"
                            }
                        }
                    }
                }
            }
        }
    })
}
