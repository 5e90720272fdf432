//! `apply`: preflight (ownership), parent first, server-side apply step by step (waiting for
//! CRDs this apply installs before their objects), prune, parent last.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::applyset::{self, ANN_GROUP_KINDS, LABEL_ID};
use crate::client::{self, Kinds, api_error, api_for, retry};
use crate::crd::{self, Stopped};
use crate::events::Sink;
use crate::interrupt::Interrupt;
use crate::{Conflict, Desired, Error, FIELD_MANAGER, ObjectRef, Set, prune};

/// What `apply` may do.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Server-side dry run: the server checks everything and persists nothing.
    pub dry_run: bool,
    /// Take ownership of fields other managers own.
    pub force_conflicts: bool,
    /// Take over objects that exist but are not part of this spec's set.
    pub adopt: bool,
    /// Requests in flight within one step.
    pub concurrency: usize,
    /// How long one object's apply or prune may take, retries included, before it is reported
    /// as timed out (`--object-timeout`).
    pub object_timeout: Duration,
    /// Ctrl-C: stop at once, keep the inventory a superset (see [`Interrupt`]).
    pub interrupt: Interrupt,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            dry_run: false,
            force_conflicts: false,
            adopt: false,
            concurrency: 16,
            object_timeout: Duration::from_secs(120),
            interrupt: Interrupt::default(),
        }
    }
}

/// What happened to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Pruned,
    Failed,
    /// In flight when the apply was interrupted: it may or may not have reached the server.
    Interrupted,
    /// No longer rendered but kept (the spec's namespace, which holds the inventory): its
    /// `part-of` label was removed, so it is no longer part of the set.
    Released,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
            Action::Failed => "failed",
            Action::Interrupted => "interrupted",
            Action::Released => "released",
        }
    }
}

/// One object's outcome.
#[derive(Clone, Debug)]
pub struct ObjectResult {
    pub object: ObjectRef,
    pub action: Action,
    pub error: Option<String>,
    /// The error is a 409 field-manager conflict.
    pub conflict: bool,
    /// Something a person should know about a success (e.g. why it was not sent).
    pub note: Option<String>,
}

/// Every object's outcome, in apply order, then the pruned ones.
#[derive(Debug, Default)]
pub struct Report {
    pub results: Vec<ObjectResult>,
    /// True when a 409 conflict stopped the apply.
    pub conflict: bool,
    /// True when an interrupt stopped the apply: later steps and prune did not run, and the
    /// inventory still lists every group-kind this apply may have created.
    pub interrupted: bool,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.action == Action::Failed)
    }
}

/// A desired object (borrowed, not copied: memory stays that of the rendered objects), with its
/// reference, step and set id.
#[derive(Clone)]
pub(crate) struct Item<'a> {
    pub rank: u8,
    pub r: ObjectRef,
    pub value: &'a Value,
    id: Arc<str>,
    /// Of a kind the cluster does not serve yet: the index of the rendered CRD that defines
    /// it. Such an object cannot exist before that CRD is applied.
    pub awaits: Option<usize>,
}

impl<'a> Item<'a> {
    /// The item of a rendered object in the set `id`.
    pub fn new(rank: u8, value: &'a Value, id: Arc<str>) -> Result<Item<'a>, Error> {
        Ok(Item {
            rank,
            r: ObjectRef::of(value)?,
            value,
            id,
            awaits: None,
        })
    }

    /// The object as applied: with the set's `part-of` label. Built per request.
    pub fn labelled(&self) -> Value {
        let mut value = self.value.clone();
        applyset::label(&mut value, &self.id);
        value
    }
}

/// The set's parent and what it listed the last time.
pub(crate) struct Prepared<'a> {
    pub id: String,
    pub items: Vec<Item<'a>>,
    pub previous: BTreeSet<String>,
    pub kinds: Kinds,
}

