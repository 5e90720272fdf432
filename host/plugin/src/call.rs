//! One sandboxed call: a fresh store with limits, run on its own thread, failures classified.

use std::sync::mpsc;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::wit;
use crate::error::{Cause, PluginError};
use crate::runtime::{Callee, Limits, Pre, TICK};
use crate::types::{
    CheckOutput, Context, Diagnostic, KindRef, LiveObject, Metadata, ObjectRef, RenderOutput,
    SectionSchema, Severity, StatusLine, StatusState,
};

/// How much of a plugin's stderr is kept for error messages.
const STDERR_CAP: usize = 64 << 10;
/// Stack of the thread that runs wasm: comfortably above the wasm stack cap.
const THREAD_STACK: usize = 8 << 20;
/// How wasmtime 48 describes running out of hostcall fuel (its `HostcallFuelExhausted` error,
/// which it does not export): a transfer out of the plugin larger than the store's budget.
const FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";
/// Extra wall time granted past the deadline before the host stops waiting for a plugin that
/// is blocked inside a host call (where epochs cannot interrupt it).
const GRACE: Duration = Duration::from_secs(1);

/// The data of one store: an empty WASI context and the memory limiter.
pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and tables, and remembers whether the cap was what stopped the plugin.
struct Limiter {
    memory: usize,
    hit: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            self.hit = true;
            wasmtime::bail!("memory cap of {} bytes reached", self.memory);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > 100_000 {
            self.hit = true;
            wasmtime::bail!("table cap reached");
        }
        Ok(true)
    }
}

/// What comes back from the call thread.
type Outcome<R> = (wasmtime::Result<R>, bool, Vec<u8>);

/// One call, packed for the call thread.
type Job = Box<dyn FnOnce() + Send>;

/// The call thread every call uses unless it is busy, so that a run does not start a thread
/// (and map its 8 MiB stack) per call. `None` until the first call, and again after a call
/// timed out: that thread may still be blocked inside the plugin, and is left behind.
static WORKER: std::sync::Mutex<Option<mpsc::Sender<Job>>> = std::sync::Mutex::new(None);

/// Hands `job` to the call thread in `worker`, starting one if there is none or it died
/// (a panic inside wasmtime ends the thread; the caller sees its result channel close).
fn submit(worker: &mut Option<mpsc::Sender<Job>>, job: Job) -> std::io::Result<()> {
    let job = match worker {
        Some(w) => match w.send(job) {
            Ok(()) => return Ok(()),
            Err(mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (jobs, inbox) = mpsc::channel::<Job>();
    spawn(
        "hms-plugin-call",
        Box::new(move || {
            job();
            while let Ok(next) = inbox.recv() {
                next();
            }
        }),
    )?;
    *worker = Some(jobs);
    Ok(())
}

/// Starts a thread with a stack comfortably above the wasm stack cap and runs `job` on it.
fn spawn(name: &str, job: Job) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(THREAD_STACK)
        .spawn(job)
}

/// Runs `f` in a fresh store on the call thread and classifies any failure.
fn run<R, F>(callee: &Callee, plugin: &str, operation: &str, f: F) -> Result<R, PluginError>
where
    R: Send + 'static,
    F: FnOnce(&mut Store<State>, &Pre) -> wasmtime::Result<R> + Send + 'static,
{
    let limits = callee.limits;
    let engine = callee.engine.clone();
    let pre = callee.pre.clone();
    let (tx, rx) = mpsc::channel::<Outcome<R>>();
    let job: Job = Box::new(move || {
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        // Nothing is granted: no preopened directories, no environment, no arguments,
        // no network; stdin is empty and stdout is discarded.
        let wasi = WasiCtxBuilder::new().stderr(stderr.clone()).build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter {
                memory: limits.memory,
                hit: false,
            },
        };
        let mut store = Store::new(&engine, state);
        store.limiter(|s| &mut s.limiter);
        // Bounds what wasmtime copies out of the plugin (results included) before the host
        // measures it: an output far over the cap is refused before it is copied.
        store.set_hostcall_fuel(limits.transfer_budget());
        let ticks = (limits.deadline.as_millis() / TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let result = f(&mut store, &pre);
        let hit = store.data().limiter.hit;
        let _ = tx.send((result, hit, stderr.contents().to_vec()));
    });
    // The shared call thread serves one call at a time; a call that finds it busy (another
    // thread's call in flight) gets a thread of its own, as does every call after a call
    // thread was abandoned.
    let mut slot = match WORKER.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    let spawned = match slot.as_deref_mut() {
        Some(worker) => submit(worker, job),
        None => spawn(&format!("plugin-{plugin}"), job).map(drop),
    };
    let fail = |cause| PluginError::new(plugin, operation, cause);
    if let Err(e) = spawned {
        return Err(fail(Cause::Trap(format!("could not start the call: {e}"))));
    }
    match rx.recv_timeout(limits.deadline + GRACE) {
        Ok((Ok(r), _, _)) => Ok(r),
        Ok((Err(e), hit, stderr)) => {
            let stderr = String::from_utf8_lossy(&stderr).into_owned();
            let mut err = fail(classify(&e, hit, &stderr, limits));
            err.stderr = stderr;
            Err(err)
        }
        // Blocked inside a host call: the thread is abandoned, the host goes on.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            if let Some(worker) = slot.as_deref_mut() {
                *worker = None;
            }
            Err(fail(Cause::Timeout(limits.deadline)))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(fail(Cause::Trap("the call thread died".to_string())))
        }
    }
}

