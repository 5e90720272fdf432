//! One reconcile of one SysSpec: render and gate (the CLI's), drift, apply (the CLI's), status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::finalizer::{self, finalizer};
use kube::{Client, Resource, ResourceExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::drift::{self, Drift, Watches};
use super::sysspec::{AppliedSet, FINALIZER, StatusLine, SysSpec, SysSpecStatus};
use super::{CONTROLLER, Engine, Metrics, Rendering, cut};
use crate::applyset;
use crate::events::Sink;
use crate::status::{self, State, StatusInfo};
use crate::{Action as Done, ApplyOptions, Desired, ObjectRef, Set};

/// What every reconcile shares.
pub struct Shared {
    pub client: Client,
    pub engine: Arc<dyn Engine>,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    pub resync: Duration,
    /// Consecutive failures per SysSpec, for the backoff.
    pub failures: Mutex<HashMap<String, u32>>,
}

/// One leadership term's context.
pub struct Ctx {
    pub shared: Arc<Shared>,
    pub watches: Watches,
}

/// Why a reconcile failed; retried with backoff.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(String);

/// Longest text written into an event note (the API's limit is 1 kB).
const NOTE: usize = 1000;
/// Longest message of a condition.
const MESSAGE: usize = 2000;
/// Events of single findings per refused render (the rest are counted in the summary).
const FINDING_EVENTS: usize = 10;

pub async fn reconcile(obj: Arc<SysSpec>, ctx: Arc<Ctx>) -> Result<Action, Failure> {
    let start = Instant::now();
    let name = obj.name_any();
    let api: Api<SysSpec> = Api::all(ctx.shared.client.clone());
    let result = finalizer(&api, FINALIZER, obj, |event| async {
        match event {
            finalizer::Event::Apply(o) => converge(o, &ctx).await,
            finalizer::Event::Cleanup(o) => cleanup(o, &ctx).await,
        }
    })
    .await;
    let m = &ctx.shared.metrics;
    m.observe(start.elapsed(), result.is_ok());
    match result {
        Ok(action) => {
            if let Ok(mut f) = ctx.shared.failures.lock() {
                f.remove(&name);
            }
            Ok(action)
        }
        Err(e) => Err(Failure(match e {
            finalizer::Error::ApplyFailed(f) | finalizer::Error::CleanupFailed(f) => f.0,
            other => other.to_string(),
        })),
    }
}

/// Backoff: 1 s doubling to 5 minutes per SysSpec, so a failing one does not hold up others.
pub fn error_policy(obj: Arc<SysSpec>, err: &Failure, ctx: Arc<Ctx>) -> Action {
    let name = obj.name_any();
    let n = ctx
        .shared
        .failures
        .lock()
        .map(|mut f| {
            let n = f.entry(name.clone()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        })
        .unwrap_or(1);
    let delay =
        Duration::from_secs(1u64 << n.min(9).saturating_sub(1)).min(Duration::from_secs(300));
    tracing::warn!(sysspec = %name, error = %err, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

async fn publish(
    ctx: &Ctx,
    obj: &SysSpec,
    type_: EventType,
    reason: &str,
    note: String,
    related: Option<&ObjectRef>,
) {
    let secondary = related.map(|r| k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some(if r.group.is_empty() {
            r.version.clone()
        } else {
            format!("{}/{}", r.group, r.version)
        }),
        kind: Some(r.kind.clone()),
        name: Some(r.name.clone()),
        namespace: (!r.namespace.is_empty()).then(|| r.namespace.clone()),
        ..Default::default()
    });
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(cut(&note, NOTE)),
        action: reason.into(),
        secondary,
    };
    if let Err(e) = ctx
        .shared
        .recorder
        .publish(&event, &obj.object_ref(&()))
        .await
    {
        tracing::warn!(sysspec = %obj.name_any(), error = %e, "cannot publish an event");
    }
}

/// Writes the status when it changed (an unchanged SysSpec costs no write).
async fn write_status(ctx: &Ctx, obj: &SysSpec, status: &SysSpecStatus) -> Result<(), Failure> {
    if obj.status.as_ref() == Some(status) {
        return Ok(());
    }
    let api: Api<SysSpec> = Api::all(ctx.shared.client.clone());
    let patch = Patch::Merge(json!({"status": status}));
    let params = PatchParams::default();
    let name = obj.name_any();
    crate::client::retry("write the SysSpec status", || {
        api.patch_status(&name, &params, &patch)
    })
    .await
    .map_err(|e| {
        Failure(format!(
            "cannot write the status of SysSpec {}: {e}",
            obj.name_any()
        ))
    })?;
    ctx.shared.metrics.wrote(1);
    Ok(())
}

/// [`crate::apply`], the command line's, on a blocking thread of the runtime: its future is not
/// provably `Send` (rustc's higher-ranked lifetimes in its per-step streams), which a
/// kube-runtime reconcile must be. Event lines go to stdout.
async fn apply(
    client: &Client,
    set: Set,
    objects: Vec<Desired>,
    opts: ApplyOptions,
    name: &str,
) -> Result<crate::Report, crate::Error> {
    let handle = tokio::runtime::Handle::current();
    let client = client.clone();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        let sink = Sink::new(Box::new(std::io::stdout()), &name, serde_json::Map::new());
        handle.block_on(crate::apply(
            &client,
            &set,
            &objects,
            &opts,
            &sink,
            &mut |_: &crate::ObjectResult| {},
        ))
    })
    .await
    .map_err(|e| crate::Error::Invalid(format!("apply stopped: {e}")))?
}

