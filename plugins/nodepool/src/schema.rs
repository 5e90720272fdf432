//! JSON Schema (draft 2020-12) of the defaulted `nodePool` section (docs/spec.md).

use serde_json::{Value, json};

use crate::render::{PROVIDERS, RUNTIMES};

fn object_ref() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["apiGroup", "kind", "name"],
        "properties": {
            "apiGroup": {"type": "string", "minLength": 1, "maxLength": 253},
            "kind": {"type": "string", "pattern": "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"},
            "name": {"type": "string", "minLength": 1, "maxLength": 253}
        }
    })
}

/// The schema the host validates the `nodePool` section against.
pub fn section_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "nodePool",
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "count", "runtime", "provider"],
        "properties": {
            "name": {"type": "string", "format": "dns1123-label"},
            "count": {"type": "integer", "minimum": 1},
            "runtime": {"enum": RUNTIMES},
            "baseline": {"type": "string"},
            "provider": {"enum": PROVIDERS},
            "clusterApi": {
                "type": "object",
                "additionalProperties": false,
                "required": ["clusterName", "infrastructure", "bootstrap"],
                "properties": {
                    "clusterName": {"type": "string", "minLength": 1, "maxLength": 63},
                    "kubernetesVersion": {"type": "string", "pattern": "^v"},
                    "infrastructure": object_ref(),
                    "bootstrap": object_ref()
                }
            },
            "karpenter": {
                "type": "object",
                "additionalProperties": false,
                "required": ["clusterName", "role", "staticCapacity", "kubernetesVersion"],
                "properties": {
                    "clusterName": {"type": "string", "minLength": 1},
                    "role": {"type": "string", "minLength": 1},
                    "staticCapacity": {"type": "boolean"},
                    "kubernetesVersion": {"type": "string", "pattern": "^v?[0-9]+\\.[0-9]+"}
                }
            },
            "static": {
                "type": "object",
                "additionalProperties": false,
                "required": ["labels"],
                "properties": {
                    "labels": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {"type": "string"}
                    }
                }
            }
        },
        "allOf": [
            {
                "if": {"properties": {"provider": {"const": "cluster-api"}}},
                "then": {"required": ["clusterApi"]}
            },
            {
                "if": {"properties": {"provider": {"const": "karpenter"}}},
                "then": {"required": ["karpenter"]}
            },
            {
                "if": {"properties": {"provider": {"const": "static"}}},
                "then": {"required": ["static"]}
            }
        ]
    })
}
