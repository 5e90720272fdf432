//! The `network` section as written (docs/spec.md): one type for what the plugin reads and the
//! JSON Schema the host validates against, its defaults included.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The network section: NetworkPolicies that fence the spec's namespace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "network")]
pub struct Network {
    pub policy: Policy,
}

/// Ingress only from one CIDR, egress denied, DNS optionally allowed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Policy {
    #[schemars(extend("format" = "dns1123-label"))]
    pub name: String,
    #[serde(rename = "ingressCIDR")]
    #[schemars(extend("format" = "cidr"))]
    pub ingress_cidr: String,
    #[serde(default)]
    pub egress: Egress,
    #[serde(default, rename = "allowDNS")]
    pub allow_dns: bool,
}

/// The egress rule: `deny-all`, the only one and the default.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Egress {
    #[default]
    #[serde(rename = "deny-all")]
    DenyAll,
}
