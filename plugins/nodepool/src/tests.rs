//! Native tests of the node-pool plugin: each backend, the FIPS rules, malformed sections.

use hms_plugin_sdk::{Ctx, Output, SectionPlugin};
use serde_json::{Value, json};

use crate::NodePoolPlugin;

fn ctx() -> Ctx {
    Ctx::new(
        "dcaa-secure",
        "dcaa-secure",
        vec![],
        vec![("hms.io/spec".into(), "dcaa-secure".into())],
        "{}",
    )
}

fn render(section: Value) -> Output {
    NodePoolPlugin::render(&section.to_string(), &ctx())
}

fn codes(o: &Output) -> Vec<&str> {
    o.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

/// The example's section as written: everything else is this plugin's defaults.
fn example() -> Value {
    json!({"name": "dcaa-secure", "count": 10, "runtime": "fips-ubuntu-22.04"})
}

fn karpenter(runtime: &str, static_capacity: bool) -> Value {
    json!({
        "name": "dcaa-secure", "count": 10, "runtime": runtime, "provider": "karpenter",
        "karpenter": {"clusterName": "dcaa", "role": "KarpenterNodeRole-dcaa",
                      "staticCapacity": static_capacity, "kubernetesVersion": "1.33"}
    })
}

#[test]
fn example_renders_machine_deployment_and_health_check() {
    let out = render(example());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let [md, mhc] = &out.manifests[..] else {
        panic!("two manifests expected")
    };
    assert_eq!(md["apiVersion"], "cluster.x-k8s.io/v1beta2");
    assert_eq!(md["kind"], "MachineDeployment");
    assert_eq!(md["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(md["metadata"]["labels"]["hms.io/spec"], "dcaa-secure");
    let spec = &md["spec"];
    assert_eq!(spec["replicas"], 10);
    assert_eq!(spec["clusterName"], "dcaa-secure");
    let pool = json!({"node.cluster.x-k8s.io/pool": "dcaa-secure"});
    assert_eq!(spec["selector"]["matchLabels"], pool);
    let tl = &spec["template"]["metadata"]["labels"];
    assert_eq!(tl["node.cluster.x-k8s.io/pool"], "dcaa-secure");
    assert_eq!(tl["node.cluster.x-k8s.io/runtime"], "fips-ubuntu-22.04");
    let ms = &spec["template"]["spec"];
    assert_eq!(ms["infrastructureRef"]["kind"], "AWSMachineTemplate");
    assert_eq!(
        ms["infrastructureRef"]["apiGroup"],
        "infrastructure.cluster.x-k8s.io"
    );
    assert_eq!(
        ms["bootstrap"]["configRef"]["kind"],
        "KubeadmConfigTemplate"
    );
    assert!(ms.get("version").is_none());
    assert_eq!(mhc["kind"], "MachineHealthCheck");
    let checks = &mhc["spec"]["checks"];
    assert_eq!(checks["nodeStartupTimeoutSeconds"], 600);
    assert_eq!(checks["unhealthyNodeConditions"][1]["status"], "False");
    assert_eq!(checks["unhealthyNodeConditions"][0]["timeoutSeconds"], 300);
    assert_eq!(
        mhc["spec"]["remediation"]["triggerIf"]["unhealthyLessThanOrEqualTo"],
        "40%"
    );
    assert_eq!(
        out.node_selector,
        [(
            "node.cluster.x-k8s.io/pool".to_string(),
            "dcaa-secure".to_string()
        )]
    );
    assert_eq!(codes(&out), ["NODEPOOL-FIPS-IMAGE"]);
    assert_eq!(out.diagnostics[0].severity, hms_plugin_sdk::Severity::Info);
}

#[test]
fn cluster_api_version_is_passed_through() {
    let mut s = example();
    s["clusterApi"] = json!({"kubernetesVersion": "v1.33.1"});
    s["runtime"] = json!("ubuntu-24.04");
    let out = render(s);
    assert_eq!(
        out.manifests[0]["spec"]["template"]["spec"]["version"],
        "v1.33.1"
    );
    assert!(out.diagnostics.is_empty());
}

#[test]
fn karpenter_refuses_fips_ubuntu() {
    let out = render(karpenter("fips-ubuntu-22.04", false));
    assert!(out.manifests.is_empty());
    let d = &out.diagnostics[0];
    assert!(d.is_error());
    assert_eq!(
        (d.code.as_str(), d.path.as_str()),
        ("NODEPOOL-RUNTIME-UNSUPPORTED", "/runtime")
    );
    for alt in [
        "fips-bottlerocket",
        "cluster-api",
        "Ubuntu Pro FIPS",
        "static",
    ] {
        assert!(d.hint.contains(alt), "hint lacks {alt}: {}", d.hint);
    }
    assert!(render(karpenter("fips-al2023", false)).has_errors());
    assert!(render(karpenter("ubuntu-22.04", false)).has_errors());
}

#[test]
fn karpenter_fips_bottlerocket_uses_the_ssm_parameter() {
    let out = render(karpenter("fips-bottlerocket", false));
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let [np, nc] = &out.manifests[..] else {
        panic!("two manifests expected")
    };
    assert!(np["metadata"].get("namespace").is_none());
    assert_eq!(np["spec"]["limits"]["nodes"], "10");
    assert!(np["spec"].get("replicas").is_none());
    assert_eq!(
        np["spec"]["template"]["spec"]["nodeClassRef"]["kind"],
        "EC2NodeClass"
    );
    let s = &nc["spec"];
    assert_eq!(s["amiFamily"], "Bottlerocket");
    assert_eq!(
        s["amiSelectorTerms"],
        json!([{"ssmParameter": "/aws/service/bottlerocket/aws-k8s-1.33-fips/x86_64/latest/image_id"}])
    );
    assert_eq!(s["role"], "KarpenterNodeRole-dcaa");
    assert_eq!(
        s["subnetSelectorTerms"][0]["tags"]["karpenter.sh/discovery"],
        "dcaa"
    );
    assert_eq!(
        s["securityGroupSelectorTerms"][0]["tags"]["karpenter.sh/discovery"],
        "dcaa"
    );
    assert_eq!(s["metadataOptions"]["httpTokens"], "required");
    assert!(
        s["blockDeviceMappings"]
            .as_array()
            .is_some_and(|b| b.iter().all(|d| d["ebs"]["encrypted"] == true))
    );
    assert_eq!(
        codes(&out),
        ["NODEPOOL-COUNT-IS-A-LIMIT", "NODEPOOL-FIPS-IMAGE"]
    );
    assert_eq!(out.node_selector[0].0, "karpenter.sh/nodepool");
}

#[test]
fn karpenter_static_capacity_sets_replicas_and_aliases() {
    let out = render(karpenter("bottlerocket", true));
    let np = &out.manifests[0];
    assert_eq!(np["spec"]["replicas"], 10);
    assert!(np["spec"].get("weight").is_none());
    assert_eq!(
        out.manifests[1]["spec"]["amiSelectorTerms"],
        json!([{"alias": "bottlerocket@latest"}])
    );
    assert!(out.manifests[1]["spec"].get("amiFamily").is_none());
    assert_eq!(codes(&out), ["NODEPOOL-STATIC-CAPACITY"]);
    let out = render(karpenter("al2023", false));
    assert_eq!(
        out.manifests[1]["spec"]["amiSelectorTerms"][0]["alias"],
        "al2023@latest"
    );
}

#[test]
fn static_nodes_emit_nothing_and_select_by_labels() {
    let out = render(
        json!({"name": "p", "count": 3, "runtime": "fips-bottlerocket",
        "provider": "static", "static": {"labels": {"hms.io/pool": "p"}}}),
    );
    assert!(out.manifests.is_empty() && !out.has_errors());
    assert_eq!(
        out.node_selector,
        [("hms.io/pool".to_string(), "p".to_string())]
    );
    assert!(codes(&out).contains(&"NODEPOOL-FIPS-ATTESTED"));
}

#[test]
fn malformed_section_is_an_error_not_a_panic() {
    let out = render(
        json!({"name": "p", "count": "ten", "runtime": "windows", "provider": "cluster-api"}),
    );
    let paths: Vec<_> = out.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["/count", "/runtime"]);
    let mut s = example();
    s["clusterApi"] = json!({"infrastructure": {"kind": 3}});
    let out = render(s);
    let paths: Vec<_> = out.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["/clusterApi/infrastructure/kind"]);
    assert!(out.manifest_texts().is_empty());
    assert!(NodePoolPlugin::render("", &ctx()).has_errors());
    assert!(NodePoolPlugin::render("[]", &ctx()).has_errors());
}

#[test]
fn defaults_fill_each_backend() {
    let out =
        render(json!({"name": "p", "count": 1, "runtime": "al2023", "provider": "karpenter"}));
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let class = &out.manifests[1]["spec"];
    assert_eq!(class["role"], "KarpenterNodeRole-dcaa-secure");
    assert_eq!(
        class["subnetSelectorTerms"][0]["tags"]["karpenter.sh/discovery"],
        "dcaa-secure"
    );
    let out = render(json!({"name": "p", "count": 2, "runtime": "al2023", "provider": "static"}));
    assert_eq!(
        out.node_selector,
        [("hms.io/pool".to_string(), "p".to_string())]
    );
    let out = render(example());
    let md = &out.manifests[0]["spec"];
    assert_eq!(md["clusterName"], "dcaa-secure");
    let infra = &md["template"]["spec"]["infrastructureRef"];
    assert_eq!(infra["name"], "dcaa-secure");
}

#[test]
fn a_backend_block_fits_its_provider_only() {
    let mut s = example();
    s["provider"] = json!("karpenter");
    s["clusterApi"] = json!({"clusterName": "x"});
    let out = render(s);
    assert!(out.manifests.is_empty());
    let d = &out.diagnostics[0];
    assert_eq!(
        (d.code.as_str(), d.path.as_str()),
        ("NODEPOOL-BLOCK-PROVIDER", "/clusterApi")
    );
    assert_eq!(
        d.message,
        "`clusterApi` is only allowed with `provider: cluster-api`, but the provider is `karpenter`"
    );
    assert_eq!(
        d.hint,
        "remove `clusterApi`, or set `provider: cluster-api`"
    );
}

#[test]
fn versions_are_checked_with_a_hint() {
    let mut s = example();
    s["clusterApi"] = json!({"kubernetesVersion": "1.33.1"});
    let d = &render(s).diagnostics[0];
    assert_eq!(d.path, "/clusterApi/kubernetesVersion");
    assert_eq!(d.hint, "use `v1.33.1`");
    let mut s = karpenter("al2023", false);
    s["karpenter"]["kubernetesVersion"] = json!("v1.33");
    let d = &render(s).diagnostics[0];
    assert!(d.message.contains("MAJOR.MINOR"), "{}", d.message);
    assert_eq!(d.hint, "use `1.33` (no `v`)");
}

#[test]
fn metadata_is_complete() {
    let m = NodePoolPlugin::meta();
    assert_eq!((m.name, m.section), ("nodepool", "nodePool"));
    assert_eq!(m.emits.len(), 4);
    let s = &m.section_schema;
    assert_eq!(s["additionalProperties"], false);
    for k in ["clusterApi", "karpenter", "static"] {
        assert_eq!(s["properties"][k]["additionalProperties"], false);
    }
}
