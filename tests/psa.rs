//! The bundled baseline agrees with every upstream Pod Security Admission fixture.

use hms_plugin::{Cache, Context, Limits, Runtime, Severity};

fn baseline_plugin(runtime: &Runtime) -> hms_plugin::Plugin {
    let source = hms_sys::bundled::sources()
        .into_iter()
        .find(|s| s.origin.ends_with("baseline-cis"))
        .expect("the baseline is bundled");
    runtime
        .load(&source, Limits::default())
        .expect("the baseline loads")
}

#[test]
fn baseline_agrees_with_every_psa_fixture() {
    let runtime = Runtime::new(
        Cache::at(crate::support::cache_dir()),
        Limits::default().stack,
    )
    .expect("runtime");
    let plugin = baseline_plugin(&runtime);
    let root = crate::support::shared().join("pod-security-admission/v1.35");
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for level in ["restricted", "baseline"] {
        let params =
            serde_json::json!({"name": "cis-level-2", "profile": level, "podSecurityOnly": true})
                .to_string();
        for expect_pass in [true, false] {
            let dir = root
                .join(level)
                .join(if expect_pass { "pass" } else { "fail" });
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .expect("fixtures")
                .map(|e| e.expect("entry").path())
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).expect("fixture");
                let manifests: Vec<String> = serde_yaml_ng::Deserializer::from_str(&text)
                    .map(|doc| {
                        let v: serde_json::Value =
                            serde::Deserialize::deserialize(doc).expect("fixture yaml");
                        v.to_string()
                    })
                    .filter(|s| s != "null")
                    .collect();
                let out = plugin
                    .check(&manifests, &params, &Context::default())
                    .expect("check runs");
                let errors = out
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .count();
                checked += 1;
                if (errors == 0) != expect_pass {
                    disagreements.push(format!("{level}/{}: {errors} errors", file.display()));
                }
            }
        }
    }
    assert_eq!(checked, 148, "the v1.35 fixture set has 148 files");
    assert!(
        disagreements.is_empty(),
        "disagrees with {} of {checked} fixtures:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn findings_name_the_control_and_the_object() {
    let runtime = Runtime::new(
        Cache::at(crate::support::cache_dir()),
        Limits::default().stack,
    )
    .expect("runtime");
    let plugin = baseline_plugin(&runtime);
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "root-pod", "namespace": "apps"},
        "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause",
            "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": true}}]}
    });
    let out = plugin
        .check(
            &[pod.to_string()],
            r#"{"name":"cis-level-2","podSecurityOnly":true}"#,
            &Context::default(),
        )
        .expect("check runs");
    let finding = out
        .findings
        .iter()
        .find(|f| f.code == "CIS-5.2.7")
        .expect("a CIS-5.2.7 finding");
    let object = finding.object.as_ref().expect("names the object");
    assert_eq!(
        (object.kind.as_str(), object.name.as_str()),
        ("Pod", "root-pod")
    );
    assert!(finding.path.contains("runAsUser"), "{finding:?}");
}