fn classify(e: &wasmtime::Error, memory_hit: bool, stderr: &str, limits: Limits) -> Cause {
    if memory_hit || stderr.contains("memory allocation of") {
        return Cause::MemoryLimit(limits.memory);
    }
    if e.chain().any(|c| c.to_string().contains(FUEL_EXHAUSTED)) {
        return Cause::OutputTooLarge {
            size: None,
            cap: limits.output,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Cause::Timeout(limits.deadline),
        Some(Trap::StackOverflow) => Cause::StackOverflow,
        Some(Trap::UnreachableCodeReached) if stderr.contains("panicked at") => {
            Cause::Panic(panic_message(stderr))
        }
        Some(Trap::MemoryOutOfBounds) => Cause::Trap(
            "out of bounds memory access (often the guest's own stack overflowing)".to_string(),
        ),
        Some(trap) => Cause::Trap(trap.to_string()),
        None => Cause::Trap(format!("{e:#}")),
    }
}

/// The panic message from a Rust guest's stderr, without the backtrace note.
fn panic_message(stderr: &str) -> String {
    let from = stderr.find("panicked at").unwrap_or(0);
    let text: Vec<&str> = stderr[from..]
        .lines()
        .filter(|l| !l.starts_with("note: run with"))
        .collect();
    let mut msg = text.join(" ").trim().to_string();
    if msg.len() > 500 {
        let mut cut = 500;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
        msg.push('…');
    }
    msg
}

/// A plugin's metadata exactly as it returned it: untrusted until [`validate_metadata`] passes.
/// This is also the form kept in the cache, so a cached entry goes through the same checks.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RawMetadata {
    name: String,
    version: String,
    wit_version: String,
    section: String,
    description: String,
    emits: Vec<(String, String)>,
    section_schema: String,
}

/// Asks the plugin for its metadata (one call in a fresh store).
pub(crate) fn metadata(callee: &Callee) -> Result<RawMetadata, PluginError> {
    let origin = callee.origin.clone();
    let raw = run(callee, &origin, "metadata", |store, pre| match pre {
        Pre::Section(p) => p
            .instantiate(&mut *store)?
            .hms_sys_section()
            .call_metadata(store),
        Pre::SectionV2(p) => p
            .instantiate(&mut *store)?
            .hms_sys_section()
            .call_metadata(store),
        Pre::Baseline(p) => p
            .instantiate(&mut *store)?
            .hms_sys_baseline()
            .call_metadata(store),
        Pre::BaselineV2(p) => p
            .instantiate(&mut *store)?
            .hms_sys_baseline()
            .call_metadata(store),
    })?;
    Ok(RawMetadata {
        name: raw.name,
        version: raw.version,
        wit_version: raw.wit_version,
        section: raw.section,
        description: raw.description,
        emits: raw.emits.into_iter().map(|k| (k.group, k.kind)).collect(),
        section_schema: raw.section_schema,
    })
}

