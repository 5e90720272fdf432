//! Native tests of the storage plugin's rendering and access-mode rules.

use hms_plugin_sdk::{Ctx, Output, SectionPlugin};
use serde_json::{Value, json};

use crate::StoragePlugin;

const CEPH: &str = r#"{"clusterID":"rook-ceph","fsName":"myfs","pool":"replicapool"}"#;

fn ctx(workload: Value) -> Ctx {
    let spec = json!({"name": "dcaa-secure", "workload": workload});
    Ctx::new(
        "dcaa-secure",
        "dcaa-secure",
        vec![],
        vec![("app.kubernetes.io/managed-by".into(), "hms-sys".into())],
        &spec.to_string(),
    )
}

fn example_workload() -> Value {
    json!({"image": "ghcr.io/hms/dcaa-audit:v1.0", "replicas": 10, "name": "dcaa-audit",
           "volume": "contract-pdfs", "mountPath": "/data/pdfs", "readOnly": false})
}

fn volume(provider: &str, mode: &str, extra: Value) -> Value {
    let mut v = json!({"name": "contract-pdfs", "size": "1Ti", "encryption": "aes256",
        "provider": provider, "accessMode": mode});
    if provider.starts_with("ceph") {
        v["ceph"] = serde_json::from_str::<Value>(CEPH).unwrap_or_default();
    }
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    json!({ "volume": v })
}

fn render(section: Value, workload: Value) -> Output {
    StoragePlugin::render(&section.to_string(), &ctx(workload))
}

