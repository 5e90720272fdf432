//! JSON Schema (draft 2020-12) of the `network` section as written (docs/spec.md): this plugin
//! owns the section, its defaults included.

use serde_json::{Value, json};

/// The schema the host validates the `network` section against.
pub fn section_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "network",
        "type": "object",
        "additionalProperties": false,
        "required": ["policy"],
        "properties": {
            "policy": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "ingressCIDR"],
                "properties": {
                    "name": {"type": "string", "format": "dns1123-label"},
                    "ingressCIDR": {"type": "string", "format": "cidr"},
                    "egress": {"enum": [crate::render::EGRESS], "default": crate::render::EGRESS},
                    "allowDNS": {"type": "boolean", "default": false}
                }
            }
        }
    })
}
