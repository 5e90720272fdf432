//! Leases (coordination.k8s.io/v1) as leader election uses them (kube-lease-manager: server-side
//! apply to take a lease, strategic merge patches to renew and release it, resourceVersion
//! preconditions) and Events of both APIs. These run against a real cluster too.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::kube::Cluster;
use crate::kube::client::{kubectl, ok, with_kube};

fn api_error<T: std::fmt::Debug>(r: kube::Result<T>) -> kube::core::Status {
    match r {
        Err(kube::Error::Api(e)) => *e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn take(holder: &str) -> Patch<Value> {
    Patch::Apply(json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 15,
            "acquireTime": "2026-01-01T00:00:00.000000Z",
            "renewTime": "2026-01-01T00:00:00.000000Z",
            "leaseTransitions": 1,
        },
    }))
}

/// The spec fields a manager owns in the lease's managedFields.
fn owned(lease: &Lease, manager: &str) -> Vec<String> {
    let mut out: Vec<String> = lease
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|m| m.manager.as_deref() == Some(manager))
        .filter_map(|m| m.fields_v1.as_ref())
        .filter_map(|f| f.0["f:spec"].as_object())
        .flat_map(|spec| spec.keys().map(|k| k.trim_start_matches("f:").to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn lease_fields_are_owned_per_manager_and_a_second_holder_conflicts() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let leases: Api<Lease> = Api::namespaced(client, "default");
        let name = "hms-leader";
        let _ = leases.delete(name, &DeleteParams::default()).await;
        let a = PatchParams::apply("lease-a");
        let lease = leases
            .patch(name, &a, &take("a"))
            .await
            .expect("a takes the lease");
        let spec = lease.spec.clone().expect("spec");
        assert_eq!(spec.holder_identity.as_deref(), Some("a"));
        assert_eq!(spec.lease_duration_seconds, Some(15));
        assert_eq!(
            owned(&lease, "lease-a"),
            [
                "acquireTime",
                "holderIdentity",
                "leaseDurationSeconds",
                "leaseTransitions",
                "renewTime"
            ]
        );

        // Another manager applying another holder conflicts on the holder.
        let b = PatchParams::apply("lease-b");
        let e = api_error(leases.patch(name, &b, &take("b")).await);
        assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"), "{e:?}");
        assert!(e.message.contains(".spec.holderIdentity"), "{e:?}");
        assert!(e.message.contains("lease-a"), "{e:?}");

        // The holder renews and releases with strategic merge patches (kube-lease-manager).
        let renew = Patch::Strategic(json!({"apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease", "spec": {"renewTime": "2026-01-01T00:00:05.000000Z"}}));
        let pp = PatchParams {
            field_manager: Some("lease-a".into()),
            ..Default::default()
        };
        let renewed = leases.patch(name, &pp, &renew).await.expect("renew");
        assert_eq!(
            renewed
                .spec
                .and_then(|s| s.renew_time)
                .map(|t| t.0.to_string()),
            Some("2026-01-01T00:00:05Z".to_string())
        );
        let release = Patch::Strategic(json!({"apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease", "spec": {"holderIdentity": null, "acquireTime": null,
            "renewTime": null, "leaseDurationSeconds": null}}));
        leases.patch(name, &pp, &release).await.expect("release");
        // Released fields are nobody's: the other manager takes the lease without force.
        let lease = leases
            .patch(name, &b, &take("b"))
            .await
            .expect("b takes the lease");
        assert_eq!(
            lease.spec.and_then(|s| s.holder_identity).as_deref(),
            Some("b")
        );

        // Force takes a field over from its owner.
        let forced = leases
            .patch(name, &PatchParams::apply("lease-a").force(), &take("a"))
            .await
            .expect("forced");
        assert_eq!(
            forced
                .spec
                .clone()
                .and_then(|s| s.holder_identity)
                .as_deref(),
            Some("a")
        );
        assert!(!owned(&forced, "lease-b").contains(&"holderIdentity".to_string()));
        leases
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    });
}

