//! Custom resources as a controller uses them: a cluster-scoped CRD with a status subresource
//! written at run time through kube-rs, found through discovery, its status written only through
//! `/status`, its generation moved only by spec changes, finalizers and watches on it.

use futures::StreamExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde_json::{Value, json};

use super::{APPLY, CRD_PATH};
use crate::kube::client::{call, eventually_async, with_kube};
use crate::kube::{Cluster, TestServer};

const NAME: &str = "sysspecs.sys.hms.io";

/// The controller's CRD: `SysSpec`, cluster-scoped, `sys.hms.io/v1alpha1`, with `/status`.
fn sysspec_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": NAME},
        "spec": {
            "group": "sys.hms.io", "scope": "Cluster",
            "names": {"kind": "SysSpec", "plural": "sysspecs", "singular": "sysspec",
                "listKind": "SysSpecList"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                }}}}],
        },
    })
}

fn generation(o: &DynamicObject) -> i64 {
    o.metadata.generation.expect("generation")
}

#[test]
fn a_cluster_scoped_crd_from_kube_rs_serves_status_generation_finalizers_and_watch() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        let crd: CustomResourceDefinition = serde_json::from_value(sysspec_crd()).expect("crd");
        let pp = PatchParams::apply("sys-controller").force();
        crds.patch(NAME, &pp, &Patch::Apply(&crd))
            .await
            .expect("apply the CRD");
        eventually_async(|| async {
            let c = crds.get(NAME).await.ok()?;
            let conds = c.status?.conditions?;
            conds
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
                .then_some(())
        })
        .await;

        // Found through discovery: cluster-scoped, with a status subresource.
        let gvk = GroupVersionKind::gvk("sys.hms.io", "v1alpha1", "SysSpec");
        let (ar, caps) =
            eventually_async(|| async { kube::discovery::pinned_kind(&client, &gvk).await.ok() })
                .await;
        assert_eq!(caps.scope, Scope::Cluster);
        assert_eq!(ar.plural, "sysspecs");
        assert!(
            caps.subresources
                .iter()
                .any(|(r, _)| r.plural == "sysspecs/status" || r.plural == "status"),
            "{:?}",
            caps.subresources
        );
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        let name = "cluster";
        if api.get_opt(name).await.expect("get").is_some() {
            let _ = api
                .patch(
                    name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"finalizers": null}})),
                )
                .await;
            let _ = api.delete(name, &DeleteParams::default()).await;
        }
        let rv0 = {
            let list = api.list(&Default::default()).await.expect("list");
            list.metadata.resource_version.expect("list rv")
        };
        let mut events = api
            .watch(&WatchParams::default(), &rv0)
            .await
            .expect("watch the cluster-scoped kind")
            .boxed();

        // Create: a status in the body is dropped (the status subresource owns it).
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "sys.hms.io/v1alpha1", "kind": "SysSpec",
            "metadata": {"name": name, "finalizers": ["sys.hms.io/cleanup"]},
            "spec": {"replicas": 1},
            "status": {"phase": "Forged"},
        }))
        .expect("object");
        let created = api
            .create(&PostParams::default(), &obj)
            .await
            .expect("create");
        assert!(
            created.data.get("status").is_none_or(Value::is_null),
            "{created:?}"
        );
        assert_eq!(generation(&created), 1);

        // The controller writes status through /status: the generation stays.
        let status = Patch::Apply(
            json!({"apiVersion": "sys.hms.io/v1alpha1", "kind": "SysSpec",
            "status": {"phase": "Ready", "observedGeneration": 1}}),
        );
        let s = api
            .patch_status(name, &PatchParams::apply("sys-controller").force(), &status)
            .await
            .expect("status");
        assert_eq!(s.data["status"]["phase"], "Ready");
        assert_eq!(s.data["spec"]["replicas"], 1);
        assert_eq!(generation(&s), 1);
        // The status fields are the controller's, recorded for the status subresource; another
        // manager applying another phase conflicts.
        let entry = s
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .find(|m| {
                m.manager.as_deref() == Some("sys-controller")
                    && m.subresource.as_deref() == Some("status")
            })
            .expect("the controller's status entry");
        assert_eq!(entry.operation.as_deref(), Some("Apply"));
        let fields = &entry.fields_v1.as_ref().expect("fieldsV1").0;
        assert!(fields["f:status"]["f:phase"].is_object(), "{fields}");
        assert!(fields.get("f:spec").is_none(), "{fields}");
        let other = Patch::Apply(
            json!({"apiVersion": "sys.hms.io/v1alpha1", "kind": "SysSpec",
            "status": {"phase": "Mine"}}),
        );
        match api
            .patch_status(name, &PatchParams::apply("intruder"), &other)
            .await
        {
            Err(kube::Error::Api(e)) => {
                assert_eq!(e.code, 409, "{e:?}");
                assert!(e.message.contains(".status.phase"), "{e:?}");
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        // /status ignores everything but the status.
        let s = api
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 9}, "status": {"phase": "Degraded"}})),
            )
            .await
            .expect("status merge");
        assert_eq!(s.data["spec"]["replicas"], 1);
        assert_eq!(s.data["status"]["phase"], "Degraded");

        // The main endpoint ignores the status; a spec change bumps the generation, metadata
        // changes do not.
        let m = api
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 2}, "status": {"phase": "Hacked"}})),
            )
            .await
            .expect("merge");
        assert_eq!(m.data["spec"]["replicas"], 2);
        assert_eq!(m.data["status"]["phase"], "Degraded");
        assert_eq!(generation(&m), 2);
        let m = api
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"tier": "gold"}}})),
            )
            .await
            .expect("label");
        assert_eq!(generation(&m), 2);
        let mut replaced = m.clone();
        replaced.data["status"] = json!({"phase": "Replaced"});
        let r = api
            .replace(name, &PostParams::default(), &replaced)
            .await
            .expect("PUT");
        assert_eq!(r.data["status"]["phase"], "Degraded");
        assert_eq!(generation(&r), 2);

        // Deletion with a finalizer: marked (generation bumped, as the API server does), the
        // controller still writes status, then lets go and the object is gone.
        let d = api
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
        let marked = d.left().expect("still there");
        assert!(marked.metadata.deletion_timestamp.is_some());
        assert_eq!(generation(&marked), 3);
        api.patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Finalizing"}})),
        )
        .await
        .expect("status while deleting");
        api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("let go");
        assert!(api.get_opt(name).await.expect("get").is_none());

        // The cluster-wide watch saw it all, ending with the deletion.
        let mut kinds = Vec::new();
        while let Some(e) = events.next().await {
            match e.expect("event") {
                WatchEvent::Added(_) => kinds.push("ADDED"),
                WatchEvent::Modified(_) => kinds.push("MODIFIED"),
                WatchEvent::Deleted(o) => {
                    assert_eq!(o.metadata.name.as_deref(), Some(name));
                    kinds.push("DELETED");
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(kinds.first(), Some(&"ADDED"), "{kinds:?}");
        assert!(kinds.contains(&"MODIFIED"), "{kinds:?}");
        crds.delete(NAME, &DeleteParams::default())
            .await
            .expect("delete the CRD");
    });
}