/// Labels the objects, reads the parent and resolves every kind (old and new) by discovery. A
/// kind the cluster does not serve is an error, unless a rendered CRD defines it (the object
/// then awaits that CRD: see [`Item::awaits`]).
pub(crate) async fn prepare<'a>(
    client: &Client,
    set: &Set,
    objects: &'a [Desired],
    adopt: bool,
) -> Result<Prepared<'a>, Error> {
    let id = applyset::set_id(&set.spec, &set.namespace);
    let shared: Arc<str> = Arc::from(id.as_str());
    let mut items = Vec::with_capacity(objects.len());
    for d in objects {
        items.push(Item::new(d.rank, &d.value, shared.clone())?);
    }
    let parent = parent_api(client, &set.namespace);
    let name = applyset::parent_name(&set.spec);
    let live = retry(&name, || parent.get_opt(&name)).await?;
    let mut previous = BTreeSet::new();
    if let Some(p) = live {
        let labels = p.metadata.labels.unwrap_or_default();
        if labels.get(LABEL_ID).map(String::as_str) != Some(id.as_str()) && !adopt {
            return Err(Error::Foreign(vec![parent_ref(set)]));
        }
        let ann = p.metadata.annotations.unwrap_or_default();
        previous = applyset::parse_group_kinds(ann.get(ANN_GROUP_KINDS).map_or("", |s| s));
    }
    let mut all = client::group_kinds(items.iter().map(|i| &i.r));
    all.extend(previous.iter().cloned());
    let kinds = Kinds::discover(client, &all).await?;
    for n in 0..items.len() {
        if kinds.resolve(&items[n].r).is_err() {
            items[n].awaits = Some(crd::defining(&items, &items[n].r, items[n].rank)?);
        }
    }
    Ok(Prepared {
        id,
        items,
        previous,
        kinds,
    })
}

