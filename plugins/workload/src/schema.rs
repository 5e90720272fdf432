//! JSON Schema (draft 2020-12) of the `workload` section as written (docs/spec.md). The
//! defaults it publishes are the ones `defaults::apply` fills in.

use serde_json::{Value, json};

use crate::defaults::{DEFAULT_RESOURCES, DEFAULT_RUN_AS_USER};

fn quantity(pointer: &str) -> Value {
    let default = DEFAULT_RESOURCES
        .iter()
        .find(|(p, _)| *p == pointer)
        .map_or("", |(_, q)| q);
    // A number is a quantity too (`cpu: 1`); the format judges strings only.
    json!({
        "type": ["string", "number"],
        "format": "k8s-quantity",
        "exclusiveMinimum": 0,
        "default": default
    })
}

fn cpu_memory(which: &str) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "cpu": quantity(&format!("/resources/{which}/cpu")),
            "memory": quantity(&format!("/resources/{which}/memory"))
        }
    })
}

/// The schema the host validates the `workload` section against.
pub fn section_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "workload",
        "type": "object",
        "additionalProperties": false,
        "required": ["image"],
        "properties": {
            "image": {"type": "string", "format": "image-reference", "description": "The container image; pin it by digest"},
            "replicas": {"type": "integer", "minimum": 1, "default": 1},
            "name": {
                "type": "string",
                "format": "dns1123-label",
                "description": "Defaults to the last part of the image's repository"
            },
            "volume": {
                "type": "string",
                "minLength": 1,
                "description": "The storage section's volume (the default), or `none`"
            },
            "mountPath": {"type": "string", "description": "Defaults to /data/<last part of the volume name>"},
            "readOnly": {"type": "boolean", "default": false},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "runAsUser": {"type": "integer", "minimum": 10000, "maximum": 4294967295u64, "default": DEFAULT_RUN_AS_USER},
            "resources": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"requests": cpu_memory("requests"), "limits": cpu_memory("limits")}
            }
        }
    })
}