#[test]
fn a_patch_with_a_stale_resource_version_conflicts() {
    let cluster = Cluster::start();
    let kc = cluster.kubeconfig().to_path_buf();
    with_kube(&kc, |client| async move {
        let leases: Api<Lease> = Api::namespaced(client, "default");
        let name = "hms-optimistic";
        let _ = leases.delete(name, &DeleteParams::default()).await;
        let lease: Lease = serde_json::from_value(json!({
            "metadata": {"name": name}, "spec": {"holderIdentity": "a"}}))
        .expect("lease");
        let created = leases
            .create(&PostParams::default(), &lease)
            .await
            .expect("create");
        let rv = created.metadata.resource_version.clone().expect("rv");
        let pp = PatchParams::default();
        let with_rv = |rv: &str, holder: &str| json!({"metadata": {"resourceVersion": rv}, "spec": {"holderIdentity": holder}});
        // The current resourceVersion: the patch applies.
        let patched = leases
            .patch(name, &pp, &Patch::Strategic(with_rv(&rv, "b")))
            .await
            .expect("strategic with the current resourceVersion");
        assert_eq!(
            patched.spec.and_then(|s| s.holder_identity).as_deref(),
            Some("b")
        );
        // The same resourceVersion again is stale now: 409, for strategic and merge patches.
        for patch in [
            Patch::Strategic(with_rv(&rv, "c")),
            Patch::Merge(with_rv(&rv, "c")),
        ] {
            let e = api_error(leases.patch(name, &pp, &patch).await);
            assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"), "{e:?}");
            assert!(e.message.contains("the object has been modified"), "{e:?}");
        }
        let live = leases.get(name).await.expect("get");
        assert_eq!(
            live.spec.and_then(|s| s.holder_identity).as_deref(),
            Some("b")
        );
    });
    // kubectl lists leases by name, and by their full name.
    let out = ok(kubectl(
        &kc,
        &["get", "leases", "-n", "default", "-o", "name"],
    ));
    assert!(
        out.lines()
            .any(|l| l == "lease.coordination.k8s.io/hms-optimistic"),
        "{out}"
    );
    let out = ok(kubectl(
        &kc,
        &["get", "leases.coordination.k8s.io", "-n", "default"],
    ));
    assert!(out.contains("hms-optimistic"), "{out}");
    ok(kubectl(
        &kc,
        &["delete", "lease", "hms-optimistic", "-n", "default"],
    ));
}

