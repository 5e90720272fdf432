//! Tests: the example parses, its envelope is right and its sections reach their plugins as
//! written (defaults are the plugins' own: see each plugin's tests).

use serde_json::json;

use crate::{Document, Location, Section, SpecErrors, parse};

pub(crate) const EXAMPLE: &str = include_str!("../../../examples/dcaa_cluster.yml");

pub(crate) fn ok(text: &str) -> Document {
    match parse(text, "spec.yml") {
        Ok(d) => d,
        Err(e) => panic!("expected the spec to parse, got:\n{e}"),
    }
}

pub(crate) fn errs(text: &str) -> SpecErrors {
    match parse(text, "spec.yml") {
        Ok(d) => panic!("expected errors, got {:#?}", d.spec),
        Err(e) => e,
    }
}

fn section(d: &Document, s: Section) -> serde_json::Value {
    d.spec.section_json(s).unwrap_or_default()
}

#[test]
fn example_sections_are_exact() {
    let d = ok(EXAMPLE);
    assert_eq!(d.spec.name(), "dcaa-secure");
    assert_eq!(d.spec.namespace(), "dcaa-secure");
    // Exactly as written, without the envelope's `nodePool.baseline`.
    assert_eq!(
        section(&d, Section::NodePool),
        json!({"name": "dcaa-secure", "count": 10, "runtime": "fips-ubuntu-22.04"})
    );
    assert_eq!(
        section(&d, Section::Storage),
        json!({"volume": {"name": "contract-pdfs", "size": "1Ti", "encryption": "aes256"}})
    );
    assert_eq!(
        section(&d, Section::Network),
        json!({"policy": {"name": "dcaa-isolated", "ingressCIDR": "192.168.15.0/24", "egress": "deny-all"}})
    );
    assert_eq!(
        section(&d, Section::Workload),
        json!({"image": "ghcr.io/hms/dcaa-audit:v1.0", "replicas": 10})
    );
    assert_eq!(d.spec.baselines.len(), 1);
    assert_eq!(d.spec.baselines[0].params, json!({"name": "cis-level-2"}));
    assert_eq!(d.spec.baselines[0].pointer, "/nodePool/baseline");
    let whole = d.spec.to_json();
    assert_eq!(whole["name"], "dcaa-secure");
    assert_eq!(whole["namespace"], "dcaa-secure");
    for s in Section::ALL {
        assert!(d.spec.has(s));
        assert_eq!(whole[s.key()], section(&d, s));
    }
}

#[test]
fn section_keys_and_order() {
    let keys: Vec<&str> = Section::ALL.iter().map(|s| s.key()).collect();
    assert_eq!(
        keys,
        ["nodePool", "storage", "network", "workload", "baseline"]
    );
    assert_eq!(Section::from_key("network"), Some(Section::Network));
}

#[test]
fn locations_map_back_to_the_file() {
    let d = ok(EXAMPLE);
    let at = |line, column| Location { line, column };
    assert_eq!(d.source.file(), "spec.yml");
    assert_eq!(d.source.locate(Section::Storage, "/volume/size"), at(9, 11));
    assert_eq!(
        d.source.locate(Section::Network, "/policy/ingressCIDR"),
        at(14, 18)
    );
    // Missing fields fall back to the nearest written ancestor (a mapping: its key).
    assert_eq!(
        d.source.locate(Section::Workload, "/resources/limits/cpu"),
        at(16, 1)
    );
    assert_eq!(d.source.locate(Section::Storage, "/volume/ceph"), at(7, 3));
    // The baseline shorthand maps to `nodePool.baseline`.
    assert_eq!(d.source.locate(Section::Baseline, "/profile"), at(5, 13));
    assert_eq!(d.source.locate(Section::Baseline, ""), at(5, 13));
}

#[test]
fn locate_falls_back_to_start_for_absent_sections() {
    let d = ok("workload:\n  image: nginx:1.27\n  volume: none\n");
    assert_eq!(
        d.source.locate(Section::Storage, "/volume/size"),
        Location::START
    );
    assert_eq!(
        d.source.locate(Section::Workload, "/image"),
        Location {
            line: 2,
            column: 10
        }
    );
}

