//! JSON Schema (draft 2020-12) of the defaulted `network` section (docs/spec.md).

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
                "required": ["name", "ingressCIDR", "egress", "allowDNS"],
                "properties": {
                    "name": {"type": "string", "format": "dns1123-label"},
                    "ingressCIDR": {"type": "string", "format": "cidr"},
                    "egress": {"enum": ["deny-all"]},
                    "allowDNS": {"type": "boolean"}
                }
            }
        }
    })
}
