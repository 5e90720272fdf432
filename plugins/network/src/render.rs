//! Renders the `network` section into NetworkPolicy objects.

use hms_plugin_sdk::{Ctx, Diagnostic, Output, section};
use serde_json::{Value, json};

use crate::section::{Egress, Network};

const API: &str = "networking.k8s.io/v1";
const COMPONENT: &str = "network-policy";

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(text: &str, ctx: &Ctx) -> Output {
    let policy = match section::parse::<Network>(text, "NETWORK") {
        Ok(network) => network.policy,
        Err(errors) => return Output::failed(errors),
    };
    let Egress::DenyAll = policy.egress;
    let mut out = Output {
        manifests: vec![fence(&policy.name, &policy.ingress_cidr, ctx)],
        ..Output::default()
    };
    if policy.allow_dns {
        out.manifests.push(allow_dns_policy(&policy.name, ctx));
    } else {
        out.diagnostics.push(
            Diagnostic::info(
                "NETWORK-DNS-BLOCKED",
                "egress deny-all also blocks DNS: pods in the namespace cannot resolve names",
            )
            .at("/policy/allowDNS")
            .hint("set allowDNS: true to allow UDP/TCP 53 to kube-dns in kube-system"),
        );
    }
    out
}

/// The main policy: every pod in the namespace, ingress only from `cidr`, no egress.
fn fence(name: &str, cidr: &str, ctx: &Ctx) -> Value {
    ctx.object(API, "NetworkPolicy", name, COMPONENT)
        .body(json!({
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}],
                "egress": []
            }
        }))
}

/// The DNS exception: egress to kube-dns pods in kube-system on UDP and TCP 53.
fn allow_dns_policy(name: &str, ctx: &Ctx) -> Value {
    ctx.object(
        API,
        "NetworkPolicy",
        &format!("{name}-allow-dns"),
        COMPONENT,
    )
    .body(json!({
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                    },
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}
                }],
                "ports": [
                    {"protocol": "UDP", "port": 53},
                    {"protocol": "TCP", "port": 53}
                ]
            }]
        }
    }))
}
