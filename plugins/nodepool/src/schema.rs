//! JSON Schema (draft 2020-12) of the `nodePool` section as written (docs/spec.md). The
//! defaults it publishes are the ones `defaults::apply` fills in.

use serde_json::{Value, json};

use crate::defaults::{DEFAULT_KARPENTER_VERSION, DEFAULT_PROVIDER};
use crate::render::{PROVIDERS, RUNTIMES};

fn object_ref(group: &str, kind: &str) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "A Cluster API template object; each field defaults as shown, the name to the pool's",
        "properties": {
            "apiGroup": {"type": "string", "minLength": 1, "maxLength": 253, "default": group},
            "kind": {
                "type": "string",
                "pattern": "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$",
                "default": kind
            },
            "name": {"type": "string", "format": "dns1123-subdomain"}
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
        "required": ["name", "count", "runtime"],
        "properties": {
            "name": {"type": "string", "format": "dns1123-label", "description": "The pool's name"},
            "count": {"type": "integer", "minimum": 1, "description": "How many nodes"},
            "runtime": {"enum": RUNTIMES, "description": "The node image family; fips-* runtimes are FIPS 140 validated"},
            "provider": {"enum": PROVIDERS, "default": DEFAULT_PROVIDER, "description": "Who creates the nodes"},
            "clusterApi": {
                "type": "object",
                "additionalProperties": false,
                "description": "provider: cluster-api only",
                "properties": {
                    "clusterName": {
                        "type": "string",
                        "format": "dns1123-subdomain",
                        "description": "The CAPI Cluster; defaults to the spec's name"
                    },
                    "kubernetesVersion": {"type": "string", "description": "e.g. v1.33.1"},
                    "infrastructure": object_ref("infrastructure.cluster.x-k8s.io", "AWSMachineTemplate"),
                    "bootstrap": object_ref("bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate")
                }
            },
            "karpenter": {
                "type": "object",
                "additionalProperties": false,
                "description": "provider: karpenter only",
                "properties": {
                    "clusterName": {
                        "type": "string",
                        "minLength": 1,
                        "description": "The EKS cluster; defaults to the spec's name"
                    },
                    "role": {
                        "type": "string",
                        "minLength": 1,
                        "description": "The nodes' IAM role; defaults to KarpenterNodeRole-<clusterName>"
                    },
                    "staticCapacity": {"type": "boolean", "default": false},
                    "kubernetesVersion": {"type": "string", "default": DEFAULT_KARPENTER_VERSION}
                }
            },
            "static": {
                "type": "object",
                "additionalProperties": false,
                "description": "provider: static only",
                "properties": {
                    "labels": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {"type": "string"},
                        "description": "Labels that select the existing nodes; defaults to hms.io/pool: <name>"
                    }
                }
            }
        }
    })
}
