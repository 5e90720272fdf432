//! Finalizers and graceful deletion, through kube-rs and kubectl: DELETE of an object with
//! finalizers marks it (deletionTimestamp) and every kind of write that empties its finalizers
//! removes it; a namespace with such objects stays Terminating until they are gone. These run
//! against a real cluster too (`HMS_TEST_KUBECONFIG`).

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{
    Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions, WatchEvent, WatchParams,
};
use kube::core::Status;
use serde_json::{Value, json};

use crate::kube::Cluster;
use crate::kube::client::{eventually, eventually_async, kubectl, ok, with_kube};

pub const HOLD: &str = "test.hms.io/hold";

/// A ConfigMap named `name` in `ns`, with `finalizers` and a label.
fn held(name: &str, ns: &str, finalizers: &[&str]) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "finalizers": finalizers,
            "labels": {"test.hms.io/finalizers": "yes"}},
        "data": {"k": "v"},
    }))
    .expect("configmap")
}

/// The API error of a kube-rs call that must fail.
fn api_error<T: std::fmt::Debug>(r: kube::Result<T>) -> Status {
    match r {
        Err(kube::Error::Api(e)) => *e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Removes what an earlier run on a real cluster may have left: finalizers cleared, deleted, gone.
async fn clear(api: &Api<ConfigMap>, name: &str) {
    if api.get_opt(name).await.expect("get").is_none() {
        return;
    }
    let _ = api
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await;
    let _ = api.delete(name, &DeleteParams::default()).await;
    eventually_async(|| async {
        api.get_opt(name)
            .await
            .expect("get")
            .is_none()
            .then_some(())
    })
    .await;
}

#[test]
fn deleting_an_object_with_a_finalizer_marks_it_until_the_finalizer_goes() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let name = "hms-finalized";
        clear(&api, name).await;
        let created = api
            .create(&PostParams::default(), &held(name, "default", &[HOLD]))
            .await
            .expect("create");
        let rv = created.metadata.resource_version.clone().expect("rv");
        let wp = WatchParams::default().fields(&format!("metadata.name={name}"));
        let mut events = api.watch(&wp, &rv).await.expect("watch").boxed();

        // DELETE marks it and answers with it.
        let deleted = api
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
        let marked = deleted.left().expect("the object, still there");
        assert!(marked.metadata.deletion_timestamp.is_some(), "{marked:?}");
        assert_eq!(marked.metadata.deletion_grace_period_seconds, Some(0));
        let live = api.get(name).await.expect("still there");
        assert_eq!(
            live.metadata.deletion_timestamp,
            marked.metadata.deletion_timestamp
        );
        assert_eq!(
            live.metadata.finalizers.as_deref(),
            Some(&[HOLD.to_string()][..])
        );

        // A second DELETE changes nothing.
        let again = api
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete again")
            .left()
            .expect("the object");
        assert_eq!(
            again.metadata.resource_version,
            live.metadata.resource_version
        );

        // No new finalizer on an object being deleted.
        let e = api_error(
            api.patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": [HOLD, "test.hms.io/more"]}})),
            )
            .await,
        );
        assert_eq!(e.code, 422, "{e:?}");
        assert!(
            e.message
                .contains("no new finalizers can be added if the object is being deleted"),
            "{e:?}"
        );

        // The deletionTimestamp is the server's: clearing it is ignored, other changes are kept.
        let patched = api
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(
                    json!({"metadata": {"deletionTimestamp": null}, "data": {"k": "v2"}}),
                ),
            )
            .await
            .expect("patch");
        assert_eq!(
            patched.metadata.deletion_timestamp,
            marked.metadata.deletion_timestamp
        );
        assert_eq!(
            patched
                .data
                .as_ref()
                .and_then(|d| d.get("k"))
                .map(String::as_str),
            Some("v2")
        );

        // Emptying the finalizers deletes it.
        api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("remove the finalizer");
        assert!(api.get_opt(name).await.expect("get").is_none());

        // Watchers saw the marking (MODIFIED with a deletionTimestamp), then the deletion.
        let mut seen = Vec::new();
        while let Some(e) = events.next().await {
            match e.expect("watch event") {
                WatchEvent::Modified(cm) => {
                    seen.push(("MODIFIED", cm.metadata.deletion_timestamp.is_some()))
                }
                WatchEvent::Deleted(cm) => {
                    assert!(cm.metadata.finalizers.unwrap_or_default().is_empty());
                    seen.push(("DELETED", true));
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(seen.first(), Some(&("MODIFIED", true)), "{seen:?}");
        assert_eq!(seen.last(), Some(&("DELETED", true)), "{seen:?}");
    });
}

