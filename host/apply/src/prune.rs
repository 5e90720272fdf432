//! Prune: delete objects of the set's group-kinds that carry our `part-of` label and are no
//! longer rendered. Nothing without our label is ever listed, let alone deleted.

use std::collections::BTreeSet;
use std::time::Instant;

use futures::{StreamExt, stream};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::discovery::Scope;
use serde_json::json;

use crate::applyset::LABEL_PART_OF;
use crate::client::retry;
use crate::events::Sink;
use crate::ops::{Action, ApplyOptions, Bounded, ObjectResult, Prepared, bounded};
use crate::{Error, ObjectRef, Set};

/// Objects per LIST page when looking for what to prune.
const PAGE: u32 = 500;

/// A live object of the set that is no longer rendered.
pub(crate) struct Candidate {
    pub r: ObjectRef,
    pub api: Api<DynamicObject>,
    /// The spec's own namespace (it holds the inventory) or a CRD (deleting one deletes every
    /// object of its kind in the cluster, other specs' included): released from the set (its
    /// `part-of` label removed) instead of deleted with everything in it.
    pub release: bool,
}

/// What prune did, and the group-kinds it could not list (no longer served by the cluster).
pub(crate) struct Outcome {
    pub results: Vec<ObjectResult>,
    pub unserved: BTreeSet<String>,
    pub interrupted: bool,
}

/// The set's live objects (previous and current group-kinds) that are no longer rendered.
pub(crate) async fn candidates(
    client: &Client,
    p: &Prepared<'_>,
    set: &Set,
) -> Result<(Vec<Candidate>, BTreeSet<String>), Error> {
    let mut unserved = BTreeSet::new();
    let desired: BTreeSet<(String, String, String, String)> =
        p.items.iter().map(|i| key(&i.r)).collect();
    let mut gks = p.previous.clone();
    gks.extend(p.items.iter().map(|i| i.r.group_kind()));
    // Kinds whose CRD this apply renders but the cluster does not serve (yet: a dry run, or
    // `plan`): nothing of them can exist.
    let not_yet: BTreeSet<String> = p
        .items
        .iter()
        .filter(|i| i.awaits.is_some())
        .map(|i| i.r.group_kind())
        .collect();
    let selector = format!("{LABEL_PART_OF}={}", p.id);
    let mut out = Vec::new();
    for gk in &gks {
        let Some((ar, caps)) = p.kinds.resolve_group_kind(gk) else {
            if not_yet.contains(gk) {
                continue;
            }
            tracing::warn!(
                "cannot prune {gk}: the cluster no longer serves it (kept in the inventory)"
            );
            unserved.insert(gk.clone());
            continue;
        };
        let api: Api<DynamicObject> = if caps.scope == Scope::Namespaced {
            Api::namespaced_with(client.clone(), &set.namespace, &ar)
        } else {
            Api::all_with(client.clone(), &ar)
        };
        // Metadata only, a page at a time: memory stays bounded however big the set is.
        let mut token: Option<String> = None;
        loop {
            let mut lp = ListParams::default().labels(&selector).limit(PAGE);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let page = retry(&format!("list {gk}"), || api.list_metadata(&lp)).await?;
            for live in page.items {
                // The server filtered by label; check again, prune must never touch a stranger.
                let ours = live
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_PART_OF))
                    .is_some_and(|v| *v == p.id);
                let r = ObjectRef {
                    group: ar.group.clone(),
                    version: ar.version.clone(),
                    kind: ar.kind.clone(),
                    namespace: live.metadata.namespace.clone().unwrap_or_default(),
                    name: live.metadata.name.clone().unwrap_or_default(),
                };
                if ours && !r.name.is_empty() && !desired.contains(&key(&r)) {
                    let api = if caps.scope == Scope::Namespaced {
                        Api::namespaced_with(client.clone(), &r.namespace, &ar)
                    } else {
                        Api::all_with(client.clone(), &ar)
                    };
                    let release =
                        (r.group.is_empty() && r.kind == "Namespace" && r.name == set.namespace)
                            || (r.group == "apiextensions.k8s.io"
                                && r.kind == "CustomResourceDefinition");
                    out.push(Candidate { r, api, release });
                }
            }
            token = page.metadata.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
    }
    // Namespaces last: deleting one deletes everything in it.
    out.sort_by_key(|c| (c.r.group.is_empty() && c.r.kind == "Namespace", c.r.clone()));
    Ok((out, unserved))
}

fn key(r: &ObjectRef) -> (String, String, String, String) {
    (
        r.group.clone(),
        r.kind.clone(),
        r.namespace.clone(),
        r.name.clone(),
    )
}

/// Deletes the candidates (server-side dry run under `--dry-run`); on an interrupt, what is in
/// flight is abandoned and reported, and nothing more is started.
pub(crate) async fn prune(
    client: &Client,
    p: &Prepared<'_>,
    set: &Set,
    opts: &ApplyOptions,
    events: &Sink,
) -> Result<Outcome, Error> {
    let start = Instant::now();
    let Some(found) = opts.interrupt.race(candidates(client, p, set)).await else {
        return Ok(Outcome {
            results: Vec::new(),
            unserved: BTreeSet::new(),
            interrupted: true,
        });
    };
    let (found, unserved) = found?;
    let (namespaces, rest): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|c| c.r.group.is_empty() && c.r.kind == "Namespace");
    let mut results = Vec::new();
    for batch in [rest, namespaces] {
        let done: Vec<ObjectResult> = stream::iter(batch.iter().map(|c| delete(c, opts, events)))
            .buffered(opts.concurrency.max(1))
            .collect()
            .await;
        results.extend(done);
    }
    let failed = results.iter().any(|r| r.action == Action::Failed);
    let interrupted = results.iter().any(|r| r.action == Action::Interrupted);
    let result = match (failed, interrupted) {
        (true, _) => "failed",
        (_, true) => "interrupted",
        _ => "ok",
    };
    events.emit("prune", None, result, start.elapsed(), None);
    Ok(Outcome {
        results,
        unserved,
        interrupted,
    })
}

async fn delete(c: &Candidate, opts: &ApplyOptions, events: &Sink) -> ObjectResult {
    let start = Instant::now();
    let mut dp = DeleteParams::background();
    dp.dry_run = opts.dry_run;
    let what = c.r.to_string();
    let pp = PatchParams {
        dry_run: opts.dry_run,
        ..PatchParams::default()
    };
    let unlabel = Patch::Merge(json!({"metadata": {"labels": {LABEL_PART_OF: null}}}));
    let request = retry(&what, || async {
        let answer = if c.release {
            c.api.patch(&c.r.name, &pp, &unlabel).await.map(|_| ())
        } else {
            c.api.delete(&c.r.name, &dp).await.map(|_| ())
        };
        match answer {
            Ok(()) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    });
    let (action, error) = match bounded(opts, request).await {
        Bounded::Done(Ok(())) if c.release => (Action::Released, None),
        Bounded::Done(Ok(())) => (Action::Pruned, None),
        Bounded::Done(Err(e)) => (Action::Failed, Some(e.to_string())),
        Bounded::TimedOut(message) => (Action::Failed, Some(format!("{what}: {message}"))),
        Bounded::Interrupted => (Action::Interrupted, None),
    };
    events.emit(
        "prune",
        Some(what),
        action.as_str(),
        start.elapsed(),
        error.clone(),
    );
    ObjectResult {
        object: c.r.clone(),
        action,
        error,
        conflict: false,
        note: c
            .release
            .then(|| "kept: it holds the inventory; no longer part of the set".to_string()),
    }
}
