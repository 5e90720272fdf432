//! kube-runtime's `watcher`, as a controller runs it: LIST in pages, then WATCH from the list's
//! resourceVersion with bookmarks; across all namespaces, with label selectors, for namespaced
//! and cluster-scoped kinds; resuming after a watch times out; and with streaming lists.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::watcher::{self, Event, watcher};
use serde_json::{Value, json};

use crate::kube::client::{SAFETY, eventually_async, with_kube};
use crate::kube::{Cluster, TestServer};

const LABEL: &str = "test.hms.io/watcher=yes";

fn labelled_cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name,
        "labels": {"test.hms.io/watcher": "yes"}}, "data": {"k": "v"}}))
    .expect("configmap")
}

/// The next watcher event that is not an error (the watcher retries errors itself).
async fn next<K: Clone + std::fmt::Debug>(
    stream: &mut (impl futures::Stream<Item = watcher::Result<Event<K>>> + Unpin),
) -> Event<K> {
    loop {
        match stream.next().await.expect("the watcher stream ended") {
            Ok(e) => return e,
            Err(e) => eprintln!("watcher error (retried): {e}"),
        }
    }
}

fn name_of<K: kube::Resource>(o: &K) -> String {
    o.meta().name.clone().unwrap_or_default()
}

/// Reads the initial listing of a watcher: the names it applied, up to InitDone.
async fn initial<K: kube::Resource + Clone + std::fmt::Debug>(
    stream: &mut (impl futures::Stream<Item = watcher::Result<Event<K>>> + Unpin),
) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        match next(stream).await {
            Event::Init => names.clear(),
            Event::InitApply(o) => names.push(name_of(&o)),
            Event::InitDone => break,
            other => panic!("unexpected before InitDone: {other:?}"),
        }
    }
    names.sort();
    names
}

#[test]
fn the_watcher_lists_in_pages_then_watches_namespaced_and_cluster_scoped_kinds() {
    let cluster = Cluster::start();
    with_kube(cluster.kubeconfig(), |client| async move {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let lp = ListParams::default().labels(LABEL);
        cms.delete_collection(&DeleteParams::default(), &lp)
            .await
            .expect("clean");
        let namespaces: Api<Namespace> = Api::all(client.clone());
        if namespaces
            .get_opt("hms-watched")
            .await
            .expect("get")
            .is_some()
        {
            let _ = namespaces
                .delete("hms-watched", &DeleteParams::default())
                .await;
            eventually_async(|| async {
                namespaces
                    .get_opt("hms-watched")
                    .await
                    .expect("get")
                    .is_none()
                    .then_some(())
            })
            .await;
        }
        for i in 0..3 {
            cms.create(&PostParams::default(), &labelled_cm(&format!("w-{i}")))
                .await
                .expect("seed");
        }
        let unlabelled: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": "w-plain"}})).expect("cm");
        let _ = cms.delete("w-plain", &DeleteParams::default()).await;
        cms.create(&PostParams::default(), &unlabelled)
            .await
            .expect("plain");

        // All namespaces, a label selector, pages of 2.
        let config = watcher::Config::default().labels(LABEL).page_size(2);
        let mut stream = watcher(Api::<ConfigMap>::all(client.clone()), config).boxed();
        assert_eq!(initial(&mut stream).await, ["w-0", "w-1", "w-2"]);
        cms.create(&PostParams::default(), &labelled_cm("w-3"))
            .await
            .expect("create");
        match next(&mut stream).await {
            Event::Apply(o) => assert_eq!(name_of(&o), "w-3"),
            other => panic!("expected w-3 applied, got {other:?}"),
        }
        cms.delete("w-0", &DeleteParams::default())
            .await
            .expect("delete");
        match next(&mut stream).await {
            Event::Delete(o) => assert_eq!(name_of(&o), "w-0"),
            other => panic!("expected w-0 deleted, got {other:?}"),
        }

        // A cluster-scoped kind.
        let config = watcher::Config::default().labels(LABEL);
        let mut ns_stream = watcher(namespaces.clone(), config).boxed();
        let before = initial(&mut ns_stream).await;
        assert!(!before.contains(&"hms-watched".to_string()), "{before:?}");
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "hms-watched",
            "labels": {"test.hms.io/watcher": "yes"}}}))
        .expect("ns");
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .expect("create ns");
        match next(&mut ns_stream).await {
            Event::Apply(o) => assert_eq!(name_of(&o), "hms-watched"),
            other => panic!("expected the namespace applied, got {other:?}"),
        }
        namespaces
            .delete("hms-watched", &DeleteParams::default())
            .await
            .expect("delete ns");
        loop {
            // A real cluster first marks the namespace Terminating (an Apply), then deletes it.
            match next(&mut ns_stream).await {
                Event::Delete(o) => break assert_eq!(name_of(&o), "hms-watched"),
                Event::Apply(o) => assert_eq!(name_of(&o), "hms-watched"),
                other => panic!("unexpected {other:?}"),
            }
        }
        cms.delete_collection(&DeleteParams::default(), &lp)
            .await
            .expect("clean");
        cms.delete("w-plain", &DeleteParams::default())
            .await
            .expect("clean");
    });
    if let Some(server) = cluster.test_server("reads the request log") {
        let log = server.requests();
        let lists: Vec<_> = log
            .iter()
            .filter(|r| r.path == "/api/v1/configmaps" && !r.query.contains("watch=true"))
            .collect();
        assert!(lists.len() >= 2, "two pages: {lists:?}");
        assert!(
            lists.iter().all(|r| r.query.contains("limit=2")),
            "{lists:?}"
        );
        assert!(lists[1].query.contains("continue="), "{lists:?}");
        assert!(
            log.iter().any(|r| r.path == "/api/v1/configmaps"
                && r.query.contains("watch=true")
                && r.query.contains("allowWatchBookmarks=true")
                && r.query.contains("timeoutSeconds=290")),
            "{log:?}"
        );
    }
}

