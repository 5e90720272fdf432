//! A wire-level Kubernetes API test server for the end-to-end tests: no real cluster can run on
//! these machines, so this stands in for one, speaking real HTTP/1.1 on `127.0.0.1:<random>`.
//!
//! - HTTPS with a fresh cluster CA per server: the generated kubeconfig says
//!   `server: https://127.0.0.1:PORT` with `certificate-authority-data` and a bearer token, so
//!   kubectl and kube-rs (rustls) verify the server as they verify a real cluster. The same port
//!   also answers plain HTTP (a connection is TLS when its first byte starts a handshake): the
//!   raw-wire helpers use that, and [`TestServer::kubeconfig_plain`] writes an `http://` one.
//! - Discovery (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/G/V`) for the core kinds hms-sys
//!   emits, `coordination.k8s.io/v1` Lease, both Event APIs (core `v1` and `events.k8s.io/v1`,
//!   short name `ev`) and the CRDs in `shared/testdata/crds` (served versions, scope, plural,
//!   short names; `/status` only for kinds that have it, `/scale` for the scalable ones).
//!   Aggregated discovery is not served: the `Accept` for `APIGroupDiscoveryList` is ignored and
//!   plain `APIGroupList`/`APIResourceList` JSON comes back, so clients fall back.
//! - GET, LIST (label selectors `a=b,c!=d,e in (x,y),f notin (z),g,!h`; field selectors on
//!   `metadata.name`/`metadata.namespace`; `limit`/`continue` paging; `resourceVersion` and
//!   `resourceVersionMatch` are accepted and ignored: a list is always the latest state), WATCH,
//!   POST, PUT (resourceVersion precondition), PATCH (server-side apply with managedFields,
//!   conflicts and force, entries per subresource: writes to `/status` own the `.status` fields,
//!   recorded with `subresource: status`; merge patch; JSON patch; strategic merge patch,
//!   approximated: see `patch.rs`; a `metadata.resourceVersion` in any patch is a precondition:
//!   stale → 409 Conflict), DELETE, deletecollection, `dryRun=All`, the `/status` and `/scale`
//!   subresources, and the OpenAPI v3 stubs kubectl probes before `apply`.
//! - Status subresource: for kinds that have one (Deployments, Pods, PVCs, Nodes, Namespaces,
//!   CRDs, and CRDs that declare `subresources.status`), the main endpoint ignores `.status` (POST,
//!   PUT, every PATCH, apply) and `/status` changes only `.status`; `metadata.generation` moves
//!   only when something other than metadata and status changes (and once when an object is
//!   marked for deletion). For a CRD without it, `.status` is an ordinary field (it counts for the
//!   generation) and `/status` is 404.
//! - Finalizers and graceful deletion (`delete.rs`): DELETE of an object with
//!   `metadata.finalizers` sets `deletionTimestamp` and `deletionGracePeriodSeconds: 0` (MODIFIED
//!   event, 200 with the object); a second DELETE changes nothing; any write (PUT, any PATCH,
//!   apply, `/status`) that leaves it without finalizers removes it (one DELETED event); new
//!   finalizers on it are refused (422); clients cannot set or clear `deletionTimestamp` (ignored;
//!   a real server answers 422 "field is immutable" to an update that sets it on a live object).
//!   deletecollection follows the same rule per object. DeleteOptions `preconditions` (uid,
//!   resourceVersion) are honoured (409); `propagationPolicy` is validated and otherwise ignored
//!   (no `foregroundDeletion` finalizer, nothing orphaned or collected). Deleting a namespace
//!   deletes its objects without finalizers at once; if any with finalizers remain, they are
//!   marked and the namespace stays, Terminating (`deletionTimestamp`, `status.phase:
//!   Terminating`, creating in it is 403 Forbidden), until the last is gone, then it goes; a
//!   namespace whose objects all go at once is deleted at once (a real one always terminates
//!   asynchronously). Deleting a CRD deletes its objects at once, finalizers or not.
//! - WATCH for kube-runtime's watcher: from a resourceVersion (history is kept whole), or from
//!   the current state (`resourceVersion` absent or `0`) as ADDED events, ending with the
//!   `k8s.io/initial-events-end` BOOKMARK when `sendInitialEvents=true` (streaming lists work);
//!   with `allowWatchBookmarks=true` a watch that reaches its `timeoutSeconds` ends with a
//!   BOOKMARK at the newest resourceVersion it saw, so the client resumes from there (no
//!   periodic bookmarks). Namespaced, all-namespace and cluster-scoped watches, with selectors.
//! - Leases and Events as controllers write them: leader election through the requests
//!   kube-lease-manager makes (server-side apply to take a lease, strategic merge patches to
//!   renew and release it), kube-runtime's event `Recorder` (create, then a merge patch for a
//!   series).
//! - Controllers ([`ServerConfig::controller_delay`]): Deployments get Ready pods and status,
//!   PVCs bind, MachineDeployments and NodePools get Nodes that become Ready.
//! - CRDs written at run time (`crds.rs`): a stored CustomResourceDefinition gets
//!   `NamesAccepted=True` and `Established=True` (at once, or after
//!   [`ServerConfig::crd_establish_delay`]); once established its kind is in discovery and served
//!   like the CRDs from files (namespaced or cluster-scoped); deleting it stops serving the kind
//!   and deletes its objects.
//! - Faults ([`TestServer::faults`]), latency ([`TestServer::set_latency`]) and a request log
//!   ([`TestServer::requests`]).
//!
//! Not a real API server: no authentication or authorization (any token passes), no admission,
//! no schema validation or defaulting, no conversion between versions (an object is stored as
//! sent and served with the requested apiVersion), no Table output (kubectl prints NAME and AGE),
//! no OpenAPI schemas (`kubectl explain` fails), no events of its own (clients' Events are
//! stored; the two Event APIs are stored apart, where a real server serves one store under both
//! with renamed fields), no garbage collector: ownerReferences are stored and never acted on (the
//! only cascades are a deleted namespace's objects, a deleted CRD's objects, and a deleted
//! Deployment's or pool's pods and nodes); no grace periods (pods go at once); watches are
//! never compacted (no 410 Gone), no HTTP/2, no client certificates; server-side apply treats
//! lists of objects that all have `name` (or `type`, `mountPath`, `containerPort`) as keyed by
//! it, `metadata.finalizers` as a set (each manager owns the items it applied), and every other
//! list as atomic; `/scale` writes are recorded as main-endpoint updates.
//!
//! ## Against a real cluster
//!
//! Set `HMS_TEST_KUBECONFIG=/path/to/kubeconfig` (for example from
//! `kind create cluster --kubeconfig /tmp/kind.kubeconfig` or `k3d kubeconfig write`) and run
//! `cargo test --release`: tests that start their cluster with [`Cluster::start`] then use that
//! cluster instead of the test server, one test at a time, each after deleting what an earlier
//! one left (the `dcaa-secure` namespace and the example set's labelled StorageClass). Install the CRDs first
//! (`kubectl --kubeconfig "$HMS_TEST_KUBECONFIG" apply -f ../shared/testdata/crds`). Tests that
//! need fault injection or the simulated controllers call [`Cluster::test_server`], get `None`
//! and skip with a printed note.

