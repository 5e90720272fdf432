//! Native tests of the network plugin's rendering.

use hms_plugin_sdk::testing::{self, render};
use hms_plugin_sdk::{Ctx, SectionPlugin};
use serde_json::json;

use crate::NetworkPlugin;

fn ctx() -> Ctx {
    testing::ctx()
        .spec_name("dcaa-secure")
        .namespace("dcaa-secure")
        .build()
}

#[test]
fn example_fences_the_namespace() {
    let out = render::<NetworkPlugin>(
        json!({"policy": {
            "name": "dcaa-isolated", "ingressCIDR": "192.168.15.0/24",
            "egress": "deny-all", "allowDNS": false
        }}),
        &ctx(),
    );
    assert!(!out.has_errors());
    assert_eq!(out.manifests.len(), 1);
    let np = out
        .object("NetworkPolicy", "dcaa-isolated")
        .expect("rendered");
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
    assert_eq!(out.codes(), ["NETWORK-DNS-BLOCKED"]);
}

#[test]
fn allow_dns_adds_a_second_policy() {
    let out = render::<NetworkPlugin>(
        json!({"policy": {
            "name": "p", "ingressCIDR": "fd00::/64", "egress": "deny-all", "allowDNS": true
        }}),
        &ctx(),
    );
    assert_eq!(out.manifests.len(), 2);
    let dns = out
        .object("NetworkPolicy", "p-allow-dns")
        .expect("rendered");
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
    // The host validates against the schema first; the plugin still refuses what it cannot read.
    for (section, path) in [
        (json!({"policy": {"name": 7}}), "/policy/name"),
        (json!({"policy": {"name": "n"}}), "/policy/ingressCIDR"),
        (
            json!({"policy": {"name": "n", "ingressCIDR": "10.0.0.0/8", "egress": "allow-all"}}),
            "/policy/egress",
        ),
    ] {
        let out = render::<NetworkPlugin>(section, &ctx());
        assert!(out.has_errors() && out.manifest_texts().is_empty());
        assert_eq!(out.diagnostics[0].path, path);
        assert_eq!(out.codes(), ["NETWORK-SECTION"]);
    }
    let out = NetworkPlugin::render("not json", &ctx());
    assert_eq!(out.codes(), ["NETWORK-SECTION"]);
}

#[test]
fn metadata_is_complete() {
    let m = NetworkPlugin::meta();
    assert_eq!((m.name, m.section), ("network-policy", "network"));
    assert_eq!(m.emits.len(), 1);
    let s = &m.section_schema;
    assert_eq!(
        (&s["title"], &s["additionalProperties"]),
        (&json!("network"), &json!(false))
    );
    let policy = &s["properties"]["policy"];
    assert_eq!(policy["additionalProperties"], false);
    assert_eq!(policy["required"], json!(["name", "ingressCIDR"]));
    assert_eq!(policy["properties"]["name"]["format"], "dns1123-label");
    assert_eq!(policy["properties"]["ingressCIDR"]["format"], "cidr");
    assert!(s[hms_plugin_sdk::explain::KEYWORD]["NETWORK-DNS-BLOCKED"].is_object());
}

#[test]
fn the_section_as_written_gets_this_plugins_defaults() {
    // The host hands the section over as written: egress and allowDNS are defaulted here.
    let out = render::<NetworkPlugin>(
        json!({"policy": {"name": "np", "ingressCIDR": "10.0.0.0/8"}}),
        &ctx(),
    );
    assert!(!out.has_errors());
    assert_eq!(out.manifests.len(), 1, "deny-all egress, no DNS policy");
    assert_eq!(out.manifests[0]["spec"]["egress"], json!([]));
    let schema = NetworkPlugin::meta().section_schema;
    let policy = &schema["properties"]["policy"]["properties"];
    assert_eq!(policy["egress"]["default"], "deny-all");
    assert_eq!(policy["egress"]["enum"], json!(["deny-all"]));
    assert_eq!(policy["allowDNS"]["default"], false);
}
