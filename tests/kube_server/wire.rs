//! The test server over raw HTTP: selectors, DELETE, WATCH, patches, apply semantics.

use serde_json::{Value, json};

use super::{APPLY, DEPLOY, configmap, deployment};
use crate::kube::TestServer;
use crate::kube::client::{call, kubectl, ok, watch_events};

#[test]
fn apply_dry_run_stores_nothing_and_apply_needs_a_field_manager() {
    let server = TestServer::start();
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=m&dryRun=All"),
        APPLY,
        &deployment("web", 1),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    assert!(
        server
            .get("apps", "deployments", "default", "web")
            .is_none()
    );
    assert_eq!(r.body["metadata"]["generation"], 1);
    assert!(r.body["metadata"]["uid"].is_string());
    // On an existing object a dry run shows the generation the change would make.
    let url = format!("{DEPLOY}/web?fieldManager=m");
    assert_eq!(
        call(&server, "PATCH", &url, APPLY, &deployment("web", 1)).status,
        201
    );
    let r = call(
        &server,
        "PATCH",
        &format!("{url}&dryRun=All"),
        APPLY,
        &deployment("web", 5),
    );
    assert_eq!(
        (r.status, r.body["metadata"]["generation"].as_u64()),
        (200, Some(2)),
        "{}",
        r.body
    );
    assert_eq!(
        server
            .get("apps", "deployments", "default", "web")
            .expect("stored")["spec"]["replicas"],
        1
    );
    let same = call(
        &server,
        "PATCH",
        &format!("{url}&dryRun=All"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(same.body["metadata"]["generation"], 1, "{}", same.body);
    call(&server, "DELETE", &format!("{DEPLOY}/web"), "", "");
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn list_filters_by_label_selector_per_namespace_and_across_namespaces() {
    let server = TestServer::start();
    let ns =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}).to_string();
    assert_eq!(
        call(
            &server,
            "POST",
            "/api/v1/namespaces",
            "application/json",
            &ns
        )
        .status,
        201
    );
    let cms = [
        ("default", "a", json!({"app": "a", "tier": "x"})),
        ("default", "b", json!({"app": "b", "tier": "y"})),
        ("default", "c", json!({"app": "c"})),
        ("other", "d", json!({"app": "a", "tier": "z"})),
    ];
    for (ns, name, labels) in cms {
        let r = call(
            &server,
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            "application/json",
            &configmap(name, labels),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let names = |path: &str| -> Vec<String> {
        let r = call(&server, "GET", path, "", "");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["kind"], "ConfigMapList");
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names("/api/v1/namespaces/default/configmaps?labelSelector=app%3Da"),
        ["a"]
    );
    assert_eq!(
        names("/api/v1/configmaps?labelSelector=app%3Da"),
        ["a", "d"]
    );
    assert_eq!(
        names("/api/v1/namespaces/default/configmaps?labelSelector=app!%3Da"),
        ["b", "c"]
    );
    assert_eq!(
        names("/api/v1/configmaps?labelSelector=tier%20in%20(x,z),app"),
        ["a", "d"]
    );
    assert_eq!(names("/api/v1/configmaps?labelSelector=!tier"), ["c"]);
    assert_eq!(
        names("/api/v1/configmaps?fieldSelector=metadata.name%3Db"),
        ["b"]
    );

    let dir = tempfile::tempdir().expect("temp");
    let out = ok(kubectl(
        &server.kubeconfig(dir.path()),
        &["get", "cm", "-A", "-l", "app=a", "-o", "name"],
    ));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["configmap/a", "configmap/d"]
    );
}

#[test]
fn delete_returns_the_object_and_then_not_found() {
    let server = TestServer::start();
    let r = call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("gone", json!({})),
    );
    assert_eq!(r.status, 201);
    let r = call(
        &server,
        "DELETE",
        "/api/v1/namespaces/default/configmaps/gone?propagationPolicy=Foreground",
        "application/json",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["metadata"]["name"], "gone");
    let r = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/configmaps/gone",
        "",
        "",
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.body["kind"], "Status");
    assert_eq!(r.body["reason"], "NotFound");
    assert_eq!(r.body["message"], "configmaps \"gone\" not found");

    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    call(
        &server,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &configmap("k", json!({})),
    );
    let out = ok(kubectl(&kc, &["delete", "configmap", "k"]));
    assert!(out.contains("configmap \"k\" deleted"), "{out}");
    let k = kubectl(&kc, &["get", "configmap", "k"]);
    assert_ne!(k.code, Some(0));
    assert!(
        k.stderr.contains("NotFound") || k.stderr.contains("not found"),
        "{}",
        k.stderr
    );
}