/// Applies `objects` for `set`; see ARCHITECTURE.md (host/apply) for the order and invariants.
/// `progress` sees each object's result as soon as it and those before it in its step are done.
pub async fn apply<P: FnMut(&ObjectResult) + ?Sized>(
    client: &Client,
    set: &Set,
    objects: &[Desired],
    opts: &ApplyOptions,
    events: &Sink,
    progress: &mut P,
) -> Result<Report, Error> {
    let stop = &opts.interrupt;
    let mut p = stop
        .race(prepare(client, set, objects, opts.adopt))
        .await
        .ok_or(Error::Interrupted)??;
    // Refuse before changing anything: an existing object that is not ours.
    let lives = stop
        .race(live_versions(client, &p, opts.concurrency))
        .await
        .ok_or(Error::Interrupted)??;
    let foreign: Vec<ObjectRef> = p
        .items
        .iter()
        .zip(&lives)
        .filter(|(_, l)| {
            l.as_ref()
                .is_some_and(|(_, owner)| owner.as_deref() != Some(p.id.as_str()))
        })
        .map(|(i, _)| i.r.clone())
        .collect();
    if !opts.adopt && !foreign.is_empty() {
        return Err(Error::Foreign(foreign));
    }
    let current = client::group_kinds(p.items.iter().map(|i| &i.r));
    let mut superset = current.clone();
    superset.extend(p.previous.iter().cloned());
    // Namespaces this apply creates: their objects cannot be checked by a server-side dry run.
    let new_namespaces: BTreeSet<&str> = p
        .items
        .iter()
        .zip(&lives)
        .filter(|(i, l)| i.r.group.is_empty() && i.r.kind == "Namespace" && l.is_none())
        .map(|(i, _)| i.r.name.as_str())
        .collect();

    // The CRDs objects of this apply wait for: awaited once they are all applied.
    let awaited: BTreeSet<usize> = p.items.iter().filter_map(|i| i.awaits).collect();
    let mut unapplied = awaited.clone();
    let awaited: Vec<usize> = awaited.into_iter().collect();
    let mut established = awaited.is_empty() || opts.dry_run;

    let mut report = Report::default();
    // The parent lists every group-kind we may create before we create any of them. It lives in
    // the spec namespace, so on a cluster without that namespace that namespace goes first, in
    // a step of its own, and the parent right after it.
    let spec_namespace_first = new_namespaces.contains(set.namespace.as_str());
    let is_spec_namespace =
        |i: &Item<'_>| i.r.group.is_empty() && i.r.kind == "Namespace" && i.r.name == set.namespace;
    let indexed: Vec<(u16, usize)> = p
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            if spec_namespace_first && is_spec_namespace(i) {
                (0, n)
            } else {
                (u16::from(i.rank) + 1, n)
            }
        })
        .collect();
    let mut parent_done = false;
    if !spec_namespace_first {
        write_parent(client, set, &superset, opts).await?;
        parent_done = true;
    }
    for step in client::steps(&indexed) {
        if stop.is_set() {
            report.interrupted = true;
            return Ok(report);
        }
        if !parent_done && !step.iter().all(|&n| is_spec_namespace(&p.items[n])) {
            write_parent(client, set, &superset, opts).await?;
            parent_done = true;
        }
        let mut done = stream::iter(step.iter().map(|&n| {
            let item = &p.items[n];
            let before = lives[n].as_ref().map(|(v, _)| *v);
            let unchecked = if !opts.dry_run {
                None
            } else if let Some(c) = item.awaits {
                Some(format!(
                    "not sent: the cluster does not serve {} before its {} is applied, so the \
                     server cannot dry-run it",
                    item.r.group_kind(),
                    p.items[c].r
                ))
            } else if new_namespaces.contains(item.r.namespace.as_str()) {
                Some(format!(
                    "not sent: namespace {} does not exist yet, so the server cannot dry-run it",
                    item.r.namespace
                ))
            } else {
                None
            };
            apply_one(client, &p.kinds, item, before, opts, events, unchecked)
        }))
        .buffered(opts.concurrency.max(1));
        // Reported as they finish (in order), so a long step shows progress.
        let mut results = Vec::with_capacity(step.len());
        while let Some(r) = done.next().await {
            progress(&r);
            results.push(r);
        }
        drop(done);
        report.conflict |= results.iter().any(|r| r.conflict);
        report.interrupted |= results.iter().any(|r| r.action == Action::Interrupted);
        report.results.extend(results);
        if report.failed() || report.interrupted {
            return Ok(report);
        }
        // After the CRD step: the objects that wait for those CRDs need them established and
        // discovery run again.
        for n in &step {
            unapplied.remove(n);
        }
        if !established && unapplied.is_empty() {
            match crd::establish(client, &p.items, &mut p.kinds, &awaited, opts, events).await {
                Ok(()) => established = true,
                Err(Stopped::Interrupted) => {
                    report.interrupted = true;
                    return Ok(report);
                }
                Err(Stopped::Failed(e)) => return Err(e),
            }
        }
    }
    if !parent_done {
        write_parent(client, set, &superset, opts).await?;
    }
    let pruned = prune::prune(client, &p, set, opts, events).await?;
    for r in &pruned.results {
        progress(r);
    }
    report.interrupted |= pruned.interrupted;
    report.results.extend(pruned.results);
    if !report.failed() && !report.interrupted && !stop.is_set() {
        // Kinds the cluster no longer serves could not be listed: keep them recorded.
        let mut last = current;
        last.extend(pruned.unserved);
        write_parent(client, set, &last, opts).await?;
    }
    Ok(report)
}

/// For each item: `Some((the object without server bookkeeping, part-of label))` if it exists.
type Live = Option<(Fingerprint, Option<String>)>;

/// A digest of an object as `plan` compares it: 32 bytes per object instead of a copy of it.
type Fingerprint = [u8; 32];