#[test]
fn every_kind_of_write_that_empties_the_finalizers_deletes_a_terminating_object() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let names = [
            "hms-fin-put",
            "hms-fin-apply",
            "hms-fin-strategic",
            "hms-fin-json",
            "hms-fin-metadata",
        ];
        for name in names {
            clear(&api, name).await;
        }
        // The apply one is created by apply, so its manager owns the finalizer.
        let apply = |finalizers: Vec<&str>| {
            Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "hms-fin-apply", "finalizers": finalizers},
                "data": {"k": "v"}}))
        };
        let pp = PatchParams::apply("hms-test");
        api.patch("hms-fin-apply", &pp, &apply(vec![HOLD]))
            .await
            .expect("apply");
        for name in names.iter().filter(|n| **n != "hms-fin-apply") {
            api.create(&PostParams::default(), &held(name, "default", &[HOLD]))
                .await
                .expect("create");
        }
        // A strategic merge patch adds to the finalizers (their patch strategy is merge).
        let two = api
            .patch(
                "hms-fin-strategic",
                &PatchParams::default(),
                &Patch::Strategic(json!({"metadata": {"finalizers": ["test.hms.io/second"]}})),
            )
            .await
            .expect("strategic add");
        assert_eq!(
            two.metadata.finalizers.unwrap_or_default(),
            [HOLD, "test.hms.io/second"]
        );
        for name in names {
            let d = api
                .delete(name, &DeleteParams::default())
                .await
                .expect("delete");
            assert!(
                d.left()
                    .is_some_and(|o| o.metadata.deletion_timestamp.is_some())
            );
        }

        let mut live = api.get("hms-fin-put").await.expect("get");
        live.metadata.finalizers = None;
        api.replace("hms-fin-put", &PostParams::default(), &live)
            .await
            .expect("PUT");
        api.patch("hms-fin-apply", &pp, &apply(vec![]))
            .await
            .expect("apply");
        api.patch(
            "hms-fin-strategic",
            &PatchParams::default(),
            &Patch::Strategic(json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [HOLD, "test.hms.io/second"]}})),
        )
        .await
        .expect("strategic");
        api.patch(
            "hms-fin-json",
            &PatchParams::default(),
            &Patch::<Value>::Json(
                serde_json::from_value(json!([{"op": "remove", "path": "/metadata/finalizers"}]))
                    .expect("json patch"),
            ),
        )
        .await
        .expect("json patch");
        api.patch_metadata(
            "hms-fin-metadata",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": []}})),
        )
        .await
        .expect("metadata patch");

        for name in names {
            eventually_async(|| async {
                api.get_opt(name)
                    .await
                    .expect("get")
                    .is_none()
                    .then_some(())
            })
            .await;
        }
    });
}

