//! Native tests of the agency-rules baseline.

use serde_json::{Value, json};

use crate::check::{approved_by, pod_spec_pointer};
use crate::{Finding, Severity, check, params_schema, parse_params};

const PARAMS: &str = r#"{"name":"agency-rules","requiredLabels":["hms.io/spec"],"approvedRegistries":["ghcr.io/hms/"]}"#;

fn labels() -> Value {
    json!({"hms.io/spec": "dcaa-secure", "app.kubernetes.io/managed-by": "hms-sys"})
}

fn deployment(image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "dcaa-audit", "namespace": "dcaa-secure", "labels": labels()},
        "spec": {"template": {"spec": {
            "initContainers": [{"name": "init", "image": "ghcr.io/hms/init:v1"}],
            "containers": [{"name": "app", "image": image}]}}}})
}

fn run(objects: &[Value], params: &str) -> Vec<Finding> {
    let texts: Vec<String> = objects.iter().map(Value::to_string).collect();
    check(&texts, params)
}

fn codes(f: &[Finding]) -> Vec<(&str, &str)> {
    f.iter()
        .map(|f| (f.code.as_str(), f.path.as_str()))
        .collect()
}

#[test]
fn approved_images_and_present_labels_pass() {
    let sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "c", "labels": labels()}});
    let f = run(&[deployment("ghcr.io/hms/dcaa-audit:v1.0"), sc], PARAMS);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn an_unapproved_image_names_the_object_and_the_field() {
    let f = run(&[deployment("docker.io/library/nginx:1.27")], PARAMS);
    assert_eq!(
        codes(&f),
        [("AGENCY-REGISTRY", "/spec/template/spec/containers/0/image")]
    );
    let f = &f[0];
    assert_eq!(f.severity, Severity::Error);
    let o = f.object.as_ref().expect("object");
    assert_eq!(
        (
            o.group.as_str(),
            o.kind.as_str(),
            o.namespace.as_str(),
            o.name.as_str()
        ),
        ("apps", "Deployment", "dcaa-secure", "dcaa-audit")
    );
    assert!(
        f.message.contains("`docker.io/library/nginx:1.27`"),
        "{}",
        f.message
    );
    assert!(f.hint.contains("ghcr.io/hms/"), "{}", f.hint);
}

#[test]
fn every_pod_bearing_kind_and_container_list_is_checked() {
    let pod = |kind: &str, api: &str, spec_at: &str| {
        let mut o = json!({"apiVersion": api, "kind": kind,
            "metadata": {"name": "x", "namespace": "n", "labels": labels()}});
        let tokens: Vec<&str> = spec_at.split('/').skip(1).collect();
        let mut at = &mut o;
        for t in tokens {
            at = &mut at[t];
        }
        *at = json!({"containers": [{"name": "c", "image": "quay.io/evil/x:1"}],
                     "ephemeralContainers": [{"name": "e", "image": "busybox"}]});
        o
    };
    let cases = [
        ("Pod", "v1", "/spec"),
        ("Deployment", "apps/v1", "/spec/template/spec"),
        ("StatefulSet", "apps/v1", "/spec/template/spec"),
        ("DaemonSet", "apps/v1", "/spec/template/spec"),
        ("ReplicaSet", "apps/v1", "/spec/template/spec"),
        ("ReplicationController", "v1", "/spec/template/spec"),
        ("Job", "batch/v1", "/spec/template/spec"),
        (
            "CronJob",
            "batch/v1",
            "/spec/jobTemplate/spec/template/spec",
        ),
    ];
    for (kind, api, spec_at) in cases {
        let f = run(&[pod(kind, api, spec_at)], PARAMS);
        let want = [
            ("AGENCY-REGISTRY", format!("{spec_at}/containers/0/image")),
            (
                "AGENCY-REGISTRY",
                format!("{spec_at}/ephemeralContainers/0/image"),
            ),
        ];
        let got: Vec<(&str, String)> = f
            .iter()
            .map(|f| (f.code.as_str(), f.path.clone()))
            .collect();
        assert_eq!(got, want, "{kind}");
    }
    // A kind that only looks like one is not judged as a pod.
    assert_eq!(pod_spec_pointer("example.com", "Deployment"), None);
}