/// The [`Fingerprint`] of an object without status and bookkeeping; map keys are hashed in
/// sorted order, so the server's key order does not matter.
fn comparable(o: &DynamicObject) -> Fingerprint {
    let v = serde_json::to_value(o).map_or(Value::Null, |v| crate::plan::normalize(&v));
    let mut h = Sha256::new();
    canonical(&v, &mut h);
    h.finalize().into()
}

fn canonical(v: &Value, h: &mut Sha256) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            h.update(b"{");
            for k in keys {
                h.update(serde_json::to_string(k).unwrap_or_default().as_bytes());
                h.update(b":");
                canonical(&m[k.as_str()], h);
                h.update(b",");
            }
            h.update(b"}");
        }
        Value::Array(a) => {
            h.update(b"[");
            for x in a {
                canonical(x, h);
                h.update(b",");
            }
            h.update(b"]");
        }
        scalar => h.update(scalar.to_string().as_bytes()),
    }
}

async fn live_versions(
    client: &Client,
    p: &Prepared<'_>,
    concurrency: usize,
) -> Result<Vec<Live>, Error> {
    let lives: Vec<Result<Live, Error>> = stream::iter(p.items.iter().map(|item| async {
        if item.awaits.is_some() {
            // Its kind is not served yet: it cannot exist.
            return Ok(None);
        }
        let (ar, caps) = p.kinds.resolve(&item.r)?;
        let api = api_for(client, &ar, &caps, &item.r.namespace);
        let what = item.r.to_string();
        let live = retry(&what, || api.get_opt(&item.r.name)).await?;
        Ok(live.map(|o| {
            let owner = o
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(applyset::LABEL_PART_OF))
                .cloned();
            (comparable(&o), owner)
        }))
    }))
    .buffered(concurrency.max(1))
    .collect()
    .await;
    lives.into_iter().collect()
}

pub(crate) fn patch_params(opts: &ApplyOptions) -> PatchParams {
    let mut pp = PatchParams::apply(FIELD_MANAGER);
    if opts.force_conflicts {
        pp = pp.force();
    }
    if opts.dry_run {
        pp = pp.dry_run();
    }
    pp
}

/// Server-side applies one object, with retries; a 409 becomes a [`Conflict`].
pub(crate) async fn ssa(
    client: &Client,
    kinds: &Kinds,
    item: &Item<'_>,
    opts: &ApplyOptions,
) -> Result<DynamicObject, Error> {
    let (ar, caps) = kinds.resolve(&item.r)?;
    let api = api_for(client, &ar, &caps, &item.r.namespace);
    let pp = patch_params(opts);
    let what = item.r.to_string();
    let value = item.labelled();
    let patch = Patch::Apply(&value);
    let attempt = || api.patch(&item.r.name, &pp, &patch);
    match client::retry_raw(&what, attempt).await {
        Ok(o) => Ok(o),
        Err(kube::Error::Api(s)) if s.code == 409 && client::is_field_conflict(&s) => {
            Err(Error::Conflict(Box::new(Conflict::from_status(&what, &s))))
        }
        Err(e) => Err(api_error(&what, e)),
    }
}

async fn apply_one(
    client: &Client,
    kinds: &Kinds,
    item: &Item<'_>,
    before: Option<Fingerprint>,
    opts: &ApplyOptions,
    events: &Sink,
    unchecked: Option<String>,
) -> ObjectResult {
    let start = Instant::now();
    let (mut action, mut error, mut conflict, mut note) = (Action::Created, None, false, None);
    if unchecked.is_some() {
        // A dry run the server cannot do: said why in the note.
        note = unchecked;
    } else {
        let result = bounded(opts, ssa(client, kinds, item, opts)).await;
        conflict = matches!(result, Bounded::Done(Err(Error::Conflict(_))));
        (action, error) = match result {
            Bounded::Interrupted => (Action::Interrupted, None),
            Bounded::TimedOut(message) => (Action::Failed, Some(format!("{}: {message}", item.r))),
            Bounded::Done(Err(e)) => (Action::Failed, Some(e.to_string())),
            Bounded::Done(Ok(after)) => match before {
                None => (Action::Created, None),
                // Compared without status and bookkeeping: a no-op apply is "unchanged" even on
                // a server that bumps resourceVersion, or while a controller updates status.
                Some(v) if comparable(&after) == v => (Action::Unchanged, None),
                Some(_) => (Action::Configured, None),
            },
        };
    }
    events.emit(
        "apply",
        Some(item.r.to_string()),
        action.as_str(),
        start.elapsed(),
        error.clone().or_else(|| note.clone()),
    );
    ObjectResult {
        object: item.r.clone(),
        action,
        error,
        conflict,
        note,
    }
}

