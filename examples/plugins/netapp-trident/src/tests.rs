//! Native tests of the netapp-trident plugin: defaults, parameters, the claim, refusals.

use hms_plugin_sdk::{Ctx, Output, SectionPlugin};
use serde_json::{Value, json};

use crate::TridentPlugin;

fn ctx() -> Ctx {
    let spec = json!({"name": "dcaa-secure", "storage": {"volume": {"name": "contract-pdfs"}}});
    Ctx::new(
        "dcaa-secure",
        "dcaa-secure",
        vec![],
        vec![
            ("app.kubernetes.io/managed-by".into(), "hms-sys".into()),
            ("hms.io/spec".into(), "dcaa-secure".into()),
        ],
        &spec.to_string(),
    )
}

fn render(section: Value) -> Output {
    TridentPlugin::render(&section.to_string(), &ctx())
}

fn minimal() -> Value {
    json!({"volume": {"name": "contract-pdfs", "size": "1Ti", "svm": "svm_dcaa"}})
}

fn codes(o: &Output) -> Vec<(&str, &str)> {
    o.diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.path.as_str()))
        .collect()
}

#[test]
fn defaults_give_an_encrypted_silver_ontap_nas_class_and_its_claim() {
    let out = render(minimal());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let [sc, pvc] = &out.manifests[..] else {
        panic!("two manifests expected: {:?}", out.manifests)
    };
    assert_eq!(sc["apiVersion"], "storage.k8s.io/v1");
    assert_eq!(sc["kind"], "StorageClass");
    assert_eq!(sc["metadata"]["name"], "contract-pdfs-silver-encrypted");
    assert!(sc["metadata"].get("namespace").is_none());
    assert_eq!(sc["provisioner"], "csi.trident.netapp.io");
    assert_eq!(
        sc["parameters"],
        json!({"backendType": "ontap-nas", "selector": "tier=silver", "encryption": "true",
               "storagePools": "svm_dcaa:.*"})
    );
    assert_eq!(sc["reclaimPolicy"], "Retain");
    assert_eq!(sc["allowVolumeExpansion"], true);
    assert_eq!(sc["metadata"]["annotations"]["hms.io/encryption"], "aes256");
    assert_eq!(sc["metadata"]["labels"]["hms.io/spec"], "dcaa-secure");
    assert_eq!(
        sc["metadata"]["labels"]["app.kubernetes.io/component"],
        "storage"
    );

    assert_eq!(pvc["apiVersion"], "v1");
    assert_eq!(pvc["kind"], "PersistentVolumeClaim");
    assert_eq!(pvc["metadata"]["name"], "contract-pdfs");
    assert_eq!(pvc["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(
        pvc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "hms-sys"
    );
    assert_eq!(pvc["spec"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(
        pvc["spec"]["storageClassName"],
        "contract-pdfs-silver-encrypted"
    );
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "1Ti");
}

#[test]
fn tier_backend_and_svm_become_trident_parameters() {
    let out = render(
        json!({"volume": {"name": "pdfs", "size": "500Gi", "tier": "gold",
        "svm": "svm.dcaa-01", "backend": "ontap-nas-flexgroup", "encryption": true}}),
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let sc = &out.manifests[0];
    assert_eq!(sc["metadata"]["name"], "pdfs-gold-encrypted");
    let p = &sc["parameters"];
    assert_eq!(p["backendType"], "ontap-nas-flexgroup");
    assert_eq!(p["selector"], "tier=gold");
    // A dot in the SVM name is a literal in Trident's backend-name regular expression.
    assert_eq!(p["storagePools"], "svm\\.dcaa-01:.*");
    assert_eq!(sc["metadata"]["annotations"]["hms.io/svm"], "svm.dcaa-01");
}

#[test]
fn encryption_false_is_refused_with_the_reason() {
    let mut s = minimal();
    s["volume"]["encryption"] = json!(false);
    let out = render(s);
    assert_eq!(codes(&out), [("TRIDENT-ENCRYPTION", "/volume/encryption")]);
    let d = &out.diagnostics[0];
    assert!(d.is_error());
    assert!(d.message.contains("encrypted at rest"), "{}", d.message);
    assert!(d.hint.contains("true is the default"), "{}", d.hint);
    assert!(out.manifest_texts().is_empty());
}

#[test]
fn quota_adds_a_resource_quota_on_the_class() {
    let mut s = minimal();
    s["quota"] = json!("2Ti");
    let out = render(s);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let q = &out.manifests[2];
    assert_eq!(
        (&q["apiVersion"], &q["kind"]),
        (&json!("v1"), &json!("ResourceQuota"))
    );
    assert_eq!(q["metadata"]["name"], "contract-pdfs-storage");
    assert_eq!(q["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(
        q["spec"]["hard"]["contract-pdfs-silver-encrypted.storageclass.storage.k8s.io/requests.storage"],
        "2Ti"
    );
}

#[test]
fn bad_sections_are_error_diagnostics_never_panics() {
    // The host validates against the schema first; the plugin still refuses what it cannot
    // read, at the first field it cannot read.
    let volume = json!({"name": "v", "size": "1Ti", "svm": "svm_dcaa"});
    for (field, value, at) in [
        ("name", Value::Null, "/volume/name"),
        ("size", json!(5), "/volume/size"),
        ("tier", json!("platinum"), "/volume/tier"),
        ("encryption", json!("yes"), "/volume/encryption"),
        ("svm", json!("a:b"), "/volume/svm"),
    ] {
        let mut v = volume.clone();
        v[field] = value;
        if field == "name" {
            v.as_object_mut().map(|o| o.remove("name"));
        }
        let out = render(json!({ "volume": v }));
        assert_eq!(codes(&out), [("TRIDENT-SECTION", at)], "{field}");
        assert!(out.manifests.is_empty());
    }
    for text in ["", "[]", "{}", "{\"volume\": 3}", "not json"] {
        let out = TridentPlugin::render(text, &ctx());
        assert!(out.has_errors(), "{text:?}");
        assert!(out.manifests.is_empty());
    }
}

#[test]
fn published_schema_is_strict_and_carries_the_defaults() {
    let m = TridentPlugin::meta();
    assert_eq!((m.name, m.section), ("netapp-trident", "storage"));
    let s = &m.section_schema;
    assert_eq!(s["additionalProperties"], false);
    let v = &s["properties"]["volume"];
    assert_eq!(v["additionalProperties"], false);
    assert_eq!(v["required"], json!(["name", "size", "svm"]));
    let p = &v["properties"];
    assert_eq!(p["tier"]["enum"], json!(["gold", "silver", "bronze"]));
    assert_eq!(p["tier"]["default"], "silver");
    assert_eq!(p["backend"]["default"], "ontap-nas");
    assert_eq!(p["encryption"]["default"], true);
    assert_eq!(p["name"]["format"], "dns1123-label");
    assert_eq!(p["size"]["format"], "k8s-quantity");
    // Every kind it may emit; only ResourceQuota (with `quota:`) is outside the storage list.
    let kinds: Vec<_> = m.emits.iter().map(|k| (k.group, k.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("storage.k8s.io", "StorageClass"),
            ("", "PersistentVolumeClaim"),
            ("", "ResourceQuota")
        ]
    );
}
