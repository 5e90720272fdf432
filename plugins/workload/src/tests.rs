//! Native tests of the workload plugin's rendering.

use hms_plugin_sdk::{Ctx, Output, SectionPlugin};
use serde_json::{Value, json};

use crate::WorkloadPlugin;

fn ctx(storage: bool) -> Ctx {
    let spec = if storage {
        json!({"storage": {"volume": {"name": "contract-pdfs"}}})
    } else {
        json!({})
    };
    Ctx::new(
        "dcaa-secure",
        "dcaa-secure",
        vec![("node.cluster.x-k8s.io/pool".into(), "dcaa-secure".into())],
        vec![("hms.io/spec".into(), "dcaa-secure".into())],
        &spec.to_string(),
    )
}

/// The example's section as written: name, volume, mount path, user and resources are
/// this plugin's defaults.
fn example() -> Value {
    json!({"image": "ghcr.io/hms/dcaa-audit:v1.0", "replicas": 10})
}

fn render(section: Value, storage: bool) -> Output {
    WorkloadPlugin::render(&section.to_string(), &ctx(storage))
}

fn codes(o: &Output) -> Vec<&str> {
    o.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn example_renders_namespace_account_and_deployment() {
    let out = render(example(), true);
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let [ns, sa, dep] = &out.manifests[..] else {
        panic!("three manifests expected")
    };
    assert_eq!(
        (&ns["kind"], &ns["metadata"]["name"]),
        (&json!("Namespace"), &json!("dcaa-secure"))
    );
    assert!(ns["metadata"].get("namespace").is_none());
    let nl = &ns["metadata"]["labels"];
    for mode in ["enforce", "audit", "warn"] {
        assert_eq!(
            nl[format!("pod-security.kubernetes.io/{mode}")],
            "restricted"
        );
        assert_eq!(
            nl[format!("pod-security.kubernetes.io/{mode}-version")],
            "latest"
        );
    }
    assert_eq!(sa["kind"], "ServiceAccount");
    assert_eq!(sa["metadata"]["name"], "dcaa-audit");
    assert_eq!(sa["automountServiceAccountToken"], false);
    assert_eq!(dep["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(dep["spec"]["replicas"], 10);
    assert_eq!(
        dep["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "dcaa-audit"})
    );
    let tpl = &dep["spec"]["template"];
    assert_eq!(
        tpl["metadata"]["labels"]["app.kubernetes.io/name"],
        "dcaa-audit"
    );
    assert_eq!(tpl["metadata"]["labels"]["hms.io/spec"], "dcaa-secure");
    let pod = &tpl["spec"];
    assert_eq!(pod["serviceAccountName"], "dcaa-audit");
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        pod["nodeSelector"],
        json!({"node.cluster.x-k8s.io/pool": "dcaa-secure"})
    );
    let tsc = &pod["topologySpreadConstraints"][0];
    assert_eq!(
        (&tsc["maxSkew"], &tsc["whenUnsatisfiable"]),
        (&json!(1), &json!("ScheduleAnyway"))
    );
    assert_eq!(tsc["topologyKey"], "kubernetes.io/hostname");
    let psc = &pod["securityContext"];
    assert_eq!(psc["runAsNonRoot"], true);
    assert_eq!(
        (&psc["runAsUser"], &psc["runAsGroup"], &psc["fsGroup"]),
        (&json!(10001), &json!(10001), &json!(10001))
    );
    assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault");
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "ghcr.io/hms/dcaa-audit:v1.0");
    assert_eq!(c["imagePullPolicy"], "Always");
    let csc = &c["securityContext"];
    assert_eq!(csc["allowPrivilegeEscalation"], false);
    assert_eq!(csc["readOnlyRootFilesystem"], true);
    assert_eq!(csc["privileged"], false);
    assert_eq!(csc["runAsNonRoot"], true);
    assert_eq!(csc["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "100m", "memory": "128Mi"},
               "limits": {"cpu": "500m", "memory": "256Mi"}})
    );
    assert_eq!(
        c["volumeMounts"][0],
        json!({"name": "data", "mountPath": "/data/pdfs", "readOnly": false})
    );
    assert_eq!(c["volumeMounts"][1]["mountPath"], "/tmp");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "contract-pdfs"
    );
    assert_eq!(pod["volumes"][1]["emptyDir"], json!({}));
    assert!(c.get("readinessProbe").is_none());
    // Digest and probes are the baseline's findings (HMS-IMAGE-DIGEST, HMS-PROBES): one
    // owner, one warning per fact.
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
}