fn codes(o: &Output) -> Vec<&str> {
    o.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn example_renders_cephfs_class_and_rwx_claim() {
    // The example's section as written: provider, access mode and Ceph names are defaults.
    let out = render(
        json!({"volume": {"name": "contract-pdfs", "size": "1Ti", "encryption": "aes256"}}),
        example_workload(),
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let [sc, pvc] = &out.manifests[..] else {
        panic!("two manifests expected")
    };
    assert_eq!(sc["kind"], "StorageClass");
    assert_eq!(sc["metadata"]["name"], "contract-pdfs-encrypted");
    assert!(sc["metadata"].get("namespace").is_none());
    assert_eq!(sc["metadata"]["annotations"]["hms.io/encryption"], "aes256");
    assert_eq!(sc["provisioner"], "rook-ceph.cephfs.csi.ceph.com");
    let p = &sc["parameters"];
    assert_eq!(
        (&p["clusterID"], &p["fsName"], &p["encrypted"]),
        (&json!("rook-ceph"), &json!("myfs"), &json!("true"))
    );
    assert_eq!(p["pool"], "myfs-replicated");
    assert_eq!(
        p["csi.storage.k8s.io/node-stage-secret-name"],
        "rook-csi-cephfs-node"
    );
    assert_eq!(
        p["csi.storage.k8s.io/controller-expand-secret-namespace"],
        "rook-ceph"
    );
    assert_eq!(sc["reclaimPolicy"], "Retain");
    assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
    assert_eq!(sc["allowVolumeExpansion"], true);
    assert_eq!(pvc["kind"], "PersistentVolumeClaim");
    assert_eq!(pvc["metadata"]["name"], "contract-pdfs");
    assert_eq!(pvc["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(pvc["spec"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(pvc["spec"]["storageClassName"], "contract-pdfs-encrypted");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "1Ti");
    assert!(codes(&out).contains(&"STORAGE-CEPH-PASSPHRASE"));
}

#[test]
fn rwo_with_ten_replicas_is_an_error() {
    let out = render(
        volume("cephfs", "ReadWriteOnce", json!({})),
        example_workload(),
    );
    let err = out.diagnostics.iter().find(|d| d.is_error());
    let err = err.map(|d| (d.code.as_str(), d.path.as_str(), d.hint.as_str()));
    let Some((code, path, hint)) = err else {
        panic!("an error expected")
    };
    assert_eq!((code, path), ("STORAGE-ACCESS-MODE", "/volume/accessMode"));
    assert!(hint.contains("cephfs, aws-efs, azure-file"), "{hint}");
    assert!(out.manifest_texts().is_empty());
}

#[test]
fn a_workload_without_volume_mounts_the_storage_volume() {
    let mut w = example_workload();
    w.as_object_mut().map(|o| o.remove("volume"));
    let out = render(volume("cephfs", "ReadWriteOnce", json!({})), w);
    assert!(codes(&out).contains(&"STORAGE-ACCESS-MODE"));
    let out = render(
        volume("cephfs", "ReadWriteOnce", json!({})),
        json!({"image": "x", "replicas": 10, "volume": "none"}),
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
}

#[test]
fn read_only_many_needs_a_read_only_mount() {
    let mut w = example_workload();
    let out = render(
        volume("aws-efs", "ReadOnlyMany", json!({"fileSystemId": "fs-1"})),
        w.clone(),
    );
    assert!(codes(&out).contains(&"STORAGE-ACCESS-MODE"));
    w["readOnly"] = json!(true);
    let out = render(
        volume("aws-efs", "ReadOnlyMany", json!({"fileSystemId": "fs-1"})),
        w,
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let sc = &out.manifests[0];
    assert_eq!(sc["parameters"]["provisioningMode"], "efs-ap");
    assert_eq!(sc["parameters"]["fileSystemId"], "fs-1");
    assert_eq!(sc["parameters"]["directoryPerms"], "700");
}

#[test]
fn block_providers_refuse_shared_modes() {
    let out = render(volume("aws-ebs", "ReadWriteMany", json!({})), json!(null));
    assert_eq!(
        codes(&out),
        ["STORAGE-PROVIDER-ACCESS-MODE", "STORAGE-DEFAULT-KEY"]
    );
    let out = render(
        volume(
            "ceph-rbd",
            "ReadWriteOnce",
            json!({"kmsKeyId": "vault-kms"}),
        ),
        json!({"replicas": 1, "volume": "contract-pdfs"}),
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let p = &out.manifests[0]["parameters"];
    assert_eq!(
        out.manifests[0]["provisioner"],
        "rook-ceph.rbd.csi.ceph.com"
    );
    assert_eq!(p["encryptionType"], "block");
    assert_eq!(p["encryptionKMSID"], "vault-kms");
    assert_eq!(p["imageFeatures"], "layering");
    assert_eq!(
        p["csi.storage.k8s.io/provisioner-secret-name"],
        "rook-csi-rbd-provisioner"
    );
    assert_eq!(
        out.manifests[0]["metadata"]["annotations"]["hms.io/encryption-key"],
        "vault-kms"
    );
}

#[test]
fn ebs_and_azure_parameters() {
    let arn = "arn:aws:kms:us-east-1:1:key/k";
    let out = render(
        volume("aws-ebs", "ReadWriteOnce", json!({"kmsKeyId": arn})),
        json!(null),
    );
    let p = &out.manifests[0]["parameters"];
    assert_eq!(
        (&p["type"], &p["encrypted"], &p["kmsKeyId"]),
        (&json!("gp3"), &json!("true"), &json!(arn))
    );
    let out = render(
        volume("azure-file", "ReadWriteMany", json!({})),
        example_workload(),
    );
    let p = &out.manifests[0]["parameters"];
    assert_eq!(out.manifests[0]["provisioner"], "file.csi.azure.com");
    assert_eq!(
        (&p["skuName"], &p["protocol"]),
        (&json!("Premium_ZRS"), &json!("nfs"))
    );
    assert_eq!(codes(&out), ["STORAGE-PLATFORM-ENCRYPTION"]);
}

#[test]
fn malformed_section_is_an_error_not_a_panic() {
    let out = render(
        json!({"volume": {"name": "x", "size": true, "provider": "nfs"}}),
        json!(null),
    );
    let paths: Vec<_> = out.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/volume/size",
            "/volume/encryption",
            "/volume/provider",
            "/volume/accessMode"
        ]
    );
    assert!(out.has_errors());
    assert!(StoragePlugin::render("[]", &Ctx::default()).has_errors());
}

#[test]
fn blocks_fit_their_provider() {
    let out = render(volume("aws-efs", "ReadWriteMany", json!({})), json!(null));
    let d = &out.diagnostics[0];
    assert_eq!(
        (d.code.as_str(), d.path.as_str()),
        ("STORAGE-EFS-FILE-SYSTEM", "/volume/provider")
    );
    assert!(d.hint.contains("fs-"), "{}", d.hint);
    let out = render(
        volume(
            "aws-ebs",
            "ReadWriteOnce",
            json!({"fileSystemId": "fs-1", "ceph": {"pool": "p"}}),
        ),
        json!(null),
    );
    let found: Vec<_> = out
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.path.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "STORAGE-BLOCK-PROVIDER",
                "/volume/fileSystemId",
                "`fileSystemId` is only allowed with `provider: aws-efs`, but the provider is `aws-ebs`"
            ),
            (
                "STORAGE-BLOCK-PROVIDER",
                "/volume/ceph",
                "`ceph` is only allowed with `provider: cephfs` or `provider: ceph-rbd`, but the provider is `aws-ebs`"
            )
        ]
    );
    assert!(out.manifests.is_empty());
}

#[test]
fn access_mode_defaults_to_what_the_provider_shares() {
    let section = |p: &str| json!({"volume": {"name": "v", "size": "1Gi", "encryption": "aes256", "provider": p}});
    for (p, mode) in [
        ("aws-ebs", "ReadWriteOnce"),
        ("ceph-rbd", "ReadWriteOnce"),
        ("azure-file", "ReadWriteMany"),
    ] {
        let out = render(section(p), json!(null));
        assert!(!out.has_errors(), "{p}: {:?}", out.diagnostics);
        assert_eq!(
            out.manifests[1]["spec"]["accessModes"],
            json!([mode]),
            "{p}"
        );
    }
    let out = render(section("ceph-rbd"), json!(null));
    assert_eq!(out.manifests[0]["parameters"]["pool"], "replicapool");
}

#[test]
fn metadata_is_complete() {
    let m = StoragePlugin::meta();
    assert_eq!((m.name, m.section), ("storage-csi", "storage"));
    assert_eq!(m.emits.len(), 2);
    let vol = &m.section_schema["properties"]["volume"];
    assert_eq!(vol["additionalProperties"], false);
    assert_eq!(vol["properties"]["ceph"]["additionalProperties"], false);
}
