//! A set larger than one LIST page: apply and prune through `hms_apply` directly.

use hms_apply::{ApplyOptions, Desired, Set, StatusInfo, Target};
use serde_json::json;

use crate::kube::{ServerConfig, TestServer};

fn set() -> Set {
    Set {
        spec: "big".into(),
        namespace: "big".into(),
        tooling: "hms-sys/test".into(),
        status: StatusInfo {
            namespace: "big".into(),
            ..StatusInfo::default()
        },
        owner: None,
    }
}

fn configmaps(n: usize) -> Vec<Desired> {
    let mut out = vec![Desired {
        rank: 1,
        value: json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "big"}}),
    }];
    out.extend((0..n).map(|i| Desired {
        rank: 5,
        value: json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i:04}"), "namespace": "big"}, "data": {"i": "x"}}),
    }));
    out
}

fn apply(server: &TestServer, objects: &[Desired]) -> hms_apply::Report {
    let dir = tempfile::tempdir().expect("tmp");
    let kubeconfig = server.kubeconfig(dir.path());
    hms_apply::block_on(async {
        let client = hms_apply::connect(&Target {
            kubeconfig: Some(kubeconfig),
            context: None,
        })
        .await?;
        let sink = hms_apply::events::Sink::none();
        let opts = ApplyOptions::default();
        hms_apply::apply(&client, &set(), objects, &opts, &sink, &mut |_| {}).await
    })
    .expect("runtime")
    .expect("apply")
}

#[test]
fn prune_pages_through_a_set_larger_than_one_list_page() {
    let server = TestServer::start_with(ServerConfig {
        controllers: false,
        ..ServerConfig::default()
    });
    let first = apply(&server, &configmaps(1200));
    assert!(!first.failed());
    // Not ours: no part-of label. Prune must leave it.
    server.insert(
        "",
        "configmaps",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "theirs", "namespace": "big"}}),
    );

    let second = apply(&server, &configmaps(100));
    let pruned = second
        .results
        .iter()
        .filter(|r| r.action == hms_apply::Action::Pruned)
        .count();
    assert_eq!(pruned, 1100, "every dropped object, across three pages");
    let left: Vec<String> = server
        .list("", "configmaps", Some("big"))
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str().map(String::from))
        .collect();
    assert_eq!(left.len(), 102, "100 rendered, the inventory, and theirs");
    assert!(left.contains(&"theirs".to_string()));
    assert!(left.contains(&"cm-0099".to_string()) && !left.contains(&"cm-0100".to_string()));
    let lists = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1/namespaces/big/configmaps")
        .filter(|r| r.query.contains("continue="))
        .count();
    assert!(lists >= 2, "prune followed the continue tokens");
}
