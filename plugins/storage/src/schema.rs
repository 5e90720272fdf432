//! JSON Schema (draft 2020-12) of the defaulted `storage` section (docs/spec.md).

use serde_json::{Value, json};

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
                "required": ["name", "size", "encryption", "provider", "accessMode"],
                "properties": {
                    "name": {"type": "string", "format": "dns1123-label"},
                    "size": {"type": "string", "format": "k8s-quantity"},
                    "encryption": {"enum": ["aes256"]},
                    "provider": {"enum": providers},
                    "accessMode": {"enum": ACCESS_MODES},
                    "kmsKeyId": {"type": "string", "minLength": 1},
                    "fileSystemId": {"type": "string", "minLength": 1},
                    "ceph": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["clusterID", "fsName", "pool"],
                        "properties": {
                            "clusterID": {"type": "string", "minLength": 1},
                            "fsName": {"type": "string", "minLength": 1},
                            "pool": {"type": "string", "minLength": 1}
                        }
                    }
                },
                "if": {"properties": {"provider": {"const": "aws-efs"}}},
                "then": {"required": ["fileSystemId"]}
            }
        }
    })
}