/// Checks what a plugin says about itself. Every check runs on fresh and on cached metadata
/// alike, except `schema_checked`: whether this host already parsed the section schema and
/// compiled it as a JSON Schema (true only for metadata this host version cached after doing
/// so); then the schema is parsed when first used ([`SectionSchema`]).
pub(crate) fn validate_metadata(
    callee: &Callee,
    raw: &RawMetadata,
    schema_checked: bool,
) -> Result<Metadata, PluginError> {
    let origin = callee.origin.as_str();
    let fail = |m: String| PluginError::new(origin, "metadata", Cause::Malformed(m));
    let size = raw.section_schema.len()
        + raw.description.len()
        + raw.name.len()
        + raw.version.len()
        + raw.wit_version.len()
        + raw.section.len()
        + raw
            .emits
            .iter()
            .map(|(g, k)| g.len() + k.len())
            .sum::<usize>();
    if size > callee.limits.output {
        return Err(PluginError::new(
            origin,
            "metadata",
            Cause::OutputTooLarge {
                size: Some(size),
                cap: callee.limits.output,
            },
        ));
    }
    if !is_dns_label(&raw.name) {
        return Err(fail(format!("name {:?} is not a DNS-1123 label", raw.name)));
    }
    let schema = if schema_checked {
        SectionSchema::recorded(raw.section_schema.clone())
    } else {
        let value: serde_json::Value = serde_json::from_str(&raw.section_schema)
            .map_err(|e| fail(format!("section-schema is not JSON: {e}")))?;
        if let Err(e) = jsonschema::validator_for(&value) {
            return Err(fail(format!(
                "section-schema is not a valid JSON Schema: {e}"
            )));
        }
        SectionSchema::parsed(raw.section_schema.clone(), value)
    };
    Ok(Metadata {
        name: raw.name.clone(),
        version: raw.version.clone(),
        wit_version: raw.wit_version.clone(),
        section: raw.section.clone(),
        description: raw.description.clone(),
        emits: raw
            .emits
            .iter()
            .map(|(group, kind)| KindRef {
                group: group.clone(),
                kind: kind.clone(),
            })
            .collect(),
        section_schema: schema,
    })
}

pub(crate) fn render(
    callee: &Callee,
    plugin: &str,
    section: &str,
    json: &str,
    ctx: &Context,
) -> Result<RenderOutput, PluginError> {
    let operation = format!("render of section {section}");
    let (json, ctx) = (json.to_string(), to_wit(ctx));
    let out = run(callee, plugin, &operation, move |store, pre| match pre {
        Pre::Section(p) => p
            .instantiate(&mut *store)?
            .hms_sys_section()
            .call_render(store, &json, &ctx),
        Pre::SectionV2(p) => p
            .instantiate(&mut *store)?
            .hms_sys_section()
            .call_render(store, &json, &ctx),
        Pre::Baseline(_) | Pre::BaselineV2(_) => {
            wasmtime::bail!("a baseline plugin cannot render a section")
        }
    })?;
    let size = out.manifests.iter().map(String::len).sum::<usize>()
        + diagnostics_size(&out.diagnostics)
        + out
            .node_selector
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    let fail = |cause| PluginError::new(plugin, &operation, cause);
    let limits = callee.limits;
    if size > limits.output {
        return Err(fail(Cause::OutputTooLarge {
            size: Some(size),
            cap: limits.output,
        }));
    }
    if out.manifests.len() > limits.objects {
        return Err(fail(Cause::TooManyObjects {
            count: out.manifests.len(),
            cap: limits.objects,
        }));
    }
    Ok(RenderOutput {
        manifests: parse_objects(&out.manifests).map_err(|m| fail(Cause::Malformed(m)))?,
        diagnostics: out.diagnostics.into_iter().map(from_wit).collect(),
        node_selector: out.node_selector,
    })
}

pub(crate) fn check(
    callee: &Callee,
    plugin: &str,
    manifests: &[String],
    params: &str,
    ctx: &Context,
) -> Result<CheckOutput, PluginError> {
    let operation = "baseline check";
    let (manifests, params, ctx) = (manifests.to_vec(), params.to_string(), to_wit(ctx));
    let out = run(callee, plugin, operation, move |store, pre| match pre {
        Pre::Baseline(p) => p
            .instantiate(&mut *store)?
            .hms_sys_baseline()
            .call_check(store, &manifests, &params, &ctx),
        Pre::BaselineV2(p) => p
            .instantiate(&mut *store)?
            .hms_sys_baseline()
            .call_check(store, &manifests, &params, &ctx),
        Pre::Section(_) | Pre::SectionV2(_) => {
            wasmtime::bail!("a section plugin cannot run a baseline check")
        }
    })?;
    let hardened_size = out
        .hardened
        .iter()
        .flatten()
        .map(String::len)
        .sum::<usize>();
    let size = diagnostics_size(&out.findings) + hardened_size;
    let fail = |cause| PluginError::new(plugin, operation, cause);
    if size > callee.limits.output {
        return Err(fail(Cause::OutputTooLarge {
            size: Some(size),
            cap: callee.limits.output,
        }));
    }
    let hardened = match out.hardened {
        Some(list) => Some(parse_objects(&list).map_err(|m| fail(Cause::Malformed(m)))?),
        None => None,
    };
    Ok(CheckOutput {
        findings: out.findings.into_iter().map(from_wit).collect(),
        hardened,
    })
}

/// The longest status line and reason the host shows (the WIT states them).
pub(crate) const STATUS_LINE_CAP: usize = 200;
pub(crate) const STATUS_REASON_CAP: usize = 1000;

