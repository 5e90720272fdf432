//! A granted plugin that renders a CustomResourceDefinition and an object of it applies in one
//! go: the object waits for the CRD to be established and for discovery to list its kind.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::reliability::interrupt_when;
use super::{argv, hms, kubectl_ok, part_of};
use crate::kube::{Cluster, ServerConfig};
use crate::support::{self, Run};

/// The spec's name, which is also its namespace.
const SPEC: &str = "hostile";

/// The hostile plugin's `crd` mode: its namespace, CRD `widgets.example.hms.io` and Widget
/// `w1`, in a fresh directory beside a copy of the plugin; with the grant it needs, or without.
fn crd_project(grant: bool) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(support::hostile_wasm(), dir.path().join("hostile.wasm")).expect("copy");
    let grants = if grant {
        "grants:\n  hostile: [CustomResourceDefinition.apiextensions.k8s.io, Widget.example.hms.io]\n"
    } else {
        ""
    };
    let text = format!(
        "name: {SPEC}\nplugins:\n  workload: ./hostile.wasm\n{grants}workload:\n  mode: crd\n"
    );
    let path: PathBuf = dir.path().join("spec.yml");
    std::fs::write(&path, text).expect("write spec");
    (dir, path.display().to_string())
}

/// On a real cluster, deletes what this test applies (the CRD, which takes its Widgets, and the
/// namespace), by the set's `part-of` label only: when created, so a failed earlier run does not
/// get in the way, and when dropped, so a failing assertion still cleans up.
struct Cleanup<'a>(&'a Cluster);

impl Cleanup<'_> {
    fn run(&self) {
        let Cluster::Real { kubeconfig, .. } = self.0 else {
            return;
        };
        let id = hms_apply::applyset::set_id(SPEC, SPEC);
        let selector = format!("{}={id}", hms_apply::applyset::LABEL_PART_OF);
        for kind in ["customresourcedefinitions", "namespaces"] {
            let args = [
                "delete",
                kind,
                "-l",
                &selector,
                "--ignore-not-found",
                "--wait=true",
                "--timeout=55s",
            ];
            let k = crate::kube::client::kubectl(kubeconfig, &args);
            if k.code != Some(0) {
                eprintln!(
                    "cleaning up the real cluster: kubectl {args:?}: {}",
                    k.stderr
                );
            }
        }
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.run();
    }
}

fn has(run: &Run, needles: &[&str]) {
    for n in needles {
        assert!(run.stdout.contains(n), "missing {n:?}\n{run:?}");
    }
}