#[test]
fn delete_options_preconditions_and_deletecollection_follow_the_same_rules() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let (kept, gone) = ("hms-coll-held", "hms-coll-free");
        clear(&api, kept).await;
        clear(&api, gone).await;
        let a = api
            .create(&PostParams::default(), &held(kept, "default", &[HOLD]))
            .await
            .expect("create");
        api.create(&PostParams::default(), &held(gone, "default", &[]))
            .await
            .expect("create");

        // Preconditions: a wrong uid or resourceVersion is a 409, the right ones delete.
        let wrong_uid = DeleteParams {
            preconditions: Some(Preconditions {
                uid: Some("00000000-0000-0000-0000-000000000000".into()),
                resource_version: None,
            }),
            ..Default::default()
        };
        let e = api_error(api.delete(kept, &wrong_uid).await);
        assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"), "{e:?}");
        assert!(
            e.message
                .contains("Precondition failed: UID in precondition"),
            "{e:?}"
        );
        let stale_rv = DeleteParams {
            preconditions: Some(Preconditions {
                uid: a.metadata.uid.clone(),
                resource_version: Some("1".into()),
            }),
            ..Default::default()
        };
        let e = api_error(api.delete(kept, &stale_rv).await);
        assert_eq!(e.code, 409, "{e:?}");
        assert!(
            api.get(kept)
                .await
                .expect("get")
                .metadata
                .deletion_timestamp
                .is_none()
        );

        // deletecollection: the one with a finalizer is marked and stays, the other goes.
        let lp = kube::api::ListParams::default().labels("test.hms.io/finalizers=yes");
        api.delete_collection(&DeleteParams::default(), &lp)
            .await
            .expect("deletecollection");
        eventually_async(|| async {
            api.get_opt(gone)
                .await
                .expect("get")
                .is_none()
                .then_some(())
        })
        .await;
        let live = api.get(kept).await.expect("kept");
        assert!(live.metadata.deletion_timestamp.is_some(), "{live:?}");
        clear(&api, kept).await;
    });
}

#[test]
fn a_namespace_with_finalized_objects_stays_terminating_until_they_are_gone() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let ns = "hms-terminating";
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        if namespaces.get_opt(ns).await.expect("get").is_some() {
            clear(&cms, "held").await;
            let _ = namespaces.delete(ns, &DeleteParams::default()).await;
            eventually_async(|| async {
                namespaces
                    .get_opt(ns)
                    .await
                    .expect("get")
                    .is_none()
                    .then_some(())
            })
            .await;
        }
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": ns}})).expect("ns");
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .expect("create ns");
        cms.create(&PostParams::default(), &held("held", ns, &[HOLD]))
            .await
            .expect("held");
        cms.create(&PostParams::default(), &held("free", ns, &[]))
            .await
            .expect("free");

        namespaces
            .delete(ns, &DeleteParams::default())
            .await
            .expect("delete ns");
        // The object without finalizers goes; the held one is marked and stays, and so does the
        // namespace, Terminating.
        eventually_async(|| async {
            cms.get_opt("free")
                .await
                .expect("get")
                .is_none()
                .then_some(())
        })
        .await;
        let held_cm = eventually_async(|| async {
            cms.get("held")
                .await
                .ok()
                .filter(|c| c.metadata.deletion_timestamp.is_some())
        })
        .await;
        assert_eq!(
            held_cm.metadata.finalizers.as_deref(),
            Some(&[HOLD.to_string()][..])
        );
        let live = namespaces.get(ns).await.expect("namespace still there");
        assert!(live.metadata.deletion_timestamp.is_some(), "{live:?}");
        assert_eq!(
            live.status.and_then(|s| s.phase).as_deref(),
            Some("Terminating")
        );
        // Nothing new may be created in it.
        let e = api_error(
            cms.create(&PostParams::default(), &held("late", ns, &[]))
                .await,
        );
        assert_eq!((e.code, e.reason.as_str()), (403, "Forbidden"), "{e:?}");
        assert!(
            e.message.contains("because it is being terminated"),
            "{e:?}"
        );

        // Once the held object lets go, it and then the namespace are gone.
        cms.patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("let go");
        eventually_async(|| async {
            namespaces
                .get_opt(ns)
                .await
                .expect("get")
                .is_none()
                .then_some(())
        })
        .await;
    });
}