fn digest_of(set: &Set, objects: &[Desired]) -> String {
    let mut h = Sha256::new();
    for o in objects {
        h.update(serde_json::to_vec(&o.value).unwrap_or_default());
        h.update([0]);
    }
    h.update(serde_json::to_vec(&set.status).unwrap_or_default());
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn owner_of(obj: &SysSpec) -> Value {
    json!({
        "apiVersion": SysSpec::api_version(&()),
        "kind": SysSpec::kind(&()),
        "name": obj.name_any(),
        "uid": obj.uid().unwrap_or_default(),
        "controller": true,
        "blockOwnerDeletion": false,
    })
}

async fn converge(obj: Arc<SysSpec>, ctx: &Ctx) -> Result<Action, Failure> {
    let name = obj.name_any();
    let old = obj.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = obj.metadata.generation;
    let engine = ctx.shared.engine.clone();
    let fields = obj.spec.fields.clone();
    let n = name.clone();
    let rendering = tokio::task::spawn_blocking(move || engine.render(&n, &fields))
        .await
        .map_err(|e| Failure(format!("render of SysSpec {name} stopped: {e}")))?;
    let generation = obj.metadata.generation.unwrap_or(0);
    let (set, objects, findings, baselines) = match rendering {
        Rendering::Invalid { reason, problems } => {
            let message = cut(&problems.join("; "), MESSAGE);
            status.set("Rendered", "False", reason, message.clone());
            status.set("Compliant", "Unknown", "NotRendered", "");
            not_applied(&mut status, &old, generation, "it does not render");
            status.set(
                "Ready",
                "False",
                reason,
                "the spec does not render: see Rendered",
            );
            status.findings.clear();
            let changed = old.condition("Rendered").map(|c| (&c.reason, &c.message))
                != Some((&reason.to_string(), &message))
                || old.observed_generation != status.observed_generation;
            if changed {
                publish(ctx, &obj, EventType::Warning, reason, message.clone(), None).await;
            }
            write_status(ctx, &obj, &status).await?;
            ctx.shared.metrics.reconciled("invalid");
            return if reason == "PluginFailed" {
                Err(Failure(message))
            } else {
                // Fixing the spec changes it, which reconciles at once.
                Ok(Action::requeue(ctx.shared.resync))
            };
        }
        Rendering::Refused { findings } => {
            let errors: Vec<_> = findings
                .iter()
                .filter(|f| f.severity == "error" && !f.excepted)
                .collect();
            let summary = format!(
                "the baseline refused generation {generation} ({} error finding{}); nothing of it is applied",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            status.set("Rendered", "True", "Rendered", "");
            status.set("Compliant", "False", "BaselineRefused", summary.clone());
            not_applied(&mut status, &old, generation, "the baseline refused it");
            status.set(
                "Ready",
                "False",
                "BaselineRefused",
                "see Compliant and the findings",
            );
            let first_time = old.observed_generation != status.observed_generation
                || old
                    .condition("Compliant")
                    .is_none_or(|c| c.reason != "BaselineRefused");
            status.findings = findings.clone();
            if first_time {
                publish(
                    ctx,
                    &obj,
                    EventType::Warning,
                    "BaselineRefused",
                    summary,
                    None,
                )
                .await;
                for f in errors.iter().take(FINDING_EVENTS) {
                    let note = match &f.object {
                        Some(o) => format!(
                            "{} {}: {} ({o} {})",
                            f.baseline, f.control, f.message, f.path
                        ),
                        None => format!("{} {}: {}", f.baseline, f.control, f.message),
                    };
                    publish(ctx, &obj, EventType::Warning, "Finding", note, None).await;
                }
            }
            write_status(ctx, &obj, &status).await?;
            ctx.shared.metrics.reconciled("refused");
            // An exception may expire meanwhile: judged again at the next resync.
            return Ok(Action::requeue(ctx.shared.resync));
        }
        Rendering::Ready {
            set,
            objects,
            findings,
            baselines,
        } => (set, objects, findings, baselines),
    };
    status.set(
        "Rendered",
        "True",
        "Rendered",
        format!("{} objects", objects.len()),
    );
    let passed = if baselines.is_empty() {
        "no baseline".to_string()
    } else {
        format!("{} passed", baselines.join(", "))
    };
    status.set("Compliant", "True", "BaselinePassed", passed);
    status.findings = findings;
    status.objects = Some(objects.len() as i64);
    let id = applyset::set_id(&set.spec, &set.namespace);
    ctx.watches.own(&id, &name);
    status.apply_set = Some(AppliedSet {
        name: set.spec.clone(),
        namespace: set.namespace.clone(),
        id: id.clone(),
    });
    let digest = digest_of(&set, &objects);

    // Drift: what foreign writers changed since this render was last applied. (A new render
    // is applied anyway; its objects are watched from then on.)
    let applied_before =
        old.applied_digest.as_deref() == Some(digest.as_str()) && old.is_true("Applied");
    let mut drifts: Vec<Drift> = Vec::new();
    for o in &objects {
        let Ok(r) = ObjectRef::of(&o.value) else {
            continue;
        };
        // Watching starts here for a kind not watched yet; drift of a kind whose first list
        // is not in yet is found at its next event or resync.
        let kind = ctx.watches.ensure(&r, Duration::from_secs(10)).await;
        if let (true, Some(kind)) = (applied_before, kind) {
            drifts.extend(drift::drift(&r, &o.value, kind.live(&r).as_ref()));
        }
    }
    let needs_apply = !applied_before || !drifts.is_empty();
    if needs_apply {
        let mut set = set.clone();
        set.owner = Some(owner_of(&obj));
        let opts = ApplyOptions {
            force_conflicts: true,
            ..ApplyOptions::default()
        };
        let result = apply(&ctx.shared.client, set, objects, opts, &name).await;
        let report = match result {
            Ok(r) if !r.failed() => r,
            Ok(r) => {
                let errors: Vec<String> =
                    r.results.iter().filter_map(|r| r.error.clone()).collect();
                return apply_failed(ctx, &obj, status, "ApplyFailed", errors.join("; ")).await;
            }
            Err(e) => {
                let reason = match &e {
                    crate::Error::Foreign(_) => "Foreign",
                    crate::Error::Conflict(_) => "Conflict",
                    _ => "ApplyFailed",
                };
                return apply_failed(ctx, &obj, status, reason, e.to_string()).await;
            }
        };
        let count = |a: Done| report.results.iter().filter(|r| r.action == a).count();
        let written = report
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.action,
                    Done::Created
                        | Done::Configured
                        | Done::Unchanged
                        | Done::Pruned
                        | Done::Released
                )
            })
            .count();
        ctx.shared.metrics.wrote(written as u64 + 1);
        let summary = format!(
            "{} created, {} configured, {} unchanged, {} pruned",
            count(Done::Created),
            count(Done::Configured),
            count(Done::Unchanged),
            count(Done::Pruned)
        );
        for d in &drifts {
            publish(
                ctx,
                &obj,
                EventType::Warning,
                "DriftCorrected",
                d.to_string(),
                Some(&d.object),
            )
            .await;
            tracing::info!(sysspec = %name, drift = %d, "drift corrected");
        }
        ctx.shared.metrics.drift(drifts.len() as u64);
        publish(
            ctx,
            &obj,
            EventType::Normal,
            "Applied",
            format!("generation {generation}: {summary}"),
            None,
        )
        .await;
        status.set("Applied", "True", "Applied", summary);
        status.applied_digest = Some(digest);
        ctx.shared.metrics.reconciled("applied");
    } else {
        ctx.shared.metrics.reconciled("unchanged");
    }

    // The status lines, judged as `hms-sys status` judges them.
    let ready = match status::observe(&ctx.shared.client, &set.spec, Some(&set.namespace)).await {
        Ok(observed) => {
            let engine = ctx.shared.engine.clone();
            let (observed, lines) = tokio::task::spawn_blocking(move || {
                let lines = engine.lines(&observed);
                (observed, lines)
            })
            .await
            .map_err(|e| Failure(format!("status of SysSpec {name} stopped: {e}")))?;
            let pending = status::pending_objects(&observed, &lines);
            status.lines = lines
                .iter()
                .map(|l| StatusLine {
                    section: l.item.to_string(),
                    state: l.state,
                    line: cut(&l.text, 200),
                    reason: l.reason.as_deref().map(|r| cut(r, 1000)),
                })
                .collect();
            let ready = lines.iter().all(|l| l.state == State::Ready) && pending.is_empty();
            let failed = lines.iter().any(|l| l.state == State::Failed);
            if ready {
                status.set(
                    "Ready",
                    "True",
                    "Ready",
                    format!("{} sections ready", lines.len()),
                );
            } else {
                let why: Vec<String> = lines
                    .iter()
                    .filter(|l| l.state != State::Ready)
                    .map(|l| match &l.reason {
                        Some(r) => format!("{}: {r}", l.item),
                        None => l.text.clone(),
                    })
                    .chain(pending)
                    .collect();
                let reason = if failed { "Failed" } else { "InProgress" };
                status.set("Ready", "False", reason, cut(&why.join("; "), MESSAGE));
            }
            ready
        }
        Err(e) => {
            status.set(
                "Ready",
                "Unknown",
                "StatusUnavailable",
                cut(&e.to_string(), MESSAGE),
            );
            false
        }
    };
    if ready && !old.is_true("Ready") {
        publish(
            ctx,
            &obj,
            EventType::Normal,
            "Ready",
            format!("generation {generation} is ready"),
            None,
        )
        .await;
    }
    write_status(ctx, &obj, &status).await?;
    Ok(if ready {
        Action::requeue(ctx.shared.resync)
    } else {
        Action::requeue(Duration::from_secs(2))
    })
}

