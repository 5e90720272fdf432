//! Renders the `network` section into NetworkPolicy objects.

use hms_plugin_sdk::labels::{self, Labels};
use hms_plugin_sdk::object::{Scope, metadata, object};
use hms_plugin_sdk::{Ctx, Diagnostic, Output, Reader};
use serde_json::{Value, json};

const API: &str = "networking.k8s.io/v1";
const COMPONENT: &str = "network-policy";
/// The only egress rule, and the default.
pub const EGRESS: &str = "deny-all";

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(section: &str, ctx: &Ctx) -> Output {
    let mut r = Reader::new("NETWORK");
    let Some(v) = r.parse_section(section) else {
        return Output::failed(r.into_errors());
    };
    let name = r.str(&v, "/policy/name");
    let cidr = r.str(&v, "/policy/ingressCIDR");
    // The section arrives as written: the defaults are this plugin's (published in its schema).
    if r.opt_str(&v, "/policy/egress").is_some() {
        r.one_of(&v, "/policy/egress", &[EGRESS]);
    }
    let allow_dns = r.bool_or(&v, "/policy/allowDNS", false);
    let (Some(name), Some(cidr), true) = (name, cidr, r.ok()) else {
        return Output::failed(r.into_errors());
    };

    let labels = labels::standard(&ctx.common_labels, &ctx.spec_name, COMPONENT);
    let mut manifests = vec![fence(name, cidr, &ctx.namespace, &labels)];
    let mut diagnostics = Vec::new();
    if allow_dns {
        manifests.push(allow_dns_policy(name, &ctx.namespace, &labels));
    } else {
        diagnostics.push(
            Diagnostic::info(
                "NETWORK-DNS-BLOCKED",
                "egress deny-all also blocks DNS: pods in the namespace cannot resolve names",
            )
            .at("/policy/allowDNS")
            .hint("set allowDNS: true to allow UDP/TCP 53 to kube-dns in kube-system"),
        );
    }
    Output {
        manifests,
        diagnostics,
        node_selector: Vec::new(),
    }
}

/// The main policy: every pod in the namespace, ingress only from `cidr`, no egress.
fn fence(name: &str, cidr: &str, namespace: &str, labels: &Labels) -> Value {
    object(
        API,
        "NetworkPolicy",
        metadata(name, Scope::Namespaced(namespace), labels, &Labels::new()),
        json!({
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}],
                "egress": []
            }
        }),
    )
}

/// The DNS exception: egress to kube-dns pods in kube-system on UDP and TCP 53.
fn allow_dns_policy(name: &str, namespace: &str, labels: &Labels) -> Value {
    object(
        API,
        "NetworkPolicy",
        metadata(
            &format!("{name}-allow-dns"),
            Scope::Namespaced(namespace),
            labels,
            &Labels::new(),
        ),
        json!({
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
        }),
    )
}