#[test]
fn without_a_status_subresource_status_is_an_ordinary_field() {
    let server = TestServer::start();
    let mut crd = super::widget_crd();
    crd["metadata"]["name"] = json!("plains.example.hms.io");
    crd["spec"]["names"] = json!({"kind": "Plain", "plural": "plains", "singular": "plain"});
    let r = call(
        &server,
        "PATCH",
        &format!("{CRD_PATH}/plains.example.hms.io?fieldManager=t"),
        APPLY,
        &crd.to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let list = call(&server, "GET", "/apis/example.hms.io/v1", "", "");
    let names: Vec<&str> = list.body["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["plains"], "no plains/status: {}", list.body);
    let path = "/apis/example.hms.io/v1/namespaces/default/plains";
    let obj = json!({"apiVersion": "example.hms.io/v1", "kind": "Plain",
        "metadata": {"name": "p"}, "spec": {"a": 1}, "status": {"phase": "Given"}});
    let r = call(&server, "POST", path, "application/json", &obj.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["status"]["phase"], "Given",
        "kept on create: {}",
        r.body
    );
    let r = call(
        &server,
        "PATCH",
        &format!("{path}/p"),
        "application/merge-patch+json",
        r#"{"status": {"phase": "Changed"}}"#,
    );
    assert_eq!(r.body["status"]["phase"], "Changed", "{}", r.body);
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "status is spec here: {}",
        r.body
    );
    let r = call(&server, "GET", &format!("{path}/p/status"), "", "");
    assert_eq!(r.status, 404, "{}", r.body);
}
