//! The rendered manifests pass the real Kubernetes schemas (kubernetes-validate --strict, 1.33)
//! and the custom resources validate against the real Karpenter and Cluster API CRDs.

use std::process::Command;

use serde_json::Value;

use crate::support::{example_with, hms, shared, spec_file};

/// The objects rendered from `text`.
fn render(text: &str) -> Vec<Value> {
    let (_dir, path) = spec_file(text);
    let run = hms(&["render", path.to_str().expect("utf-8"), "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: Value = serde_json::from_str(&run.stdout).expect("json");
    list["items"].as_array().expect("items").clone()
}

fn example_text() -> String {
    std::fs::read_to_string(crate::support::example()).expect("example")
}

/// A Karpenter variant of the example (the only FIPS runtime Karpenter can honour).
fn karpenter_text() -> String {
    example_with(
        "  runtime: fips-ubuntu-22.04\n",
        "  runtime: fips-bottlerocket\n  provider: karpenter\n",
    )
}

/// Loads the served schema of `kind` from the CRD files, made strict: Kubernetes prunes or
/// rejects unknown fields of structural schemas, JSON Schema lets them through unless told.
fn crd_schema(group: &str, version: &str, kind: &str) -> Value {
    let dir = shared().join("crds");
    for entry in std::fs::read_dir(&dir).expect("crds") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("crd");
        if !text.contains("kind: CustomResourceDefinition") {
            continue;
        }
        let crd: Value = serde_yaml_ng::from_str(&text).expect("crd yaml");
        if crd["spec"]["group"] != group || crd["spec"]["names"]["kind"] != kind {
            continue;
        }
        for v in crd["spec"]["versions"].as_array().expect("versions") {
            if v["name"] == version {
                let mut schema = v["schema"]["openAPIV3Schema"].clone();
                strictify(&mut schema);
                return schema;
            }
        }
    }
    panic!("no CRD for {group}/{version} {kind}");
}

/// Adds `additionalProperties: false` wherever a structural schema lists properties and does
/// not preserve unknown fields, and lets `nullable` fields be null. Never descends into
/// allOf/anyOf/oneOf/not, which only restate listed fields.
fn strictify(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.get("nullable") == Some(&Value::Bool(true))
        && let Some(Value::String(t)) = obj.get("type").cloned()
    {
        obj.insert("type".into(), serde_json::json!([t, "null"]));
    }
    let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") && !preserve {
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    if obj.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true))
        && let Some(Value::Object(props)) = obj.get_mut("properties")
    {
        for k in ["apiVersion", "kind", "metadata"] {
            props.entry(k).or_insert(serde_json::json!({}));
        }
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(strictify);
    }
    if let Some(items) = obj.get_mut("items") {
        strictify(items);
    }
    if let Some(extra @ Value::Object(_)) = obj.get_mut("additionalProperties") {
        strictify(extra);
    }
}

/// Validates every custom resource among `objects`; returns how many were checked.
fn check_custom_resources(objects: &[Value]) -> usize {
    let mut checked = 0;
    for o in objects {
        let api = o["apiVersion"].as_str().expect("apiVersion");
        let Some((group, version)) = api.split_once('/') else {
            continue;
        };
        if !(group.contains("karpenter") || group.contains("cluster.x-k8s.io")) {
            continue;
        }
        let kind = o["kind"].as_str().expect("kind");
        let schema = crd_schema(group, version, kind);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .expect("the CRD schema compiles");
        let mut errors: Vec<String> = validator
            .iter_errors(o)
            .map(|e| format!("{}: {e}", e.instance_path().as_str()))
            .collect();
        errors.sort();
        assert!(
            errors.is_empty(),
            "{kind} {} does not match its CRD:\n{}",
            o["metadata"]["name"],
            errors.join("\n")
        );
        checked += 1;
    }
    checked
}

#[test]
fn cluster_api_resources_match_their_crds() {
    let objects = render(&example_text());
    assert_eq!(
        check_custom_resources(&objects),
        2,
        "MachineDeployment and MachineHealthCheck"
    );
}

#[test]
fn karpenter_resources_match_their_crds() {
    let objects = render(&karpenter_text());
    assert_eq!(
        check_custom_resources(&objects),
        2,
        "NodePool and EC2NodeClass"
    );
}

#[test]
fn the_strict_crd_check_catches_unknown_fields() {
    let mut objects = render(&karpenter_text());
    let pool = objects
        .iter_mut()
        .find(|o| o["kind"] == "NodePool")
        .expect("NodePool");
    pool["spec"]["replicaz"] = serde_json::json!(3);
    let result = std::panic::catch_unwind(|| check_custom_resources(std::slice::from_ref(pool)));
    assert!(result.is_err(), "an unknown field must fail the check");
}

/// Runs kubernetes-validate --strict against Kubernetes 1.33 on every built-in object.
fn kubernetes_validate(objects: &[Value]) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("manifests.yaml");
    let builtin: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            !o["apiVersion"]
                .as_str()
                .is_some_and(|a| a.contains("karpenter") || a.contains("x-k8s.io"))
        })
        .collect();
    let mut text = String::new();
    for o in &builtin {
        text.push_str("---\n");
        text.push_str(&serde_yaml_ng::to_string(o).expect("yaml"));
    }
    std::fs::write(&file, text).expect("write");
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "-k", "1.33.0"])
        .arg(&file)
        .output()
        .expect("kubernetes-validate is installed (pip install kubernetes-validate; the README's test command does it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubernetes-validate refused the manifests:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("ERROR") && !stdout.contains("WARN"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("passed for resource").count(),
        builtin.len(),
        "{stdout}"
    );
}

#[test]
fn the_example_passes_the_kubernetes_schemas() {
    kubernetes_validate(&render(&example_text()));
}

#[test]
fn the_karpenter_variant_passes_the_kubernetes_schemas() {
    kubernetes_validate(&render(&karpenter_text()));
}
