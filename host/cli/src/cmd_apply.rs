//! `apply`, `plan` and `status`: the cluster commands, over hms-apply.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use hms_apply::events::Sink;
use hms_apply::{Action, ApplyOptions, Change, Desired, Set, State, StatusInfo, Target};
use serde_json::Value;

use crate::exit;
use crate::judge::Judges;
use crate::kinds;
use crate::live;
use crate::pipeline::{self, Rendered};
use crate::plugins::Origin;
use crate::problem::Problem;

/// Which cluster, as kubectl finds it.
#[derive(Args, Debug, Default, Clone)]
pub struct ClusterArgs {
    /// The kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context [default: the current context].
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Write events, one JSON line per step (docs/events.md), appended to FILE, or to stderr
    /// with `-`; without this flag no events are written.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
}

impl ClusterArgs {
    pub(crate) fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }

    /// The event sink: `--events FILE` (append), `--events -` (stderr), else none (events only
    /// when asked for, as Terraform's `-json`).
    pub fn sink(&self, spec: &str, rendered: Option<&Rendered>) -> anyhow::Result<Sink> {
        let digests: serde_json::Map<String, Value> = rendered
            .map(|r| {
                r.plugins
                    .iter()
                    .map(|p| (p.name.clone(), Value::String(p.digest.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let out: Box<dyn Write + Send> = match &self.events {
            Some(path) if path.as_os_str() == "-" => Box::new(std::io::stderr()),
            Some(path) => Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| anyhow::anyhow!("--events `{}`: {e}", path.display()))?,
            ),
            None => Box::new(std::io::sink()),
        };
        Ok(Sink::new(out, spec, digests))
    }
}

/// What `apply` and `plan` do after rendering.
pub struct ApplyRequest<'a> {
    pub spec: &'a Path,
    pub cluster: &'a ClusterArgs,
    pub options: ApplyOptions,
    /// `--wait`: follow the status until ready, at most this long.
    pub wait: Option<Duration>,
    /// The compiled-plugin cache, where `--wait` finds the plugins that judge the sections.
    pub cache: hms_plugin::Cache,
}

/// The rendered objects as hms-apply wants them, and the set they belong to.
pub fn desired(rendered: &Rendered) -> anyhow::Result<(Set, Vec<Desired>)> {
    let objects: Vec<Desired> = rendered
        .objects
        .iter()
        .map(|o| Desired {
            rank: kinds::rank(&o.id.group, &o.id.kind),
            value: o.value.clone(),
        })
        .collect();
    let set = Set {
        spec: rendered.spec_name.clone(),
        namespace: rendered.namespace.clone(),
        tooling: format!("hms-sys/{}", env!("CARGO_PKG_VERSION")),
        status: status_info(rendered),
        owner: None,
    };
    Ok((set, objects))
}

/// What `status` needs, read from the spec and the rendered objects: per section, its plugin
/// and its objects.
pub fn status_info(rendered: &Rendered) -> StatusInfo {
    let sections = rendered
        .plugins
        .iter()
        .filter(|p| p.section != "baseline")
        .map(|p| hms_apply::SectionInfo {
            section: p.section.clone(),
            plugin: p.name.clone(),
            digest: p.digest.clone(),
            bundled: p.origin == Origin::Bundled,
            objects: rendered
                .objects
                .iter()
                .filter(|o| o.plugin == p.name)
                .map(|o| {
                    let s = |ptr: &str| {
                        o.value
                            .pointer(ptr)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    [
                        s("/apiVersion"),
                        o.id.kind.clone(),
                        s("/metadata/namespace"),
                        o.id.name.clone(),
                    ]
                })
                .collect(),
        })
        .collect();
    StatusInfo {
        version: hms_apply::status::STATUS_VERSION,
        namespace: rendered.namespace.clone(),
        spec_name: rendered.spec_name.clone(),
        spec: rendered.spec_json.clone(),
        common_labels: pipeline::common_labels(&rendered.spec_name)
            .into_iter()
            .collect(),
        node_selector: rendered.node_selector.iter().cloned().collect(),
        sections,
    }
}

/// Whether `apply` handles Ctrl-C itself (the binary does; in-process callers keep the default
/// signal behaviour). See [`crate::handle_signals`].
static SIGNALS: AtomicBool = AtomicBool::new(false);

pub(crate) fn enable_signals() {
    SIGNALS.store(true, Ordering::SeqCst);
}

/// `hms-sys apply`: prints one line per object; exit 0, 6 when the cluster refused, 130 when
/// interrupted.
pub fn apply(
    req: &ApplyRequest<'_>,
    rendered: &Rendered,
    events: &Sink,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (set, objects) = desired(rendered)?;
    let dry = if req.options.dry_run {
        " (server dry run)"
    } else {
        ""
    };
    let stop = req.options.interrupt.clone();
    let total = objects.len();
    hms_apply::block_on(async {
        if SIGNALS.load(Ordering::SeqCst) {
            stop.on_signals()?;
        }
        let connected = stop.race(hms_apply::connect(&req.cluster.target())).await;
        let client = match connected {
            None => return interrupted(&set.spec, (0, total, 0), events, out),
            Some(Err(e)) => {
                return cluster_error(&e, "apply", events, err);
            }
            Some(Ok(c)) => c,
        };
        // At a terminal, a live line under the finished objects says which step is in flight.
        let ranks: Vec<u8> = objects.iter().map(|o| o.rank).collect();
        let mut live = live::active().then(|| live::ApplyProgress::new(&ranks));
        let mut print = |r: &hms_apply::ObjectResult| {
            let line = match (&r.error, r.action) {
                (Some(e), _) => format!("✗ {} failed: {e}", r.object),
                (None, Action::Interrupted) => format!(
                    "… {} interrupted in flight (it may or may not have been applied)",
                    r.object
                ),
                (None, _) => match &r.note {
                    Some(note) => format!("✔ {} {}{dry} ({note})", r.object, r.action.as_str()),
                    None => format!("✔ {} {}{dry}", r.object, r.action.as_str()),
                },
            };
            match live.as_mut() {
                Some(live) => live.finished(r, &line),
                None => {
                    let _ = writeln!(out, "{line}");
                }
            }
        };
        let result =
            hms_apply::apply(&client, &set, &objects, &req.options, events, &mut print).await;
        if let Some(live) = live {
            live.done();
        }
        let report = match result {
            Ok(report) => report,
            Err(hms_apply::Error::Interrupted) => {
                return interrupted(&set.spec, (0, total, 0), events, out);
            }
            Err(e) => {
                return cluster_error(&e, "apply", events, err);
            }
        };
        let count = |a: Action| report.results.iter().filter(|r| r.action == a).count();
        let applied = count(Action::Created) + count(Action::Configured) + count(Action::Unchanged);
        if report.interrupted {
            let pruned = count(Action::Pruned);
            return interrupted(&set.spec, (applied, total, pruned), events, out);
        }
        writeln!(
            out,
            "{}: {} created, {} configured, {} unchanged, {} pruned, {} failed{dry}",
            set.spec,
            count(Action::Created),
            count(Action::Configured),
            count(Action::Unchanged),
            count(Action::Pruned),
            count(Action::Failed)
        )?;
        if report.failed() {
            for r in report.results.iter().filter(|r| r.error.is_some()) {
                writeln!(
                    err,
                    "error[HMS-APPLY]: {}",
                    r.error.as_deref().unwrap_or("")
                )?;
            }
            return Ok(exit::CLUSTER);
        }
        match req.wait {
            Some(timeout) if !req.options.dry_run => {
                let ns = Some(set.namespace.as_str());
                let how = Follow::Wait(timeout);
                let f = Following {
                    how,
                    json: false,
                    cache: &req.cache,
                };
                let lines = follow(&client, &set.spec, ns, f, events, &stop, out).await;
                match lines {
                    Ok(Some(ready)) => Ok(ready_code(ready)),
                    Ok(None) => {
                        writeln!(
                            out,
                            "interrupted while waiting; everything above stays applied. \
                             Follow it with `hms-sys status {}`",
                            set.spec
                        )?;
                        Ok(exit::INTERRUPTED)
                    }
                    Err(e) => cluster_error(&e, "wait", events, err),
                }
            }
            _ => Ok(exit::OK),
        }
    })?
}

/// Reports an interrupted apply: what got done (objects applied of all, objects pruned) and how
/// to converge.
fn interrupted(
    spec: &str,
    (applied, total, pruned): (usize, usize, usize),
    events: &Sink,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let message = format!(
        "{spec}: interrupted after {applied} of {total} objects applied and {pruned} pruned; the \
         inventory still lists every kind this apply may have created. Run `hms-sys apply` \
         again to converge."
    );
    writeln!(out, "{message}")?;
    events.emit("apply", None, "interrupted", Duration::ZERO, Some(message));
    Ok(exit::INTERRUPTED)
}

/// Reports an error of the whole command (`kind`: the event type) to the person and as an
/// event; exit 6.
fn cluster_error(
    e: &hms_apply::Error,
    kind: &str,
    events: &Sink,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    events.emit(kind, None, "failed", Duration::ZERO, Some(e.to_string()));
    writeln!(err, "{}", cluster_problem(e, kind))?;
    Ok(exit::CLUSTER)
}

/// An error of the cluster commands for a person, with what to do when the cluster could not
/// be found (`command`: `apply`, `wait`, `plan` or `status`).
fn cluster_problem(e: &hms_apply::Error, command: &str) -> Problem {
    let choose = "point at a cluster with --kubeconfig FILE (and --context NAME), or set \
                  KUBECONFIG to the kubeconfig file";
    let hint = match (e, command) {
        (hms_apply::Error::NoKubeconfig(_), "apply" | "wait") => format!(
            "{choose}; or, without a cluster, write the manifests for a GitOps tool (Argo CD, \
             Flux) with `hms-sys apply SPEC --target dir:PATH`"
        ),
        (hms_apply::Error::NoKubeconfig(_), "plan") => format!(
            "{choose}; or compare with the files `apply --target dir:PATH` wrote: \
             `hms-sys plan SPEC --target dir:PATH`"
        ),
        (hms_apply::Error::NoKubeconfig(_), _) => choose.to_string(),
        (hms_apply::Error::UnknownKind(k), _) if k == hms_apply::controller::submit::KIND => {
            "install the SYS Controller and its CRD: `hms-sys controller manifests --image \
             REF@sha256:... | kubectl apply -f -` (README, \"Running the controller\"), or \
             apply directly with `--via direct`"
                .to_string()
        }
        (hms_apply::Error::Kubeconfig(_), _) => "fix that kubeconfig, or choose another with \
             --kubeconfig FILE, --context NAME or the KUBECONFIG variable"
            .to_string(),
        _ => String::new(),
    };
    Problem::error("HMS-APPLY", e.to_string()).hint(hint)
}

/// `hms-sys plan`: exit 0 no changes, 2 changes, 1 error (Terraform's -detailed-exitcode).
pub fn plan(
    req: &ApplyRequest<'_>,
    rendered: &Rendered,
    events: &Sink,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let start = Instant::now();
    let (set, objects) = desired(rendered)?;
    let result = hms_apply::block_on(async {
        let client = hms_apply::connect(&req.cluster.target()).await?;
        hms_apply::plan(&client, &set, &objects, &req.options).await
    })?;
    let entries = match result {
        Ok(e) => e,
        Err(e) => {
            writeln!(err, "{}", cluster_problem(&e, "plan"))?;
            events.emit("plan", None, "failed", start.elapsed(), Some(e.to_string()));
            return Ok(exit::ERROR);
        }
    };
    let mut changes = 0;
    for e in &entries {
        let mark = match e.change {
            Change::Create => "+",
            Change::Update => "~",
            Change::Prune => "-",
            Change::Release => "!",
            Change::Unchanged => "=",
        };
        writeln!(out, "{mark} {} {}", e.object, e.change)?;
        if let Some(diff) = &e.diff {
            for line in diff.lines() {
                // Object content is a plugin's: shown escaped.
                writeln!(
                    out,
                    "    {}",
                    crate::text::shown(line, crate::text::MESSAGE)
                )?;
            }
        }
        changes += usize::from(e.change != Change::Unchanged);
    }
    writeln!(out, "{}: {changes} changes", set.spec)?;
    Ok(planned(changes, events, start))
}

/// The end of a plan: its event, and Terraform's -detailed-exitcode (0 none, 2 changes).
pub(crate) fn planned(changes: usize, events: &Sink, start: Instant) -> u8 {
    let result = if changes == 0 { "unchanged" } else { "changes" };
    events.emit("plan", None, result, start.elapsed(), None);
    if changes == 0 {
        exit::OK
    } else {
        exit::CHANGES
    }
}

/// `hms-sys apply SPEC --via controller`: the spec file's fields become SysSpec NAME (created or
/// updated by server-side apply), which the SYS Controller applies and keeps converged.
/// `--wait` follows the SysSpec's status until its generation is Ready: exit 0, 3 when the
/// controller finds the spec invalid, 5 when the baseline refuses it, 7 when not ready in time.
pub fn submit(
    req: &ApplyRequest<'_>,
    rendered: &Rendered,
    events: &Sink,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let start = Instant::now();
    let text = std::fs::read_to_string(req.spec)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", req.spec.display()))?;
    let fields = match serde_yaml_ng::from_str::<Value>(&text)? {
        Value::Object(m) => m,
        _ => anyhow::bail!("`{}` is not a mapping", req.spec.display()),
    };
    let files: Vec<&str> = rendered
        .plugins
        .iter()
        .filter(|p| match &p.origin {
            Origin::Bundled => false,
            Origin::Spec { path } => !path.starts_with("oci://"),
            Origin::Flag { .. } => true,
        })
        .map(|p| p.name.as_str())
        .collect();
    if !files.is_empty() {
        writeln!(
            err,
            "note: plugins {} are files on this machine; the controller reads a spec's plugin \
             files from its own --plugin-dir (push them to a registry and name them \
             `oci://...@sha256:` to share them)",
            files.join(", ")
        )?;
    }
    let name = rendered.spec_name.as_str();
    let stop = req.options.interrupt.clone();
    hms_apply::block_on(async {
        if SIGNALS.load(Ordering::SeqCst) {
            stop.on_signals()?;
        }
        let client = match hms_apply::connect(&req.cluster.target()).await {
            Ok(c) => c,
            Err(e) => return cluster_error(&e, "apply", events, err),
        };
        let generation = match hms_apply::controller::submit::submit(&client, name, &fields).await {
            Ok(g) => g,
            Err(e) => return cluster_error(&e, "apply", events, err),
        };
        events.emit(
            "submit",
            None,
            "ok",
            start.elapsed(),
            Some(format!("generation {generation}")),
        );
        writeln!(
            out,
            "✔ SysSpec {name} submitted (generation {generation}): the controller applies it"
        )?;
        let Some(timeout) = req.wait else {
            writeln!(out, "follow it with `hms-sys status {name}`")?;
            return Ok(exit::OK);
        };
        let f = ControllerFollow {
            how: Follow::Wait(timeout),
            json: false,
            generation: Some(generation),
        };
        match follow_controller(&client, name, f, events, &stop, out).await {
            Ok(code) => Ok(code),
            Err(e) => cluster_error(&e, "wait", events, err),
        }
    })?
}

/// How the status of a SysSpec is followed.
struct ControllerFollow {
    how: Follow,
    json: bool,
    /// Wait for this generation (after a submit); else the current one.
    generation: Option<i64>,
}

/// Reads SysSpec `name`'s status (its lines, and why it is not ready), once or until its
/// generation is Ready; the exit code.
async fn follow_controller(
    client: &hms_apply::Client,
    name: &str,
    f: ControllerFollow,
    events: &Sink,
    stop: &hms_apply::Interrupt,
    out: &mut dyn Write,
) -> Result<u8, hms_apply::Error> {
    let (kind, limit) = match f.how {
        Follow::Once => ("status", None),
        Follow::Watch(d) => ("status", Some(d)),
        Follow::Wait(d) => ("wait", Some(d)),
    };
    let deadline = limit.map(|d| Instant::now() + d);
    let mut last: Option<(Vec<hms_apply::Line>, Option<String>)> = None;
    loop {
        let start = Instant::now();
        let Some(found) = stop
            .race(hms_apply::controller::submit::get(client, name))
            .await
        else {
            return Ok(exit::INTERRUPTED);
        };
        let spec = found?.ok_or_else(|| hms_apply::Error::NoInventory(name.to_string()))?;
        let status = spec.status.clone().unwrap_or_default();
        let want = f.generation.or(spec.metadata.generation).unwrap_or(1);
        let current = status.observed_generation.unwrap_or(0) >= want;
        let lines: Vec<hms_apply::Line> = status
            .lines
            .iter()
            .map(|l| hms_apply::Line::new(&l.section, l.state, l.line.clone(), l.reason.clone()))
            .collect();
        let ready_cond = status.condition("Ready");
        let ready = current && status.is_true("Ready");
        // A generation the controller will not apply as it stands: say why and stop.
        let refused = current
            .then(|| ready_cond.map(|c| c.reason.as_str()))
            .flatten()
            .and_then(|r| match r {
                "BaselineRefused" => Some(exit::BASELINE),
                "SpecInvalid" => Some(exit::SPEC),
                _ => None,
            });
        let why = match (current, ready_cond) {
            (false, _) => Some(format!(
                "the controller has not reconciled generation {want} yet"
            )),
            (true, Some(c)) if c.status != "True" && c.reason != "InProgress" => {
                let detail = match c.reason.as_str() {
                    "BaselineRefused" => status
                        .condition("Compliant")
                        .map(|c| c.message.clone())
                        .unwrap_or_default(),
                    "SpecInvalid" | "PluginFailed" => status
                        .condition("Rendered")
                        .map(|c| c.message.clone())
                        .unwrap_or_default(),
                    _ => status
                        .condition("Applied")
                        .filter(|a| a.status != "True")
                        .map(|a| a.message.clone())
                        .unwrap_or_else(|| c.message.clone()),
                };
                Some(format!("{}: {detail}", c.reason))
            }
            _ => None,
        };
        let now = (lines.clone(), why.clone());
        if last.as_ref() != Some(&now) {
            print_status(&lines, f.json, &mut *out);
            if let (Some(why), false) = (&why, f.json) {
                let text = crate::text::shown(why, crate::text::MESSAGE);
                let mark = if current { "✗" } else { "…" };
                let _ = writeln!(out, "{mark} SysSpec {name}: {text}");
            }
        }
        let outcome = if ready { "ready" } else { "inProgress" };
        events.emit(kind, None, outcome, start.elapsed(), why.clone());
        if ready {
            return Ok(exit::OK);
        }
        if let Some(code) = refused {
            return Ok(code);
        }
        if deadline.is_none_or(|d| Instant::now() >= d) {
            if let Some(limit) = limit {
                let _ = writeln!(
                    out,
                    "timed out after {limit:?}; SysSpec {name} is not ready"
                );
                events.emit(kind, None, "timedOut", start.elapsed(), why);
            }
            return Ok(exit::NOT_READY);
        }
        last = Some(now);
        if stop
            .race(hms_apply::sleep(Duration::from_millis(500)))
            .await
            .is_none()
        {
            return Ok(exit::INTERRUPTED);
        }
    }
}

/// `hms-sys status NAME`: exit 0 when every line is ✔, 7 when something is not ready yet or
/// failed, 6 when the cluster cannot be read. When a SysSpec NAME exists, its status (the
/// controller's) is read instead of the inventory.
pub fn status(
    name: &str,
    namespace: Option<&str>,
    cluster: &ClusterArgs,
    f: Following<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let events = cluster.sink(name, None)?;
    let stop = hms_apply::Interrupt::default();
    hms_apply::block_on(async {
        let client = match hms_apply::connect(&cluster.target()).await {
            Ok(c) => c,
            Err(e) => return cluster_error(&e, "status", &events, err),
        };
        // The controller's view, when the spec is a SysSpec (in the namespace asked for).
        if let Ok(Some(spec)) = hms_apply::controller::submit::get(&client, name).await {
            let ns = spec
                .status
                .as_ref()
                .and_then(|s| s.apply_set.as_ref())
                .map(|a| a.namespace.clone());
            if namespace.is_none() || namespace == ns.as_deref() {
                let cf = ControllerFollow {
                    how: f.how,
                    json: f.json,
                    generation: None,
                };
                return match follow_controller(&client, name, cf, &events, &stop, out).await {
                    Ok(code) => Ok(code),
                    Err(e) => cluster_error(&e, "status", &events, err),
                };
            }
        }
        let lines = follow(&client, name, namespace, f, &events, &stop, out).await;
        match lines {
            Ok(Some(ready)) => Ok(ready_code(ready)),
            Ok(None) => Ok(exit::INTERRUPTED),
            Err(e) => cluster_error(&e, "status", &events, err),
        }
    })?
}

fn ready_code(ready: bool) -> u8 {
    if ready { exit::OK } else { exit::NOT_READY }
}

/// How `status` follows, and where it finds the plugins that judge the sections.
pub struct Following<'a> {
    pub how: Follow,
    pub json: bool,
    pub cache: &'a hms_plugin::Cache,
}

/// Reads the status once, or follows it (printing each change) until ready or `how`'s
/// deadline; whether it ended ready, or `None` when interrupted.
async fn follow(
    client: &hms_apply::Client,
    name: &str,
    namespace: Option<&str>,
    f: Following<'_>,
    events: &Sink,
    stop: &hms_apply::Interrupt,
    out: &mut dyn Write,
) -> Result<Option<bool>, hms_apply::Error> {
    let Following { how, json, cache } = f;
    let (kind, watch) = match how {
        Follow::Once => ("status", None),
        Follow::Watch(d) => ("status", Some(d)),
        Follow::Wait(d) => ("wait", Some(d)),
    };
    let deadline = watch.map(|d| Instant::now() + d);
    let mut last: Option<Vec<hms_apply::Line>> = None;
    let mut judges: Option<Judges> = None;
    // At a terminal, following redraws the lines in place instead of printing each change.
    let mut view =
        (watch.is_some() && !json && live::active()).then(|| live::StatusView::new(name));
    loop {
        let start = Instant::now();
        let Some(observed) = stop.race(hms_apply::observe(client, name, namespace)).await else {
            if let (Some(view), Some(last)) = (view, &last) {
                view.done(last);
            }
            return Ok(None);
        };
        let observed = match observed {
            Ok(o) => o,
            Err(e) => {
                if let (Some(view), Some(last)) = (view, &last) {
                    view.done(last);
                }
                return Err(e);
            }
        };
        // The plugins that judge the sections, loaded once.
        let judges = judges.get_or_insert_with(|| Judges::load(&observed.info, cache.clone()));
        let lines = judges.lines(&observed);
        // `--wait` also waits for every applied object to be ready by kstatus, beyond what
        // the lines promise.
        // Objects of a section whose line is not ready are explained by the line.
        let pending: Vec<String> = match how {
            Follow::Wait(_) => hms_apply::status::pending_objects(&observed, &lines),
            Follow::Once | Follow::Watch(_) => Vec::new(),
        };
        let ready = lines.iter().all(|l| l.state == State::Ready) && pending.is_empty();
        let outcome = if ready { "ready" } else { "inProgress" };
        let reasons: Vec<String> = lines
            .iter()
            .filter_map(|l| l.reason.clone())
            .chain(pending.iter().cloned())
            .collect();
        let message = (!reasons.is_empty()).then(|| reasons.join("; "));
        events.emit(kind, None, outcome, start.elapsed(), message);
        match view.as_mut() {
            Some(view) => view.show(&lines),
            None if last.as_ref() != Some(&lines) => print_status(&lines, json, &mut *out),
            None => {}
        }
        let done = ready || deadline.is_none_or(|d| Instant::now() >= d);
        if done {
            if let Some(view) = view.take() {
                view.done(&lines);
            }
            if let (false, Some(limit)) = (ready, watch) {
                let not_ready: Vec<String> = lines
                    .iter()
                    .filter(|l| l.state != State::Ready)
                    .map(|l| match &l.reason {
                        Some(r) => format!("{}: {r}", l.item),
                        None => l.item.to_string(),
                    })
                    .chain(pending.iter().cloned())
                    .collect();
                let message = crate::text::shown(
                    &format!(
                        "timed out after {limit:?}; not ready: {}",
                        not_ready.join("; ")
                    ),
                    crate::text::MESSAGE,
                )
                .into_owned();
                let _ = writeln!(out, "{message}");
                events.emit(kind, None, "timedOut", start.elapsed(), Some(message));
            }
            return Ok(Some(ready));
        }
        last = Some(lines);
        if stop
            .race(hms_apply::sleep(Duration::from_millis(500)))
            .await
            .is_none()
        {
            if let (Some(view), Some(last)) = (view, &last) {
                view.done(last);
            }
            return Ok(None);
        }
    }
}

/// How `status` runs: once, following until ready (`--watch`), or after apply (`--wait`).
#[derive(Clone, Copy, Debug)]
pub enum Follow {
    Once,
    Watch(Duration),
    Wait(Duration),
}

fn print_status(lines: &[hms_apply::Line], json: bool, out: &mut dyn Write) {
    let _ = if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())
        )
    } else {
        lines
            .iter()
            .try_for_each(|l| writeln!(out, "{}", live::shown_line(l)))
    };
}