/// Applied stays as it was when a generation is not applied (what was applied before stays in
/// the cluster), with a message that says so.
fn not_applied(status: &mut SysSpecStatus, old: &SysSpecStatus, generation: i64, why: &str) {
    match old.condition("Applied") {
        Some(c) if c.status == "True" => {
            let message = format!(
                "generation {generation} is not applied ({why}); the objects of an earlier generation stay"
            );
            status.set("Applied", "True", "Stale", message);
        }
        _ => status.set(
            "Applied",
            "False",
            "NotApplied",
            format!("nothing applied: {why}"),
        ),
    }
}

async fn apply_failed(
    ctx: &Ctx,
    obj: &SysSpec,
    mut status: SysSpecStatus,
    reason: &str,
    message: String,
) -> Result<Action, Failure> {
    let message = cut(&message, MESSAGE);
    status.set("Applied", "False", reason, message.clone());
    status.set("Ready", "False", reason, "see Applied");
    publish(ctx, obj, EventType::Warning, reason, message.clone(), None).await;
    write_status(ctx, obj, &status).await?;
    ctx.shared.metrics.reconciled("failed");
    Err(Failure(message))
}

/// A deleted SysSpec: prune every object of its set (the namespace that holds data is released,
/// as the CLI releases it), then remove the inventory.
async fn cleanup(obj: Arc<SysSpec>, ctx: &Ctx) -> Result<Action, Failure> {
    let name = obj.name_any();
    let Some(applied) = obj.status.as_ref().and_then(|s| s.apply_set.clone()) else {
        return Ok(Action::await_change());
    };
    let set = Set {
        spec: applied.name.clone(),
        namespace: applied.namespace.clone(),
        tooling: format!("{CONTROLLER}/{}", env!("CARGO_PKG_VERSION")),
        status: StatusInfo {
            version: status::STATUS_VERSION,
            namespace: applied.namespace.clone(),
            spec_name: applied.name.clone(),
            ..StatusInfo::default()
        },
        owner: None,
    };
    let report = apply(
        &ctx.shared.client,
        set,
        Vec::new(),
        ApplyOptions::default(),
        &name,
    )
    .await
    .map_err(|e| Failure(format!("cannot prune SysSpec {name}: {e}")))?;
    if report.failed() {
        let errors: Vec<String> = report
            .results
            .iter()
            .filter_map(|r| r.error.clone())
            .collect();
        return Err(Failure(format!(
            "cannot prune SysSpec {name}: {}",
            errors.join("; ")
        )));
    }
    let parents: Api<ConfigMap> = Api::namespaced(ctx.shared.client.clone(), &applied.namespace);
    let parent = applyset::parent_name(&applied.name);
    match parents.delete(&parent, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => {
            return Err(Failure(format!(
                "cannot delete the inventory {parent}: {e}"
            )));
        }
    }
    ctx.watches.disown(&applied.id);
    let pruned = report
        .results
        .iter()
        .filter(|r| r.action == Done::Pruned)
        .count();
    let released: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.action == Done::Released)
        .map(|r| r.object.to_string())
        .collect();
    let mut note = format!("{pruned} objects pruned");
    if !released.is_empty() {
        note.push_str(&format!(
            "; released (kept, no longer part of the set): {}",
            released.join(", ")
        ));
    }
    ctx.shared.metrics.wrote(report.results.len() as u64 + 1);
    ctx.shared.metrics.reconciled("deleted");
    publish(ctx, &obj, EventType::Normal, "Pruned", note, None).await;
    Ok(Action::await_change())
}
