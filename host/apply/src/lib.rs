//! hms-apply: the only crate that talks to a cluster. Server-side apply in rank order, an ApplySet
//! (KEP-3659) inventory with prune, `plan` by server-side dry run, and `status` from live objects.
//!
//! The crate knows nothing of plugins or specs: the CLI hands it rendered objects ([`Desired`])
//! and a [`Set`] describing the spec.

pub mod applyset;
mod client;
mod conflict;
pub mod controller;
mod crd;
pub mod events;
pub mod interrupt;
mod ops;
pub mod plan;
mod prune;
pub mod status;

use std::fmt;

use serde_json::Value;

pub use client::{Target, connect};
pub use conflict::Conflict;
pub use interrupt::Interrupt;
pub use ops::{Action, ApplyOptions, ObjectResult, Report, apply};
pub use plan::{Change, PlanEntry, plan};
pub use status::{Line, Observed, SectionInfo, State, StatusInfo, observe};

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "hms-sys";

/// One rendered object to apply, with its step (lower first; see `hms_sys::kinds::rank`).
#[derive(Clone, Debug)]
pub struct Desired {
    pub rank: u8,
    pub value: Value,
}

/// The spec an apply belongs to: its name, namespace, tooling version and what status needs.
#[derive(Clone, Debug)]
pub struct Set {
    pub spec: String,
    pub namespace: String,
    /// `hms-sys/<version>`, written to `applyset.kubernetes.io/tooling`.
    pub tooling: String,
    pub status: StatusInfo,
    /// The owner of the set's parent (an `ownerReferences` entry): the SysSpec when the
    /// controller applies; none from the command line.
    pub owner: Option<Value>,
}

/// Which object: group, version, kind, namespace (empty when cluster-scoped) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// The reference of a manifest (`apiVersion`, `kind`, `metadata.name/namespace`).
    pub fn of(value: &Value) -> Result<ObjectRef, Error> {
        let s = |p: &str| value.pointer(p).and_then(Value::as_str).unwrap_or("");
        let api_version = s("/apiVersion");
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let r = ObjectRef {
            group: group.to_string(),
            version: version.to_string(),
            kind: s("/kind").to_string(),
            namespace: s("/metadata/namespace").to_string(),
            name: s("/metadata/name").to_string(),
        };
        if r.kind.is_empty() || r.name.is_empty() || r.version.is_empty() {
            return Err(Error::Invalid(format!(
                "an object without apiVersion, kind or metadata.name: {r}"
            )));
        }
        Ok(r)
    }

    /// `Kind.group`, or `Kind` for the core group (the ApplySet spelling).
    pub fn group_kind(&self) -> String {
        applyset::group_kind(&self.group, &self.kind)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.group_kind();
        if self.namespace.is_empty() {
            write!(f, "{kind} {}", self.name)
        } else {
            write!(f, "{kind} {}/{}", self.namespace, self.name)
        }
    }
}

/// What went wrong talking to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot load the kubeconfig {0}")]
    Kubeconfig(String),
    /// No kubeconfig file where kubectl would look; the text says where that was.
    #[error("no kubeconfig: {0}")]
    NoKubeconfig(String),
    #[error("the cluster does not serve {0} (is its CRD installed?)")]
    UnknownKind(String),
    #[error("{0}")]
    Conflict(Box<Conflict>),
    #[error(
        "already in the cluster and not part of this spec's apply set: {}; \
         use --adopt to take them over, or rename them in the spec",
        list(.0)
    )]
    Foreign(Vec<ObjectRef>),
    #[error("{object}: {message}")]
    Api { object: String, message: String },
    #[error("invalid object: {0}")]
    Invalid(String),
    #[error("no hms-sys inventory for spec {0:?} in the cluster (was it applied?)")]
    NoInventory(String),
    #[error("interrupted before anything was changed")]
    Interrupted,
    /// The controller cannot run: the text says what and what to do.
    #[error("{0}")]
    Controller(String),
}

fn list(refs: &[ObjectRef]) -> String {
    let names: Vec<String> = refs.iter().map(ToString::to_string).collect();
    names.join(", ")
}

/// A cluster connection (kube's client; the CLI need not know kube).
pub type Client = kube::Client;

/// Runs `f` on a fresh multi-threaded runtime (the CLI is synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// Sleeps on the runtime of [`block_on`].
pub async fn sleep(d: std::time::Duration) {
    tokio::time::sleep(d).await;
}