/// How a request bounded by the object timeout and the interrupt ended.
pub(crate) enum Bounded<T> {
    Done(T),
    /// The message says how long and what to do.
    TimedOut(String),
    Interrupted,
}

/// Runs one object's request (retries included) within `opts.object_timeout`, unless
/// interrupted first.
pub(crate) async fn bounded<F: Future>(opts: &ApplyOptions, f: F) -> Bounded<F::Output> {
    let limit = opts.object_timeout;
    match opts.interrupt.race(tokio::time::timeout(limit, f)).await {
        None => Bounded::Interrupted,
        Some(Err(_)) => Bounded::TimedOut(format!(
            "no answer from the API server within {limit:?} (--object-timeout); it may or may \
             not have been applied, run apply again or raise --object-timeout"
        )),
        Some(Ok(v)) => Bounded::Done(v),
    }
}

fn parent_api(client: &Client, namespace: &str) -> Api<k8s_openapi::api::core::v1::ConfigMap> {
    Api::namespaced(client.clone(), namespace)
}

pub(crate) fn parent_ref(set: &Set) -> ObjectRef {
    ObjectRef {
        group: String::new(),
        version: "v1".into(),
        kind: applyset::PARENT_KIND.into(),
        namespace: set.namespace.clone(),
        name: applyset::parent_name(&set.spec),
    }
}

/// Server-side applies the parent with `group_kinds` (forced: the parent is ours alone).
async fn write_parent(
    client: &Client,
    set: &Set,
    group_kinds: &BTreeSet<String>,
    opts: &ApplyOptions,
) -> Result<(), Error> {
    let value = applyset::parent(set, group_kinds);
    let api = parent_api(client, &set.namespace);
    let name = applyset::parent_name(&set.spec);
    if opts.dry_run {
        // Bookkeeping only; and on a fresh cluster its namespace does not exist yet.
        return Ok(());
    }
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let patch = Patch::Apply(&value);
    let what = parent_ref(set).to_string();
    match client::retry_raw(&what, || api.patch(&name, &pp, &patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(Error::Api {
            object: what,
            message: format!(
                "the spec's namespace {} does not exist and no plugin renders it; the \
                 inventory lives there: create the namespace, or add the workload section \
                 (its plugin renders the namespace)",
                set.namespace
            ),
        }),
        Err(e) => Err(client::api_error(&what, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> DynamicObject {
        serde_json::from_value(v).expect("an object")
    }

    #[test]
    fn fingerprints_ignore_key_order_and_bookkeeping() {
        let a = object(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "n", "resourceVersion": "1"},
            "data": {"a": "1", "b": "2"},
        }));
        let b = object(serde_json::json!({
            "kind": "ConfigMap", "apiVersion": "v1",
            "data": {"b": "2", "a": "1"},
            "metadata": {"namespace": "n", "name": "x", "resourceVersion": "7"},
        }));
        let c = object(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "n"},
            "data": {"a": "1", "b": "3"},
        }));
        assert_eq!(comparable(&a), comparable(&b));
        assert_ne!(comparable(&a), comparable(&c));
    }
}