pub(crate) fn status(
    callee: &Callee,
    plugin: &str,
    section: &str,
    json: &str,
    objects: &[LiveObject],
    nodes: &[String],
    ctx: &Context,
) -> Result<Option<StatusLine>, PluginError> {
    use crate::bindings::v0_2::status as wit_status;
    let operation = format!("status of section {section}");
    let fail = |cause| PluginError::new(plugin, &operation, cause);
    // What the host sends is bounded like what a plugin sends: the same output cap.
    let size = json.len()
        + objects
            .iter()
            .map(|o| o.live.as_ref().map_or(0, String::len) + o.section.len() + 64)
            .sum::<usize>()
        + nodes.iter().map(String::len).sum::<usize>();
    if size > callee.limits.output {
        return Err(fail(Cause::OutputTooLarge {
            size: Some(size),
            cap: callee.limits.output,
        }));
    }
    let json = json.to_string();
    let objects: Vec<wit_status::LiveObject> = objects
        .iter()
        .map(|o| wit_status::LiveObject {
            object: wit::ObjectRef {
                group: o.object.group.clone(),
                kind: o.object.kind.clone(),
                namespace: o.object.namespace.clone(),
                name: o.object.name.clone(),
            },
            section: o.section.clone(),
            live: o.live.clone(),
        })
        .collect();
    let (nodes, ctx) = (nodes.to_vec(), to_wit(ctx));
    let out = run(callee, plugin, &operation, move |store, pre| match pre {
        Pre::SectionV2(p) => p
            .instantiate(&mut *store)?
            .hms_sys_status()
            .call_status(store, &json, &objects, &nodes, &ctx),
        Pre::Section(_) => Ok(None),
        Pre::Baseline(_) | Pre::BaselineV2(_) => {
            wasmtime::bail!("a baseline plugin has no section status")
        }
    })?;
    let Some(out) = out else { return Ok(None) };
    let malformed = |m: String| fail(Cause::Malformed(m));
    let one_line = |what: &str, text: &str, cap: usize| {
        if text.chars().count() > cap {
            Err(malformed(format!(
                "its status {what} is longer than {cap} characters"
            )))
        } else if text.contains(['\n', '\r']) {
            Err(malformed(format!("its status {what} spans several lines")))
        } else {
            Ok(())
        }
    };
    if out.line.trim().is_empty() {
        return Err(malformed("its status line is empty".to_string()));
    }
    one_line("line", &out.line, STATUS_LINE_CAP)?;
    one_line("reason", &out.reason, STATUS_REASON_CAP)?;
    let state = match out.state {
        wit_status::State::Ready => StatusState::Ready,
        wit_status::State::InProgress => StatusState::InProgress,
        wit_status::State::Failed => StatusState::Failed,
    };
    Ok(Some(StatusLine {
        state,
        line: out.line,
        reason: out.reason,
    }))
}

fn parse_objects(list: &[String]) -> Result<Vec<serde_json::Value>, String> {
    list.iter()
        .enumerate()
        .map(
            |(i, text)| match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v) if v.is_object() => Ok(v),
                Ok(_) => Err(format!("manifest #{i} is not a JSON object")),
                Err(e) => Err(format!("manifest #{i} is not valid JSON: {e}")),
            },
        )
        .collect()
}

/// The strings of each diagnostic (its object's too), plus 64 bytes for the rest.
fn diagnostics_size(list: &[wit::Diagnostic]) -> usize {
    list.iter()
        .map(|d| {
            let object = d.object.as_ref().map_or(0, |o| {
                o.group.len() + o.kind.len() + o.namespace.len() + o.name.len()
            });
            d.code.len() + d.message.len() + d.path.len() + d.hint.len() + object + 64
        })
        .sum()
}

fn to_wit(ctx: &Context) -> wit::Context {
    wit::Context {
        spec_name: ctx.spec_name.clone(),
        namespace: ctx.namespace.clone(),
        node_selector: ctx.node_selector.clone(),
        common_labels: ctx.common_labels.clone(),
        spec: ctx.spec.clone(),
    }
}

fn from_wit(d: wit::Diagnostic) -> Diagnostic {
    Diagnostic {
        severity: match d.severity {
            wit::Severity::Error => Severity::Error,
            wit::Severity::Warning => Severity::Warning,
            wit::Severity::Info => Severity::Info,
        },
        code: d.code,
        message: d.message,
        path: d.path,
        hint: d.hint,
        object: d.object.map(|o| ObjectRef {
            group: o.group,
            kind: o.kind,
            namespace: o.namespace,
            name: o.name,
        }),
    }
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
