//! JSON Schema (draft 2020-12) of the defaulted `workload` section (docs/spec.md).

use serde_json::{Value, json};

fn quantity() -> Value {
    json!({"type": ["string", "number"], "minLength": 1})
}

fn cpu_memory() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["cpu", "memory"],
        "properties": {"cpu": quantity(), "memory": quantity()}
    })
}

/// The schema the host validates the `workload` section against.
pub fn section_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "workload",
        "type": "object",
        "additionalProperties": false,
        "required": ["image", "replicas", "name", "volume", "readOnly", "runAsUser", "resources"],
        "properties": {
            "image": {"type": "string", "format": "image-reference"},
            "replicas": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "format": "dns1123-label"},
            "volume": {"type": "string", "minLength": 1},
            "mountPath": {"type": "string", "pattern": "^/"},
            "readOnly": {"type": "boolean"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "runAsUser": {"type": "integer", "minimum": 10000},
            "resources": {
                "type": "object",
                "additionalProperties": false,
                "required": ["requests", "limits"],
                "properties": {"requests": cpu_memory(), "limits": cpu_memory()}
            }
        }
    })
}