#[test]
fn a_granted_crd_and_objects_of_it_apply_in_one_go() {
    // The test server establishes a CRD only after a while, as a real API server may.
    let delay = Duration::from_millis(300);
    let cluster = Cluster::start_with(ServerConfig {
        crd_establish_delay: delay,
        ..ServerConfig::default()
    });
    let cleanup = Cleanup(&cluster);
    cleanup.run();

    // Without the grant, the plugin may not emit a CRD: render refuses, nothing is sent.
    let (_d, refused) = crd_project(false);
    let run = hms(&cluster, &["apply", &refused]);
    assert_eq!(run.code, 4, "{run:?}");
    for n in [
        "error[HMS-FORBIDDEN-KIND]",
        "CustomResourceDefinition.apiextensions.k8s.io",
    ] {
        assert!(run.stderr.contains(n), "missing {n:?}\n{run:?}");
    }

    let (_d, spec) = crd_project(true);
    // Nothing exists yet: a dry run cannot send the Widget, and says why.
    let dry = hms(&cluster, &["apply", &spec, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    has(
        &dry,
        &[
            "✔ CustomResourceDefinition.apiextensions.k8s.io widgets.example.hms.io created \
             (server dry run)\n",
            "✔ Widget.example.hms.io hostile/w1 created (server dry run) (not sent: the cluster \
             does not serve Widget.example.hms.io before its \
             CustomResourceDefinition.apiextensions.k8s.io widgets.example.hms.io is applied, so \
             the server cannot dry-run it)\n",
        ],
    );
    let plan = hms(&cluster, &["plan", &spec]);
    assert_eq!(plan.code, 2, "{plan:?}");
    has(
        &plan,
        &[
            "+ Namespace hostile create\n",
            "+ CustomResourceDefinition.apiextensions.k8s.io widgets.example.hms.io create\n",
            "+ Widget.example.hms.io hostile/w1 create\n",
            "hostile: 3 changes",
        ],
    );

    let run = hms(&cluster, &["apply", &spec]);
    assert_eq!(run.code, 0, "{run:?}");
    has(
        &run,
        &["hostile: 3 created, 0 configured, 0 unchanged, 0 pruned, 0 failed"],
    );
    let order: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        order[..3],
        [
            "✔ Namespace hostile created",
            "✔ CustomResourceDefinition.apiextensions.k8s.io widgets.example.hms.io created",
            "✔ Widget.example.hms.io hostile/w1 created",
        ],
        "{run:?}"
    );
    let widgets = kubectl_ok(
        &cluster,
        &["get", "widgets.example.hms.io", "-n", SPEC, "-o", "json"],
        &Value::Null,
    );
    let widgets: Value = serde_json::from_str(&widgets).expect("kubectl's JSON");
    let w1 = &widgets["items"][0];
    assert_eq!(w1["metadata"]["name"], "w1", "{widgets}");
    assert_eq!(w1["spec"]["size"], 1, "{widgets}");
    let crd = kubectl_ok(
        &cluster,
        &["get", "crd", "widgets.example.hms.io", "-o", "json"],
        &Value::Null,
    );
    let crd: Value = serde_json::from_str(&crd).expect("kubectl's JSON");
    assert!(part_of(&crd).is_some(), "{crd}");
    assert_eq!(part_of(&crd), part_of(w1), "one set");

    let again = hms(&cluster, &["apply", &spec]);
    assert_eq!(again.code, 0, "{again:?}");
    has(
        &again,
        &["hostile: 0 created, 0 configured, 3 unchanged, 0 pruned, 0 failed"],
    );
    let plan = hms(&cluster, &["plan", &spec]);
    assert_eq!(plan.code, 0, "{plan:?}");
    has(&plan, &["hostile: 0 changes"]);

    let Some(server) = cluster.test_server("reads the request log and the inventory") else {
        return;
    };
    let parent = server
        .get("", "configmaps", SPEC, "hms-sys-hostile")
        .expect("inventory");
    let kinds = parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        kinds, "CustomResourceDefinition.apiextensions.k8s.io,Namespace,Widget.example.hms.io",
        "{parent}"
    );
    // The first apply wrote the parent before the CRD, waited for the CRD to be established,
    // ran discovery for its group again, and only then applied the Widget.
    let log = server.requests();
    let writes = |suffix: &str| {
        log.iter()
            .position(|r| {
                r.method == "PATCH" && r.path.ends_with(suffix) && !r.query.contains("dryRun")
            })
            .unwrap_or_else(|| panic!("no PATCH of {suffix}"))
    };
    let (parent_at, crd_at, widget_at) = (
        writes("/configmaps/hms-sys-hostile"),
        writes("/customresourcedefinitions/widgets.example.hms.io"),
        writes("/widgets/w1"),
    );
    assert!(parent_at < crd_at && crd_at < widget_at, "{log:#?}");
    let between = &log[crd_at..widget_at];
    assert!(
        between.iter().any(|r| r.method == "GET"
            && r.path
                .ends_with("/customresourcedefinitions/widgets.example.hms.io")),
        "{between:#?}"
    );
    assert!(
        between
            .iter()
            .any(|r| r.method == "GET" && r.path == "/apis/example.hms.io/v1"),
        "{between:#?}"
    );
    // The server established the CRD no sooner than `delay` after storing it.
    assert!(log[widget_at].at.duration_since(log[crd_at].at) >= delay);
    let events = std::fs::read_to_string(super::events_file(&cluster)).expect("events");
    assert!(
        events.lines().any(|l| l.contains(r#""type":"crd""#)
            && l.contains(r#""result":"established""#)
            && l.contains("widgets.example.hms.io")),
        "{events}"
    );
}

#[test]
fn an_object_of_a_kind_the_cluster_does_not_serve_and_no_crd_defines_is_refused() {
    let cluster = Cluster::start();
    let cleanup = Cleanup(&cluster);
    cleanup.run();
    // The Widget without its CRD (`widget` mode), granted.
    let (_d, spec) = crd_project(true);
    let text = std::fs::read_to_string(&spec).expect("spec");
    std::fs::write(&spec, text.replace("mode: crd", "mode: widget")).expect("write");
    for command in ["apply", "plan"] {
        let run = hms(&cluster, &[command, &spec]);
        let code = if command == "plan" { 1 } else { 6 };
        assert_eq!(run.code, code, "{run:?}");
        assert!(
            run.stderr.contains(
                "error[HMS-APPLY]: the cluster does not serve example.hms.io/v1 Widget (is its \
                 CRD installed?)"
            ),
            "{run:?}"
        );
    }
    if let Some(server) = cluster.test_server("reads the request log") {
        let writes: Vec<String> = server
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(writes.is_empty(), "nothing is written: {writes:#?}");
    }
}

#[test]
fn waiting_for_a_crd_is_bounded_by_the_object_timeout_and_stops_at_ctrl_c() {
    // A CRD that is not established within the test.
    let cluster = Cluster::start_with(ServerConfig {
        crd_establish_delay: Duration::from_secs(3600),
        ..ServerConfig::default()
    });
    let Some(server) = cluster.test_server("never establishes the CRD") else {
        return;
    };
    let (_d, spec) = crd_project(true);
    let run = hms(&cluster, &["apply", &spec, "--object-timeout", "1s"]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(
        run.stderr.contains(
            "error[HMS-APPLY]: CustomResourceDefinition.apiextensions.k8s.io \
             widgets.example.hms.io: not Established within 1s (--object-timeout; last seen: \
             NamesAccepted=True (NoConflicts), Established=False (Installing)); run apply again \
             or raise --object-timeout"
        ),
        "{run:?}"
    );
    assert!(
        server
            .get("example.hms.io", "widgets", SPEC, "w1")
            .is_none()
    );

    // Waiting: a GET of the CRD after its PATCH.
    let seen = server.requests().len();
    let waiting = || {
        let log = server.requests();
        let crd = "/customresourcedefinitions/widgets.example.hms.io";
        let is = |r: &crate::kube::Logged, m: &str| r.method == m && r.path.ends_with(crd);
        log[seen..]
            .iter()
            .position(|r| is(r, "PATCH"))
            .is_some_and(|p| log[seen + p..].iter().any(|r| is(r, "GET")))
    };
    let run = interrupt_when(
        &argv(&cluster, &["apply", &spec]),
        waiting,
        "the apply waits for the CRD",
    );
    assert_eq!(run.code, 130, "{run:?}");
    assert!(
        // The namespace exists now: the CRD step comes first, the wait right after it.
        run.stdout
            .contains("hostile: interrupted after 1 of 3 objects"),
        "{run:?}"
    );
    assert!(
        server
            .get("example.hms.io", "widgets", SPEC, "w1")
            .is_none()
    );
    let parent = server
        .get("", "configmaps", SPEC, "hms-sys-hostile")
        .expect("inventory");
    let kinds = &parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"];
    assert!(
        kinds
            .as_str()
            .is_some_and(|k| k.contains("Widget.example.hms.io")),
        "the inventory lists what the apply may create: {parent}"
    );
    let events = std::fs::read_to_string(super::events_file(&cluster)).expect("events");
    assert!(
        events
            .lines()
            .any(|l| l.contains(r#""type":"crd""#) && l.contains(r#""result":"interrupted""#)),
        "{events}"
    );
}