/// Every watch event of a watch that ends by itself (its `timeoutSeconds`), raw HTTP.
fn watch_to_end(server: &TestServer, path: &str) -> Vec<Value> {
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(SAFETY)).expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    while r.read_line(&mut line).expect("head") > 0 && line != "\r\n" {
        line.clear();
    }
    let mut events = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).expect("chunk size");
        let size = usize::from_str_radix(line.trim(), 16).expect("hex");
        if size == 0 {
            return events;
        }
        let mut chunk = vec![0; size + 2];
        r.read_exact(&mut chunk).expect("chunk");
        for l in String::from_utf8_lossy(&chunk[..size])
            .lines()
            .filter(|l| !l.is_empty())
        {
            events.push(serde_json::from_str(l).expect("event json"));
        }
    }
}

#[test]
fn a_watch_that_times_out_ends_with_a_bookmark_and_the_watcher_resumes_from_it() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    let rv = server.resource_version();
    // Something of another kind moves the resourceVersion on.
    server.insert(
        "",
        "secrets",
        json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"}}),
    );
    let events = watch_to_end(
        &server,
        &format!(
            "/api/v1/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1&allowWatchBookmarks=true"
        ),
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "BOOKMARK");
    assert_eq!(events[0]["object"]["kind"], "ConfigMap");
    assert_eq!(
        events[0]["object"]["metadata"]["resourceVersion"],
        server.resource_version().to_string()
    );
    // Without allowWatchBookmarks, no bookmark.
    let events = watch_to_end(
        &server,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
    );
    assert!(events.is_empty(), "{events:?}");

    let raw = server.requests().len();
    with_kube(&kc, |client| async move {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let config = watcher::Config::default().timeout(1);
        let mut stream = watcher(cms.clone(), config).boxed();
        assert!(initial(&mut stream).await.is_empty());
        let a = cms
            .create(&PostParams::default(), &labelled_cm("a"))
            .await
            .expect("a");
        match next(&mut stream).await {
            Event::Apply(o) => assert_eq!(name_of(&o), "a"),
            other => panic!("{other:?}"),
        }
        // The first watch ends after a second; the watcher watches again from the bookmark,
        // while we keep polling the stream.
        // The watcher's watches (after the raw ones above).
        let watches = |server: &TestServer| {
            server
                .requests()
                .into_iter()
                .skip(raw)
                .filter(|r| r.query.contains("watch=true"))
                .collect::<Vec<_>>()
        };
        let a_rv: u64 = a
            .metadata
            .resource_version
            .expect("rv")
            .parse()
            .expect("number");
        let waiting = async {
            eventually_async(|| async { (watches(&server).len() >= 2).then_some(()) }).await;
        };
        tokio::select! {
            _ = waiting => {}
            e = next(&mut stream) => panic!("nothing happened, yet {e:?}"),
        }
        let second = watches(&server).swap_remove(1);
        let from: u64 = second
            .query
            .split('&')
            .find_map(|p| p.strip_prefix("resourceVersion="))
            .and_then(|v| v.parse().ok())
            .expect("resourceVersion");
        assert!(from >= a_rv, "resumed from {from}, before a ({a_rv})");
        cms.create(&PostParams::default(), &labelled_cm("b"))
            .await
            .expect("b");
        match next(&mut stream).await {
            Event::Apply(o) => assert_eq!(name_of(&o), "b"),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn the_watcher_with_streaming_lists_gets_initial_events_then_changes() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("temp");
    let kc = server.kubeconfig(dir.path());
    with_kube(&kc, |client| async move {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        for n in ["s-1", "s-2"] {
            cms.create(&PostParams::default(), &labelled_cm(n))
                .await
                .expect("seed");
        }
        let config = watcher::Config::default().streaming_lists().labels(LABEL);
        let mut stream = watcher(cms.clone(), config).boxed();
        assert_eq!(initial(&mut stream).await, ["s-1", "s-2"]);
        cms.create(&PostParams::default(), &labelled_cm("s-3"))
            .await
            .expect("create");
        let applied = stream
            .try_filter_map(|e| async move {
                Ok(match e {
                    Event::Apply(o) => Some(name_of(&o)),
                    _ => None,
                })
            })
            .boxed()
            .next()
            .await;
        assert_eq!(applied.map(|r| r.expect("event")).as_deref(), Some("s-3"));
    });
    let log = server.requests();
    assert!(
        log.iter()
            .any(|r| r.query.contains("sendInitialEvents=true")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|r| r.method == "GET"
            && r.path.ends_with("/configmaps")
            && !r.query.contains("watch=true")),
        "no LIST: {log:?}"
    );
}