#[test]
fn registry_prefixes_end_at_a_path_boundary() {
    assert!(approved_by("ghcr.io/hms/a:1", "ghcr.io/hms/"));
    assert!(approved_by("ghcr.io/hms/a:1", "ghcr.io/hms"));
    assert!(approved_by("ghcr.io/hms/a@sha256:00", "ghcr.io/hms/a"));
    assert!(!approved_by("ghcr.io/hms-evil/a:1", "ghcr.io/hms"));
    assert!(!approved_by("ghcr.io/hmsx:1", "ghcr.io/hms"));
    assert!(!approved_by("nginx", "ghcr.io/hms/"));
}

#[test]
fn missing_labels_are_one_finding_per_object_at_its_labels() {
    let params = r#"{"name":"agency-rules","requiredLabels":["hms.io/spec","hms.io/owner","team"],"approvedRegistries":["ghcr.io/hms/"]}"#;
    let bare = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "n"}});
    let empty_value = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm2", "namespace": "n",
            "labels": {"hms.io/spec": "s", "hms.io/owner": "", "team": "audit"}}});
    let f = run(&[bare, empty_value], params);
    assert_eq!(
        codes(&f),
        [
            ("AGENCY-REQUIRED-LABEL", "/metadata/labels"),
            ("AGENCY-REQUIRED-LABEL", "/metadata/labels")
        ]
    );
    assert!(
        f[0].message
            .contains("ConfigMap n/cm has no labels `hms.io/spec`, `hms.io/owner`, `team`"),
        "{}",
        f[0].message
    );
    assert!(
        f[1].message.contains("has no label `hms.io/owner`;"),
        "{}",
        f[1].message
    );
}

#[test]
fn the_owner_label_is_required_by_default() {
    let p = parse_params(r#"{"name":"agency-rules","approvedRegistries":["ghcr.io/hms/"]}"#);
    assert_eq!(
        p.map(|p| p.required_labels),
        Ok(vec!["hms.io/owner".to_string()])
    );
    let f = run(
        &[deployment("ghcr.io/hms/a:1")],
        r#"{"name":"agency-rules","approvedRegistries":["ghcr.io/hms/"]}"#,
    );
    assert_eq!(codes(&f), [("AGENCY-REQUIRED-LABEL", "/metadata/labels")]);
    assert!(f[0].message.contains("`hms.io/owner`"), "{}", f[0].message);
}

#[test]
fn bad_params_and_manifests_are_input_findings_never_panics() {
    for params in [
        "",
        "[]",
        r#"{"name":"cis-level-2","approvedRegistries":["a/"]}"#,
        r#"{"name":"agency-rules"}"#,
        r#"{"name":"agency-rules","approvedRegistries":[]}"#,
        r#"{"name":"agency-rules","approvedRegistries":"ghcr.io/"}"#,
        r#"{"name":"agency-rules","approvedRegistries":["a/"],"requiredLabels":[1]}"#,
    ] {
        let f = check(&[], params);
        assert_eq!(codes(&f), [("AGENCY-INPUT", "")], "{params}");
    }
    let f = check(&["{".into(), "3".into(), "{}".into()], PARAMS);
    let got: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        got,
        ["AGENCY-INPUT", "AGENCY-INPUT", "AGENCY-REQUIRED-LABEL"]
    );
}

#[test]
fn published_schema_is_strict() {
    let s = params_schema();
    assert_eq!(s["additionalProperties"], false);
    assert_eq!(s["required"], json!(["name", "approvedRegistries"]));
    assert_eq!(s["properties"]["name"]["const"], "agency-rules");
    assert_eq!(
        s["properties"]["requiredLabels"]["default"],
        json!(["hms.io/owner"])
    );
}