#[test]
fn watch_streams_added_then_modified_from_a_resource_version() {
    let server = TestServer::start();
    let r = call(
        &server,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        "",
        "",
    );
    let rv = r.body["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let path = format!(
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&labelSelector=w%3D1"
    );
    let events = watch_events(server.addr(), &path, 2, || {
        call(
            &server,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            &configmap("skip", json!({"w": "2"})),
        );
        call(
            &server,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            &configmap("seen", json!({"w": "1"})),
        );
        let patch = json!({"data": {"k": "changed"}}).to_string();
        let r = call(
            &server,
            "PATCH",
            "/api/v1/namespaces/default/configmaps/seen",
            "application/merge-patch+json",
            &patch,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    });
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "seen");
    assert_eq!(events[1]["type"], "MODIFIED");
    assert_eq!(events[1]["object"]["data"]["k"], "changed");
    let (a, b) = (
        &events[0]["object"]["metadata"]["resourceVersion"],
        &events[1]["object"]["metadata"]["resourceVersion"],
    );
    let num = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).expect("rv");
    assert!(num(a) < num(b));
    // The server survives the watcher hanging up.
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/namespaces/default/configmaps/seen",
            "",
            ""
        )
        .status,
        200
    );
}

#[test]
fn reapplying_without_a_field_removes_it() {
    let server = TestServer::start();
    let with = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1", "y": "2"}});
    let path = "/api/v1/namespaces/default/configmaps/c?fieldManager=m";
    assert_eq!(
        call(&server, "PATCH", path, APPLY, &with.to_string()).status,
        201
    );
    // Another manager owns `data.z`; m's apply must keep it.
    let z = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"z": "3"}});
    assert_eq!(
        call(
            &server,
            "PATCH",
            "/api/v1/namespaces/default/configmaps/c?fieldManager=n",
            APPLY,
            &z.to_string()
        )
        .status,
        200
    );
    let without = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1"}});
    let r = call(&server, "PATCH", path, APPLY, &without.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"], json!({"x": "1", "z": "3"}));
    assert_eq!(r.body["metadata"]["labels"], json!({"a": "1"}));
    // Same content again: a no-op, like the API server (same resourceVersion, no event).
    let again = call(&server, "PATCH", path, APPLY, &without.to_string());
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        again.body["metadata"]["resourceVersion"],
        r.body["metadata"]["resourceVersion"]
    );
    assert_eq!(
        again.body["metadata"]["generation"],
        r.body["metadata"]["generation"]
    );
}

#[test]
fn a_watch_with_a_selector_sees_objects_enter_and_leave_it() {
    let server = TestServer::start();
    let cms = "/api/v1/namespaces/default/configmaps";
    let r = call(
        &server,
        "POST",
        cms,
        "application/json",
        &configmap("old", json!({"w": "1"})),
    );
    assert_eq!(r.status, 201);
    let path = format!(
        "{cms}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=w%3D1"
    );
    let relabel = |w: &str| {
        let patch = json!({"metadata": {"labels": {"w": w}}}).to_string();
        let r = call(
            &server,
            "PATCH",
            &format!("{cms}/new"),
            "application/merge-patch+json",
            &patch,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    };
    let events = watch_events(server.addr(), &path, 5, || {
        call(
            &server,
            "POST",
            cms,
            "application/json",
            &configmap("new", json!({"w": "1"})),
        );
        relabel("2");
        relabel("1");
    });
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or(""),
                e["object"]["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("ADDED", "old"),
            ("BOOKMARK", ""),
            ("ADDED", "new"),
            ("DELETED", "new"),
            ("ADDED", "new")
        ]
    );
    assert_eq!(
        events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[test]
fn strategic_merge_and_json_patches_work_like_kubectl_expects() {
    let server = TestServer::start();
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web?fieldManager=m"),
        APPLY,
        &deployment("web", 1),
    );
    assert_eq!(r.status, 201);
    // `kubectl set image` style: a container list item merged by name, directives dropped.
    let smp = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"name": "app", "image": "registry.example/web:v2"}]}}}});
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web"),
        "application/strategic-merge-patch+json",
        &smp.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let spec = &r.body["spec"]["template"]["spec"];
    assert_eq!(
        spec["containers"],
        json!([{"name": "app", "image": "registry.example/web:v2"}])
    );
    assert!(spec.get("$setElementOrder/containers").is_none());
    let jp = json!([
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/tier", "value": "web"},
    ]);
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web"),
        "application/json-patch+json",
        &jp.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.body["spec"]["replicas"].as_u64(),
            r.body["metadata"]["labels"]["tier"].as_str()
        ),
        (Some(4), Some("web"))
    );
    let bad = json!([{"op": "test", "path": "/spec/replicas", "value": 1}]);
    let r = call(
        &server,
        "PATCH",
        &format!("{DEPLOY}/web"),
        "application/json-patch+json",
        &bad.to_string(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
}

#[test]
fn a_watch_on_one_named_object_sees_only_it() {
    let server = TestServer::start();
    let cms = "/api/v1/namespaces/default/configmaps";
    let events = watch_events(server.addr(), &format!("{cms}/b?watch=true"), 1, || {
        call(
            &server,
            "POST",
            cms,
            "application/json",
            &configmap("a", json!({})),
        );
        call(
            &server,
            "POST",
            cms,
            "application/json",
            &configmap("b", json!({})),
        );
    });
    assert_eq!(
        (
            events[0]["type"].as_str(),
            events[0]["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("b"))
    );
}