#[test]
fn port_adds_probes_and_digest_keeps_if_not_present() {
    let mut s = example();
    s["port"] = json!(8443);
    s["image"] = json!(format!("ghcr.io/hms/dcaa-audit@sha256:{}", "0".repeat(64)));
    s["volume"] = json!("none");
    let out = render(s, false);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let pod = &out.manifests[2]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c["ports"][0]["containerPort"], 8443);
    assert_eq!(c["readinessProbe"]["tcpSocket"]["port"], 8443);
    assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], 8443);
    assert_eq!(c["volumeMounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(pod["volumes"], json!([{"name": "tmp", "emptyDir": {}}]));
}

#[test]
fn a_volume_without_storage_is_an_error() {
    let out = render(example(), false);
    let d = &out.diagnostics[0];
    assert_eq!((d.code.as_str(), d.path.as_str()), ("WORKLOAD-VOLUME", ""));
    assert_eq!(
        d.message,
        "the workload mounts a volume but the spec has no `storage` section"
    );
    assert!(out.manifest_texts().is_empty());
    let mut s = example();
    s["volume"] = json!("other");
    let d = &render(s.clone(), false).diagnostics[0];
    assert_eq!(d.path, "/volume");
    assert!(d.message.contains("no `storage` section"), "{}", d.message);
    let d = &render(s, true).diagnostics[0];
    assert_eq!(
        d.message,
        "`workload.volume` `other` does not name the storage volume `contract-pdfs`"
    );
    assert_eq!(d.hint, "use `volume: contract-pdfs` or `volume: none`");
}

#[test]
fn a_storage_section_without_a_volume_name_is_named_in_the_error() {
    let ctx = Ctx::new("s", "s", vec![], vec![], r#"{"storage": {"volume": 3}}"#);
    let out = WorkloadPlugin::render(&example().to_string(), &ctx);
    let d = &out.diagnostics[0];
    assert!(
        d.message.contains("names no `volume.name`"),
        "{}",
        d.message
    );
    assert_eq!(out.diagnostics.len(), 1);
}

#[test]
fn mount_paths_follow_the_volume() {
    let mut s = example();
    s["mountPath"] = json!("data");
    let d = &render(s.clone(), true).diagnostics[0];
    assert_eq!(
        (d.path.as_str(), d.hint.as_str()),
        ("/mountPath", "use `/data`")
    );
    s["volume"] = json!("none");
    let d = &render(s, false).diagnostics[0];
    assert_eq!(
        d.message,
        "`workload.mountPath` needs a volume, but `workload.volume` is `none`"
    );
    let mut s = example();
    s["name"] = json!("reader");
    s["resources"] = json!({"limits": {"cpu": 2}});
    let out = render(s, true);
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let c = &out.manifests[2]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["resources"]["limits"],
        json!({"cpu": "2", "memory": "256Mi"})
    );
    assert_eq!(out.manifests[1]["metadata"]["name"], "reader");
}

#[test]
fn malformed_section_is_an_error_not_a_panic() {
    let out = render(
        json!({"image": 1, "replicas": 0, "name": "x", "volume": "none",
        "runAsUser": 0, "resources": {"requests": {"cpu": true}}}),
        false,
    );
    let paths: Vec<_> = out.diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/image",
            "/resources/requests/cpu",
            "/replicas",
            "/runAsUser"
        ]
    );
    assert!(WorkloadPlugin::render("null", &ctx(true)).has_errors());
}

#[test]
fn metadata_is_complete() {
    let m = WorkloadPlugin::meta();
    assert_eq!((m.name, m.section), ("workload", "workload"));
    assert_eq!(m.emits.len(), 3);
    let res = &m.section_schema["properties"]["resources"];
    assert_eq!(res["additionalProperties"], false);
    assert_eq!(res["properties"]["limits"]["additionalProperties"], false);
}