#[test]
fn leases_and_both_event_apis_are_discovered_and_stored() {
    let cluster = Cluster::start();
    let kc = cluster.kubeconfig().to_path_buf();
    with_kube(&kc, |client| async move {
        let leases = client
            .list_api_group_resources("coordination.k8s.io/v1")
            .await
            .expect("coordination.k8s.io/v1");
        let lease = leases
            .resources
            .iter()
            .find(|r| r.name == "leases")
            .expect("leases");
        assert!(lease.namespaced && lease.kind == "Lease", "{lease:?}");
        let events = client
            .list_api_group_resources("events.k8s.io/v1")
            .await
            .expect("events.k8s.io/v1");
        let event = events
            .resources
            .iter()
            .find(|r| r.name == "events")
            .expect("events");
        assert!(event.namespaced && event.kind == "Event", "{event:?}");
        assert!(
            event.short_names.iter().flatten().any(|s| s == "ev"),
            "{event:?}"
        );
        let groups = client.list_api_groups().await.expect("/apis");
        for g in ["coordination.k8s.io", "events.k8s.io"] {
            assert!(groups.groups.iter().any(|x| x.name == g), "{g} in /apis");
        }

        // An events.k8s.io/v1 Event as a controller records one, and a core v1 Event.
        use k8s_openapi::api::core::v1::Event as CoreEvent;
        use k8s_openapi::api::events::v1::Event;
        let api: Api<Event> = Api::namespaced(client.clone(), "default");
        let _ = api.delete("hms-event", &DeleteParams::default()).await;
        let ev: Event = serde_json::from_value(json!({
            "metadata": {"name": "hms-event"},
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "reportingController": "sys.hms.io/controller",
            "reportingInstance": "controller-0",
            "action": "Reconciling",
            "reason": "Reconciled",
            "type": "Normal",
            "note": "applied the spec",
            "regarding": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default",
                "name": "x"},
        }))
        .expect("event");
        let created = api
            .create(&PostParams::default(), &ev)
            .await
            .expect("create event");
        assert_eq!(created.reason.as_deref(), Some("Reconciled"));
        assert_eq!(created.note.as_deref(), Some("applied the spec"));
        let listed = api.list(&Default::default()).await.expect("list events");
        assert!(
            listed
                .items
                .iter()
                .any(|e| e.metadata.name.as_deref() == Some("hms-event"))
        );
        api.delete("hms-event", &DeleteParams::default())
            .await
            .expect("delete");

        let core: Api<CoreEvent> = Api::namespaced(client, "default");
        let _ = core
            .delete("hms-core-event", &DeleteParams::default())
            .await;
        let ev: CoreEvent = serde_json::from_value(json!({
            "metadata": {"name": "hms-core-event"},
            "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default",
                "name": "x"},
            "reason": "Reconciled", "message": "applied the spec", "type": "Normal",
            "source": {"component": "sys.hms.io/controller"},
        }))
        .expect("core event");
        let created = core
            .create(&PostParams::default(), &ev)
            .await
            .expect("create core event");
        assert_eq!(created.message.as_deref(), Some("applied the spec"));
        core.delete("hms-core-event", &DeleteParams::default())
            .await
            .expect("delete");
    });
    // kubectl finds the kind through discovery.
    let out = ok(kubectl(
        &kc,
        &[
            "api-resources",
            "--api-group",
            "coordination.k8s.io",
            "-o",
            "name",
        ],
    ));
    assert_eq!(out.trim(), "leases.coordination.k8s.io", "{out}");
}

#[test]
fn kube_runtime_recorder_publishes_an_event_then_a_series() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::api::events::v1::Event;
    use kube::Resource;
    use kube::runtime::events::{Event as Publish, EventType, Recorder, Reporter};
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": "hms-recorded"}})).expect("cm");
        let _ = cms.delete("hms-recorded", &DeleteParams::default()).await;
        let cm = cms
            .create(&PostParams::default(), &cm)
            .await
            .expect("create");
        let reporter = Reporter {
            controller: "sys.hms.io/controller".into(),
            instance: Some("controller-0".into()),
        };
        let recorder = Recorder::new(client.clone(), reporter);
        let publish = Publish {
            type_: EventType::Normal,
            reason: "Reconciled".into(),
            note: Some("applied the spec".into()),
            action: "Reconciling".into(),
            secondary: None,
        };
        let reference = cm.object_ref(&());
        recorder
            .publish(&publish, &reference)
            .await
            .expect("first: create");
        recorder
            .publish(&publish, &reference)
            .await
            .expect("second: merge patch");
        let events: Api<Event> = Api::namespaced(client, "default");
        let ours: Vec<Event> = events
            .list(&Default::default())
            .await
            .expect("list")
            .items
            .into_iter()
            .filter(|e| {
                e.regarding.as_ref().and_then(|r| r.uid.as_deref()) == cm.metadata.uid.as_deref()
            })
            .collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(
            ours[0].series.as_ref().map(|s| s.count),
            Some(2),
            "{ours:?}"
        );
        assert_eq!(
            ours[0].reporting_controller.as_deref(),
            Some("sys.hms.io/controller")
        );
        for e in ours {
            let name = e.metadata.name.expect("name");
            events
                .delete(&name, &DeleteParams::default())
                .await
                .expect("delete event");
        }
        cms.delete("hms-recorded", &DeleteParams::default())
            .await
            .expect("delete");
    });
}
