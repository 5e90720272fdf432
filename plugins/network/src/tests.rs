//! Native tests of the network plugin's rendering.

use hms_plugin_sdk::{Ctx, SectionPlugin};
use serde_json::{Value, json};

use crate::NetworkPlugin;

fn ctx() -> Ctx {
    Ctx::new(
        "dcaa-secure",
        "dcaa-secure",
        vec![],
        vec![("hms.io/spec".into(), "dcaa-secure".into())],
        "{}",
    )
}

fn render(section: Value) -> hms_plugin_sdk::Output {
    NetworkPlugin::render(&section.to_string(), &ctx())
}

#[test]
fn example_fences_the_namespace() {
    let out = render(json!({"policy": {
        "name": "dcaa-isolated", "ingressCIDR": "192.168.15.0/24",
        "egress": "deny-all", "allowDNS": false
    }}));
    assert!(!out.has_errors());
    assert_eq!(out.manifests.len(), 1);
    let np = &out.manifests[0];
    assert_eq!(np["kind"], "NetworkPolicy");
    assert_eq!(np["metadata"]["name"], "dcaa-isolated");
    assert_eq!(np["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(np["metadata"]["labels"]["hms.io/spec"], "dcaa-secure");
    assert_eq!(
        np["metadata"]["labels"]["app.kubernetes.io/component"],
        "network-policy"
    );
    assert_eq!(np["spec"]["podSelector"], json!({}));
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "192.168.15.0/24"
    );
    assert_eq!(np["spec"]["egress"], json!([]));
    assert_eq!(out.diagnostics[0].code, "NETWORK-DNS-BLOCKED");
}

#[test]
fn allow_dns_adds_a_second_policy() {
    let out = render(json!({"policy": {
        "name": "p", "ingressCIDR": "fd00::/64", "egress": "deny-all", "allowDNS": true
    }}));
    assert_eq!(out.manifests.len(), 2);
    let dns = &out.manifests[1];
    assert_eq!(dns["metadata"]["name"], "p-allow-dns");
    assert_eq!(dns["spec"]["policyTypes"], json!(["Egress"]));
    let rule = &dns["spec"]["egress"][0];
    assert_eq!(
        rule["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "kube-system"
    );
    assert_eq!(
        rule["to"][0]["podSelector"]["matchLabels"]["k8s-app"],
        "kube-dns"
    );
    assert_eq!(
        rule["ports"],
        json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])
    );
    assert!(out.diagnostics.is_empty());
}

#[test]
fn malformed_section_is_an_error_not_a_panic() {
    let out = render(json!({"policy": {"name": 7, "egress": "allow-all"}}));
    assert!(out.has_errors());
    assert!(out.manifest_texts().is_empty());
    let paths: Vec<_> = out.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/policy/name", "/policy/ingressCIDR", "/policy/egress"]
    );
    let out = NetworkPlugin::render("not json", &ctx());
    assert!(out.has_errors());
    assert_eq!(out.diagnostics[0].code, "NETWORK-SECTION");
}

#[test]
fn metadata_is_complete() {
    let m = NetworkPlugin::meta();
    assert_eq!((m.name, m.section), ("network-policy", "network"));
    assert_eq!(m.emits.len(), 1);
    assert_eq!(m.section_schema["additionalProperties"], false);
    assert_eq!(
        m.section_schema["properties"]["policy"]["additionalProperties"],
        false
    );
}

#[test]
fn the_section_as_written_gets_this_plugins_defaults() {
    // The host hands the section over as written: egress and allowDNS are defaulted here.
    let out = render(json!({"policy": {"name": "np", "ingressCIDR": "10.0.0.0/8"}}));
    assert!(!out.has_errors());
    assert_eq!(out.manifests.len(), 1, "deny-all egress, no DNS policy");
    assert_eq!(out.manifests[0]["spec"]["egress"], json!([]));
    let schema = crate::schema::section_schema();
    let policy = &schema["properties"]["policy"]["properties"];
    assert_eq!(policy["egress"]["default"], "deny-all");
    assert_eq!(policy["allowDNS"]["default"], false);
    let out = render(
        json!({"policy": {"name": "np", "ingressCIDR": "10.0.0.0/8", "egress": "allow-all"}}),
    );
    assert!(out.has_errors());
}