#[test]
fn baseline_forms() {
    let pool = "nodePool: {name: p, count: 1, runtime: al2023}\n";
    let params = |text: &str| -> Vec<serde_json::Value> {
        ok(text)
            .spec
            .baselines
            .iter()
            .map(|b| b.params.clone())
            .collect()
    };
    assert_eq!(
        params(&format!("baseline: cis-level-2\n{pool}")),
        [json!({"name": "cis-level-2"})]
    );
    // Parameters reach the baseline as written: its schema judges them, not the host.
    assert_eq!(
        params(&format!(
            "baseline: {{name: cis-level-2, profile: baseline, podSecurityOnly: true}}\n{pool}"
        )),
        [json!({"name": "cis-level-2", "profile": "baseline", "podSecurityOnly": true})]
    );
    let hex = "0".repeat(64);
    let d = ok(&format!(
        "baseline:\n  - cis-level-2\n  - name: agency-rules\n    plugin: ./agency.wasm@sha256:{hex}\n    owners: [a]\n{pool}"
    ));
    let b = &d.spec.baselines;
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[1].name.as_str(), b[1].pointer.as_str()),
        ("agency-rules", "/baseline/1")
    );
    assert_eq!(
        b[1].params,
        json!({"name": "agency-rules", "owners": ["a"]})
    );
    assert_eq!(
        b[1].plugin.as_ref().map(|p| p.to_string()),
        Some(format!("./agency.wasm@sha256:{hex}"))
    );
    let d = ok(pool);
    assert!(!d.spec.has(Section::Baseline));
    assert_eq!(d.spec.section_json(Section::Baseline), None);
}

#[test]
fn sections_are_kept_as_written_for_their_plugin() {
    let text = "name: x\nstorage:\n  volume: {name: v, size: 1Ti, tier: gold, svm: svm1}\nworkload:\n  image: nginx:1.27\n";
    let d = ok(text);
    assert_eq!(
        section(&d, Section::Storage),
        json!({"volume": {"name": "v", "size": "1Ti", "tier": "gold", "svm": "svm1"}})
    );
    assert_eq!(d.spec.to_json()["storage"]["volume"]["tier"], "gold");
    assert_eq!(
        section(&d, Section::Workload),
        json!({"image": "nginx:1.27"})
    );
}

#[test]
fn plugins_and_grants() {
    let hex = "ab".repeat(32);
    let d = ok(&format!(
        "name: x\nplugins:\n  storage: ./p/trident.wasm@sha256:{hex}\n  network: network-policy\ngrants:\n  agency-rbac: [ClusterRoleBinding.rbac.authorization.k8s.io, Namespace]\nworkload: {{image: nginx:1.27, volume: none}}\n"
    ));
    assert_eq!(d.spec.plugins.len(), 2);
    let c = &d.spec.plugins[&Section::Storage];
    assert_eq!(c.pointer, "/plugins/storage");
    assert_eq!(
        c.reference.digest.as_deref(),
        Some(format!("sha256:{hex}").as_str())
    );
    let kinds: Vec<(&str, &str)> = d
        .spec
        .grants
        .iter()
        .map(|g| (g.group.as_str(), g.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            ("", "Namespace")
        ]
    );
}

#[test]
fn names_default_from_pool_then_workload() {
    let d = ok(
        "workload:\n  image: registry.example.com/team/sub/my-app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n  volume: none\n",
    );
    assert_eq!(d.spec.name(), "my-app");
    assert_eq!(d.spec.namespace(), "my-app");
    let d = ok("workload: {image: nginx, name: web}\n");
    assert_eq!(d.spec.name(), "web");
    let d = ok(
        "name: slice\nnamespace: agency-a\nworkload: {image: nginx, volume: none, name: web, port: 8080}\n",
    );
    assert_eq!((d.spec.name(), d.spec.namespace()), ("slice", "agency-a"));
    assert_eq!(section(&d, Section::Workload)["port"], 8080);
    let d = ok("nodePool: {name: pool-a}\nworkload: {image: nginx}\n");
    assert_eq!(d.spec.name(), "pool-a");
}

#[test]
fn helpers() {
    assert!(crate::is_dns1123_label("dcaa-secure"));
    assert!(!crate::is_dns1123_label("Dcaa"));
    assert!(!crate::is_dns1123_label("-a"));
    assert!(!crate::is_dns1123_label(&"a".repeat(64)));
    assert!(crate::is_dns1123_subdomain(
        "infrastructure.cluster.x-k8s.io"
    ));
    assert!(!crate::is_dns1123_subdomain("a..b"));
    assert_eq!(
        crate::did_you_mean("cout", &["name", "count"]),
        Some("count")
    );
    assert_eq!(crate::did_you_mean("zzz", &["name", "count"]), None);
}