#[test]
fn kubectl_delete_without_waiting_leaves_an_object_terminating() {
    let cluster = Cluster::start();
    let kc = cluster.kubeconfig();
    let file = cluster.scratch().join("held.json");
    let cm = serde_json::to_string(&held("hms-kubectl-held", "default", &[HOLD])).expect("json");
    std::fs::write(&file, cm).expect("write");
    let f = file.to_str().expect("utf-8");
    let _ = kubectl(
        kc,
        &[
            "patch",
            "configmap",
            "hms-kubectl-held",
            "-n",
            "default",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
    );
    let _ = kubectl(
        kc,
        &[
            "delete",
            "configmap",
            "hms-kubectl-held",
            "-n",
            "default",
            "--ignore-not-found",
        ],
    );
    ok(kubectl(kc, &["apply", "--server-side", "-f", f]));
    let out = ok(kubectl(
        kc,
        &[
            "delete",
            "configmap",
            "hms-kubectl-held",
            "-n",
            "default",
            "--wait=false",
        ],
    ));
    assert!(out.contains("deleted"), "{out}");
    let stamp = ok(kubectl(
        kc,
        &[
            "get",
            "configmap",
            "hms-kubectl-held",
            "-n",
            "default",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
        ],
    ));
    assert!(!stamp.trim().is_empty(), "still there, being deleted");
    ok(kubectl(
        kc,
        &[
            "patch",
            "configmap",
            "hms-kubectl-held",
            "-n",
            "default",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
    ));
    eventually(|| {
        let k = kubectl(
            kc,
            &["get", "configmap", "hms-kubectl-held", "-n", "default"],
        );
        (k.code != Some(0) && k.stderr.contains("NotFound")).then_some(())
    });
}

/// What only the test server shows: it has no garbage collector, so `propagationPolicy` is
/// checked but adds no `foregroundDeletion` finalizer; and an apply with a stale
/// resourceVersion is refused like any other update.
#[test]
fn propagation_policy_is_checked_and_an_apply_with_a_stale_resource_version_conflicts() {
    use super::APPLY;
    use crate::kube::TestServer;
    use crate::kube::client::call;
    let server = TestServer::start();
    let path = "/api/v1/namespaces/default/configmaps";
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"}, "data": {"k": "v"}});
    let r = call(&server, "POST", path, "application/json", &cm.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    let rv = r.body["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let r = call(
        &server,
        "PATCH",
        &format!("{path}/c?fieldManager=t&force=true"),
        APPLY,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"k": "w"}})
        .to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let stale = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "resourceVersion": rv}, "data": {"k": "x"}});
    let r = call(
        &server,
        "PATCH",
        &format!("{path}/c?fieldManager=t&force=true"),
        APPLY,
        &stale.to_string(),
    );
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("Conflict")),
        "{}",
        r.body
    );

    let r = call(
        &server,
        "DELETE",
        &format!("{path}/c"),
        "application/json",
        r#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Sideways"}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = call(
        &server,
        "DELETE",
        &format!("{path}/c"),
        "application/json",
        r#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        server.get("", "configmaps", "default", "c").is_none(),
        "gone at once"
    );
}

#[test]
fn finalizers_applied_by_two_managers_are_a_set_each_owns_its_own() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let name = "hms-fin-set";
        clear(&api, name).await;
        let apply = |finalizers: Vec<&str>| {
            Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "finalizers": finalizers}}))
        };
        let (a, b) = (PatchParams::apply("owner-a"), PatchParams::apply("owner-b"));
        api.patch(name, &a, &apply(vec!["test.hms.io/a"]))
            .await
            .expect("a");
        let both = api
            .patch(name, &b, &apply(vec!["test.hms.io/b"]))
            .await
            .expect("b");
        assert_eq!(
            both.metadata.finalizers.clone().unwrap_or_default(),
            ["test.hms.io/a", "test.hms.io/b"]
        );
        let entry = both
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .find(|m| m.manager.as_deref() == Some("owner-b"))
            .expect("owner-b");
        let fields = &entry.fields_v1.as_ref().expect("fieldsV1").0;
        assert!(
            fields["f:metadata"]["f:finalizers"]["v:\"test.hms.io/b\""].is_object(),
            "{fields}"
        );
        // A manager that stops applying its finalizer removes only its own.
        let left = api
            .patch(name, &a, &apply(vec![]))
            .await
            .expect("a lets go");
        assert_eq!(
            left.metadata.finalizers.unwrap_or_default(),
            ["test.hms.io/b"]
        );
        clear(&api, name).await;
    });
}
