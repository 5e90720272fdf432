//! `hms-sys controller`: keeps every `SysSpec` converged from inside the cluster.
//!
//! A kube-runtime controller over the cluster-scoped `SysSpec` kind. Reconcile is the command
//! line's apply: the CLI's render and baseline gate (through [`Engine`], implemented by hms-sys),
//! then [`crate::apply`] (server-side apply, ApplySet inventory, prune), with the SysSpec as the
//! owner of the set's parent. The objects of every set are watched per kind ([`drift`]); a
//! foreign change to a field hms-sys owns is reverted and reported. One replica leads, elected
//! through a `coordination.k8s.io` Lease. See ARCHITECTURE.md, "The controller".

pub mod drift;
mod metrics;
mod reconcile;
pub mod submit;
pub mod sysspec;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

pub use metrics::Metrics;
pub use sysspec::{SysSpec, SysSpecSpec, SysSpecStatus};

use crate::status::{Line, Observed};
use crate::{Desired, Error, Interrupt, Set, Target};

/// The name the controller reports events and writes status under.
pub const CONTROLLER: &str = "hms-sys-controller";

/// What the controller cannot do itself: render a spec through the plugins (with the baseline
/// gate) and judge the status lines. Both block (plugins run on their own threads); the
/// controller calls them on tokio's blocking pool.
pub trait Engine: Send + Sync + 'static {
    /// Renders SysSpec `name`'s fields, as `hms-sys apply` renders a spec file.
    fn render(&self, name: &str, fields: &Map<String, Value>) -> Rendering;
    /// The status line of each section of an observed set.
    fn lines(&self, observed: &Observed) -> Vec<Line>;
}

/// What a render gave (one per reconcile, moved, never stored: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Rendering {
    /// Ready to apply: the set, its objects and the baselines' findings (none is an error, or
    /// each error is excepted).
    Ready {
        set: Set,
        objects: Vec<Desired>,
        findings: Vec<sysspec::Finding>,
        /// The baselines that passed.
        baselines: Vec<String>,
    },
    /// The spec does not render. `reason`: `SpecInvalid` (fix the spec) or `PluginFailed`
    /// (retried with backoff: a plugin may be missing or failing).
    Invalid {
        reason: &'static str,
        problems: Vec<String>,
    },
    /// The baseline refused the spec: nothing is applied.
    Refused { findings: Vec<sysspec::Finding> },
}

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub target: Target,
    /// Serve only SysSpecs whose labels match (sharding).
    pub selector: Option<String>,
    /// Leader election; `None` runs without (one replica only).
    pub election: Option<Election>,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub listen: Option<SocketAddr>,
    /// How often a converged SysSpec is rendered and checked again.
    pub resync: Duration,
    /// Reconciles in flight at once.
    pub concurrency: u16,
    /// This replica's name (its pod's), in the Lease and in events.
    pub identity: String,
}

/// The Lease one replica holds to lead.
#[derive(Clone, Debug)]
pub struct Election {
    pub namespace: String,
    pub lease: String,
    /// Seconds a lease lasts without renewal: the longest a dead leader blocks the others.
    pub duration: u64,
    /// Seconds before expiry the leader renews.
    pub grace: u64,
}

/// Runs until `stop` (SIGTERM, Ctrl-C): leads when elected, stands by otherwise.
pub async fn run(config: Config, engine: Arc<dyn Engine>, stop: Interrupt) -> Result<(), Error> {
    let client = crate::connect(&config.target).await?;
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = config.listen {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            Error::Controller(format!(
                "cannot serve /metrics on {addr}: {e}; choose another address with --listen \
                     (or --listen '' to serve none)"
            ))
        })?;
        tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving /metrics, /healthz and /readyz");
        tokio::spawn(metrics::serve(listener, metrics.clone()));
    }
    // Ready once the API server answers for SysSpecs (the CRD is installed).
    let specs: Api<SysSpec> = Api::all(client.clone());
    let mut wait = Duration::from_millis(200);
    loop {
        match stop
            .race(specs.list(&kube::api::ListParams::default().limit(1)))
            .await
        {
            None => return Ok(()),
            Some(Ok(_)) => break,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "cannot list SysSpecs (is the CRD installed? `hms-sys controller crd | kubectl apply -f -`); retrying");
                if stop.race(tokio::time::sleep(wait)).await.is_none() {
                    return Ok(());
                }
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
    metrics.set_ready(true);
    let shared = Arc::new(reconcile::Shared {
        client: client.clone(),
        engine,
        metrics: metrics.clone(),
        recorder: Recorder::new(
            client.clone(),
            Reporter {
                controller: CONTROLLER.into(),
                instance: Some(config.identity.clone()),
            },
        ),
        resync: config.resync,
        failures: Default::default(),
    });
    let Some(election) = &config.election else {
        metrics.set_leader(true);
        stop.race(lead(&config, shared)).await;
        return Ok(());
    };
    let manager = kube_lease_manager::LeaseManagerBuilder::new(client.clone(), &election.lease)
        .with_namespace(&election.namespace)
        .with_identity(&config.identity)
        .with_duration(election.duration)
        .with_grace(election.grace)
        .with_field_manager(format!("{CONTROLLER}-lease"))
        .build()
        .await
        .map_err(|e| {
            Error::Controller(format!(
                "cannot take part in leader election through Lease {}/{}: {e}; check that the \
                 namespace exists and the controller may create and patch Leases there \
                 (--lease-namespace), or run a single replica with --no-leader-election",
                election.namespace, election.lease
            ))
        })?;
    let (mut leading, task) = manager.watch().await;
    'outer: loop {
        while !*leading.borrow_and_update() {
            tracing::info!(identity = %config.identity, lease = %election.lease, "standing by: another replica leads");
            match stop.race(leading.changed()).await {
                None => break 'outer,
                Some(Err(_)) => {
                    return Err(Error::Controller(
                        "leader election stopped unexpectedly; restart the controller".into(),
                    ));
                }
                Some(Ok(())) => {}
            }
        }
        tracing::info!(identity = %config.identity, lease = %election.lease, "leading");
        metrics.set_leader(true);
        let lost = async {
            loop {
                if leading.changed().await.is_err() || !*leading.borrow() {
                    return;
                }
            }
        };
        let outcome = tokio::select! {
            _ = lead(&config, shared.clone()) => "stopped",
            _ = lost => "lost",
            _ = stop.wait() => "interrupted",
        };
        metrics.set_leader(false);
        match outcome {
            "lost" => tracing::warn!("lost the lease: stopped reconciling, standing by"),
            _ => break,
        }
    }
    // Dropping the receiver releases the lease, so another replica takes over at once.
    drop(leading);
    let _ = task.await;
    Ok(())
}

/// The controller proper, while this replica leads.
async fn lead(config: &Config, shared: Arc<reconcile::Shared>) {
    let specs: Api<SysSpec> = Api::all(shared.client.clone());
    let watch = match &config.selector {
        Some(s) => watcher::Config::default().labels(s),
        None => watcher::Config::default(),
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let ctx = Arc::new(reconcile::Ctx {
        shared,
        watches: drift::Watches::new(specs.clone().into_client(), tx),
    });
    let triggers =
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(|name| ObjectRef::new(&name));
    Controller::new(specs, watch)
        .with_config(
            controller::Config::default()
                .concurrency(config.concurrency)
                .debounce(Duration::from_millis(200)),
        )
        .reconcile_on(triggers)
        .run(reconcile::reconcile, reconcile::error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "reconcile");
            }
        })
        .await;
}

/// `s`, cut with `…` after `max` characters: text written into the API (event notes,
/// condition messages) stays within its limits.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