#![allow(dead_code, unused_imports)]

mod apply;
pub mod client;
mod controllers;
mod crds;
mod delete;
mod discovery;
mod faults;
mod fields;
mod http;
mod kubeconfig;
mod patch;
mod rest;
mod scale;
mod select;
mod server;
mod store;
mod tls;
mod watch;

use std::path::{Path, PathBuf};

pub use controllers::POOL_LABEL;
pub use faults::{Fault, Faults, Logged, Rule};
pub use kubeconfig::{CONTEXT, TOKEN};
pub use server::{ServerConfig, TestServer};

/// The environment variable that points the end-to-end suite at a real cluster.
pub const REAL_CLUSTER_ENV: &str = "HMS_TEST_KUBECONFIG";

/// The cluster an end-to-end test runs against.
pub enum Cluster {
    /// The in-process test server, with the kubeconfig written for it.
    Test {
        server: TestServer,
        kubeconfig: PathBuf,
        _dir: tempfile::TempDir,
    },
    /// A real cluster named by `HMS_TEST_KUBECONFIG`, held by one test at a time.
    Real {
        kubeconfig: PathBuf,
        _dir: tempfile::TempDir,
        _turn: std::sync::MutexGuard<'static, ()>,
    },
}

/// Tests share a real cluster one at a time (they use the same namespace).
static REAL_CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Removes what an earlier test left of the example's set on a real cluster: its namespace and
/// its cluster-scoped objects (by the set's `part-of` label only), waiting until they are gone.
fn reset_real_cluster(kubeconfig: &Path) {
    let id = hms_apply::applyset::set_id("dcaa-secure", "dcaa-secure");
    let selector = format!("{}={id}", hms_apply::applyset::LABEL_PART_OF);
    let runs: [&[&str]; 2] = [
        &["delete", "namespace", "dcaa-secure", "--ignore-not-found"],
        &[
            "delete",
            "storageclasses",
            "-l",
            &selector,
            "--ignore-not-found",
        ],
    ];
    for args in runs {
        let mut args = args.to_vec();
        // Within the helper's 60 s guard, so kubectl itself reports a slow deletion.
        args.extend(["--wait=true", "--timeout=55s"]);
        let k = client::kubectl(kubeconfig, &args);
        assert_eq!(
            k.code,
            Some(0),
            "resetting the real cluster: kubectl {args:?}: {}",
            k.stderr
        );
    }
}

impl Cluster {
    /// The real cluster when `HMS_TEST_KUBECONFIG` is set, else a fresh test server.
    pub fn start() -> Cluster {
        Cluster::start_with(ServerConfig::default())
    }

    pub fn start_with(config: ServerConfig) -> Cluster {
        match std::env::var_os(REAL_CLUSTER_ENV) {
            Some(path) if !path.is_empty() => {
                let turn = REAL_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
                let kubeconfig = PathBuf::from(path);
                reset_real_cluster(&kubeconfig);
                Cluster::Real {
                    kubeconfig,
                    _dir: tempfile::tempdir().expect("temp dir"),
                    _turn: turn,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let server = TestServer::start_with(config);
                let kubeconfig = server.kubeconfig(dir.path());
                Cluster::Test {
                    server,
                    kubeconfig,
                    _dir: dir,
                }
            }
        }
    }

    pub fn kubeconfig(&self) -> &Path {
        match self {
            Cluster::Test { kubeconfig, .. } | Cluster::Real { kubeconfig, .. } => kubeconfig,
        }
    }

    /// A temporary directory of this test's own (events files and the like).
    pub fn scratch(&self) -> &Path {
        match self {
            Cluster::Test { _dir, .. } | Cluster::Real { _dir, .. } => _dir.path(),
        }
    }

    /// The test server, or `None` (with a note on stderr) on a real cluster: for tests that need
    /// faults, the request log or the simulated controllers' timing.
    pub fn test_server(&self, why: &str) -> Option<&TestServer> {
        match self {
            Cluster::Test { server, .. } => Some(server),
            Cluster::Real { .. } => {
                eprintln!("note: skipped on a real cluster ({REAL_CLUSTER_ENV} is set): {why}");
                None
            }
        }
    }
}
