//! The engine, the epoch ticker and loading plugins into [`Plugin`] values.

use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::{v0_1, v0_2};
use crate::cache::{Cache, FileId, HOST};
use crate::call::{self, State};
use crate::error::{Cause, PluginError};
use crate::types::{CheckOutput, Context, LiveObject, Metadata, RenderOutput, StatusLine};

/// How often the ticker advances the engine's epoch; deadlines are counted in these ticks.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// The host's limits for one plugin call. The host owns them; a plugin cannot change them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline of one call, enforced by epoch interruption.
    pub deadline: Duration,
    /// Cap on the plugin's linear memory, in bytes.
    pub memory: usize,
    /// Cap on the total size of the strings a call returns, in bytes. Also bounds what wasmtime
    /// copies out of the plugin before the host sees it (see [`Limits::transfer_budget`]).
    pub output: usize,
    /// Cap on the wasm stack, in bytes (applies engine-wide; see [`Runtime::new`]).
    pub stack: usize,
    /// Cap on the number of objects (manifests) one render of a section returns.
    pub objects: usize,
}

/// What wasmtime may copy out of a plugin in one transfer beyond [`Limits::output`]: its
/// hostcall fuel also counts the host-side slot of every list element (24 bytes per string,
/// 48 per node-selector pair, about 200 per diagnostic), which the output sum does not. 4 MiB
/// covers, for example, 50,000 manifests and 10,000 diagnostics at once.
const TRANSFER_ALLOWANCE: usize = 4 << 20;

impl Limits {
    /// The hostcall fuel of every store: the most bytes wasmtime copies out of the plugin in one
    /// transfer (a call's results, or the arguments of one WASI call) before refusing it, so an
    /// output far over the cap never reaches host memory: the output cap plus 4 MiB for the list
    /// slots wasmtime counts and the output sum does not.
    pub fn transfer_budget(&self) -> usize {
        self.output.saturating_add(TRANSFER_ALLOWANCE)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(2),
            memory: 64 << 20,
            output: 8 << 20,
            stack: 512 << 10,
            objects: 10_000,
        }
    }
}

/// Which world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum World {
    Section,
    Baseline,
}

/// Component bytes and where they came from (`bundled:storage-csi`, a file path, ...), with
/// their digest.
#[derive(Clone, Debug)]
pub struct PluginSource {
    pub origin: String,
    bytes: Bytes,
    digest: String,
}

/// The bytes of a component: embedded in the binary (never copied, and never read when the
/// compiled cache is warm), read at run time, or still in their file.
#[derive(Clone, Debug)]
enum Bytes {
    Static(&'static [u8]),
    /// As read: kept in its own allocation (a component from componentize-py is 18 MB, and
    /// copying it into an `Arc<[u8]>` cost a second allocation and its page faults).
    Shared(Arc<Vec<u8>>),
    /// An unchanged file whose digest the cache recorded: read only if it must be compiled.
    Unread(Arc<Unread>),
}

/// A component file not read yet, kept open (the bytes read later are the same inode's).
#[derive(Debug)]
struct Unread {
    file: Mutex<std::fs::File>,
    id: FileId,
    limit: u64,
    cache: Cache,
    bytes: OnceLock<Vec<u8>>,
}

impl PluginSource {
    /// A component read at run time; its digest is computed here, once.
    pub fn new(origin: impl Into<String>, bytes: Vec<u8>) -> Self {
        PluginSource {
            origin: origin.into(),
            digest: digest_of(&bytes),
            bytes: Bytes::Shared(Arc::new(bytes)),
        }
    }

    /// A component in `file`, a regular file of at most `limit` bytes opened by the caller
    /// (`hms_spec::open_regular_file`, or the plugin store's blob).
    ///
    /// The one rule for skipping the read: when `cache` recorded the digest of a file with this
    /// file's identity (device, inode, size, mtime and ctime to the nanosecond), that is its
    /// digest, and the file is not read unless it must be compiled. Otherwise it is read and
    /// hashed, and its digest recorded when its ctime is older than the settle time (2 s) and
    /// its identity did not change while it was read.
    ///
    /// What this trusts: that a file whose identity is unchanged has unchanged content. Any
    /// write sets the ctime to the current time, which no user can choose, so only root
    /// (setting the clock, or editing the file system) or a file system that misreports ctime
    /// can defeat it; a change within one tick of the clock of the recorded ctime cannot,
    /// since a file younger than the settle time is never recorded. Even then, what runs is
    /// never unverified: bytes read are always hashed, and must have the digest the source
    /// reports (else [`PluginSource::bytes`] fails and the record is dropped); the compiled
    /// artifact mapped for a digest was compiled from bytes with that digest. So a digest pin
    /// checked against this source still means the code that runs was compiled from a
    /// component with that digest; a wrong record can at worst make a run use the file's
    /// previous, verified content. The record lives in the cache directory, which only the
    /// user can write and which holds compiled code already trusted to run.
    pub fn from_file(
        origin: impl Into<String>,
        file: std::fs::File,
        limit: u64,
        cache: &Cache,
    ) -> std::io::Result<Self> {
        let origin = origin.into();
        let id = FileId::of(&file.metadata()?);
        if let Some(id) = id.clone()
            && let Some(digest) = cache.file_digest(&id)
        {
            return Ok(PluginSource {
                origin,
                digest,
                bytes: Bytes::Unread(Arc::new(Unread {
                    file: Mutex::new(file),
                    id,
                    limit,
                    cache: cache.clone(),
                    bytes: OnceLock::new(),
                })),
            });
        }
        let expected = file.metadata()?.len();
        let mut file = file;
        let bytes = read_at_most(&mut file, expected, limit)?;
        let source = PluginSource::new(origin, bytes);
        if let Some(id) = id
            && FileId::of(&file.metadata()?).as_ref() == Some(&id)
        {
            cache.record_file_digest(&id, source.digest());
        }
        Ok(source)
    }

    /// A component embedded in the binary, with the digest its build script computed from the
    /// same bytes (`sha256:<hex>`), so a warm start hashes nothing.
    pub fn embedded(origin: impl Into<String>, bytes: &'static [u8], digest: &str) -> Self {
        debug_assert_eq!(digest, digest_of(bytes), "build-time digest");
        PluginSource {
            origin: origin.into(),
            bytes: Bytes::Static(bytes),
            digest: digest.to_string(),
        }
    }

    /// The component bytes. A file whose digest came from the cache's record is read now, and
    /// must still have that digest: if not, this fails (and the record is dropped).
    pub fn bytes(&self) -> std::io::Result<&[u8]> {
        match &self.bytes {
            Bytes::Static(b) => Ok(b),
            Bytes::Shared(b) => Ok(b),
            Bytes::Unread(u) => u.read(&self.digest),
        }
    }

    /// Whether the component's bytes are in memory: false for a file whose digest came from
    /// the cache's record and that was not needed since (not read, not hashed).
    pub fn was_read(&self) -> bool {
        match &self.bytes {
            Bytes::Static(_) | Bytes::Shared(_) => true,
            Bytes::Unread(u) => u.bytes.get().is_some(),
        }
    }

    /// `sha256:<hex>` of the component bytes.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

impl Unread {
    /// The file's bytes, read once, checked against `digest`.
    fn read(&self, digest: &str) -> std::io::Result<&[u8]> {
        use std::io::{Seek, SeekFrom};
        if let Some(b) = self.bytes.get() {
            return Ok(b);
        }
        let mut file = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("a reader of the file panicked"))?;
        if let Some(b) = self.bytes.get() {
            return Ok(b);
        }
        file.seek(SeekFrom::Start(0))?;
        let bytes = read_at_most(&mut *file, self.id.size(), self.limit)?;
        let actual = digest_of(&bytes);
        if actual != digest {
            self.cache.forget_file_digest(&self.id);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the file changed without changing its size, times or inode: it has digest \
                     {actual}, not the {digest} recorded for it; run again"
                ),
            ));
        }
        Ok(self.bytes.get_or_init(|| bytes))
    }
}

/// Reads `reader` to its end into a buffer of `expected` bytes (the file's size), refusing more
/// than `limit` bytes (having read at most `limit + 1`).
fn read_at_most(reader: impl Read, expected: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than the limit of {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// `sha256:<hex>` of `bytes`: the one definition of a plugin digest.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The engine and cache shared by every plugin of one hms-sys run.
pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    cache: Cache,
    stack: usize,
}

impl Runtime {
    /// A runtime whose wasm stacks are capped at `limits.stack` bytes.
    pub fn new(cache: Cache, stack: usize) -> Result<Self, PluginError> {
        let fail = |e: wasmtime::Error| {
            PluginError::new("hms-sys", "start", Cause::Invalid(format!("{e:#}")))
        };
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(stack);
        let engine = Engine::new(&config).map_err(fail)?;
        let mut linker = Linker::new(&engine);
        // A Rust guest imports WASI for its panic and OOM messages even when it does no I/O.
        // The context behind it is empty: no files, env, args, network or inherited stdio.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(fail)?;
        // The ticker lives as long as the engine: plugins keep the engine alive after the
        // runtime is dropped, and their deadlines must still fire.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("hms-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| PluginError::new("hms-sys", "start", Cause::Invalid(e.to_string())))?;
        Ok(Runtime {
            engine,
            linker,
            cache,
            stack,
        })
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Compiles (or maps from the cache) `source`, checks its world and WIT version, and reads
    /// its metadata under `limits`.
    pub fn load(&self, source: &PluginSource, limits: Limits) -> Result<Plugin, PluginError> {
        let cached = self.cache.lookup(&self.engine, key_of(source));
        self.finish_load(source, limits, cached)
    }

    /// Loads a plugin that this host compiled before, by its digest alone (`sha256:<hex>`), from
    /// the cache: `None` when the cache holds no artifact for it. `hms-sys status` uses this
    /// for a plugin a spec named at apply time, whose file it cannot see.
    pub fn load_cached(
        &self,
        origin: &str,
        digest: &str,
        limits: Limits,
    ) -> Option<Result<Plugin, PluginError>> {
        let key = digest.trim_start_matches("sha256:");
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let cached = self.cache.lookup(&self.engine, key)?;
        Some(self.finish(origin, digest, limits, Ok(cached)))
    }

    /// Loads every source, in order. Cached artifacts are mapped on this thread (a warm start
    /// starts no threads for loading); the rest are compiled in parallel, one thread each.
    pub fn load_all(
        &self,
        sources: &[PluginSource],
        limits: Limits,
    ) -> Vec<Result<Plugin, PluginError>> {
        let cached: Vec<Option<Component>> = sources
            .iter()
            .map(|s| self.cache.lookup(&self.engine, key_of(s)))
            .collect();
        // A panic while loading one plugin is that plugin's failure, not the host's.
        let load = |source: &PluginSource, c| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.finish_load(source, limits, c)
            }))
            .unwrap_or_else(|_| {
                Err(PluginError::new(
                    &source.origin,
                    "load",
                    Cause::Trap("loading the plugin crashed".to_string()),
                ))
            })
        };
        let misses = cached.iter().filter(|c| c.is_none()).count();
        if misses <= 1 {
            return sources
                .iter()
                .zip(cached)
                .map(|(s, c)| load(s, c))
                .collect();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = sources
                .iter()
                .zip(cached)
                .map(|(s, c)| scope.spawn(move || load(s, c)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Finishes loading `source`: compiles it unless `cached` holds its artifact, checks its
    /// world and reads its metadata (from the cache when this host recorded it there).
    fn finish_load(
        &self,
        source: &PluginSource,
        limits: Limits,
        cached: Option<Component>,
    ) -> Result<Plugin, PluginError> {
        let component = match cached {
            Some(c) => Ok(c),
            None => Err(source.bytes().map_err(|e| {
                PluginError::new(
                    &source.origin,
                    "load",
                    Cause::Invalid(format!("cannot read it: {e}")),
                )
            })?),
        };
        self.finish(&source.origin, source.digest(), limits, component)
    }

    /// Finishes loading a component: compiles `component` when it holds the bytes (else it is
    /// the cached artifact), checks its world and reads its metadata.
    fn finish(
        &self,
        origin: &str,
        digest: &str,
        limits: Limits,
        component: Result<Component, &[u8]>,
    ) -> Result<Plugin, PluginError> {
        let load_err = |cause| PluginError::new(origin, "load", cause);
        let key = digest.trim_start_matches("sha256:");
        let (component, compiled) = match component {
            Ok(c) => (c, false),
            Err(bytes) => (
                self.cache
                    .compile(&self.engine, key, bytes)
                    .map_err(|e| load_err(Cause::Invalid(format!("{e:#}"))))?,
                true,
            ),
        };
        let (world, wit_version) = world_of(&self.engine, &component).map_err(load_err)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| load_err(Cause::Incompatible(format!("{e:#}"))))?;
        let incompatible = |e: wasmtime::Error| load_err(Cause::Incompatible(format!("{e:#}")));
        let pre = match (world, same_minor(&wit_version, "0.1.0")) {
            (World::Section, true) => {
                Pre::Section(v0_1::section::SectionPluginPre::new(pre).map_err(incompatible)?)
            }
            (World::Section, false) => {
                Pre::SectionV2(v0_2::section::SectionPluginPre::new(pre).map_err(incompatible)?)
            }
            (World::Baseline, true) => {
                Pre::Baseline(v0_1::baseline::BaselinePluginPre::new(pre).map_err(incompatible)?)
            }
            (World::Baseline, false) => {
                Pre::BaselineV2(v0_2::baseline::BaselinePluginPre::new(pre).map_err(incompatible)?)
            }
        };
        let callee = Callee {
            engine: self.engine.clone(),
            pre,
            limits: Limits {
                stack: self.stack,
                ..limits
            },
            origin: origin.to_string(),
        };
        let metadata = self.metadata(&callee, key, compiled)?;
        if !same_minor(&metadata.wit_version, &wit_version) {
            return Err(PluginError::new(
                &metadata.name,
                "load",
                Cause::Incompatible(format!(
                    "metadata says WIT {} but the component exports hms:sys@{}",
                    metadata.wit_version, wit_version
                )),
            ));
        }
        Ok(Plugin {
            callee,
            digest: digest.to_string(),
            compiled,
            wit_version,
            metadata,
        })
    }

    /// The plugin's metadata: recorded in the cache by this host version (re-checked, except
    /// for the schema compilation it already passed), or asked of the plugin and then recorded.
    /// An entry that fails the checks is ignored, and replaced.
    fn metadata(
        &self,
        callee: &Callee,
        key: &str,
        compiled: bool,
    ) -> Result<Metadata, PluginError> {
        if !compiled
            && let Some(bytes) = self
                .cache
                .metadata(&self.engine, key, callee.limits.output + 4096)
            && let Ok(entry) = serde_json::from_slice::<CachedMetadata>(&bytes)
            && entry.host == HOST
            && let Ok(metadata) = call::validate_metadata(callee, &entry.metadata, true)
        {
            return Ok(metadata);
        }
        // No entry, another host's, or one that fails the checks: ask the plugin.
        let raw = call::metadata(callee)?;
        let metadata = call::validate_metadata(callee, &raw, false)?;
        let entry = CachedMetadata {
            host: HOST.to_string(),
            metadata: raw,
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            self.cache.store_metadata(&self.engine, key, &bytes);
        }
        Ok(metadata)
    }
}

/// A metadata cache entry: the plugin's own answer, and the host that checked it.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedMetadata {
    host: String,
    metadata: call::RawMetadata,
}

/// The cache key of a source: its digest without the `sha256:` prefix.
fn key_of(source: &PluginSource) -> &str {
    source.digest().trim_start_matches("sha256:")
}

/// `0.1.3` and `0.1.0` agree; `0.2.0` and `0.1.0` do not (0.x versions break at the minor).
fn same_minor(a: &str, b: &str) -> bool {
    let minor = |v: &str| v.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    minor(a) == minor(b)
}

/// Finds the `hms:sys/section@X` or `hms:sys/baseline@X` export and checks that this host
/// accepts version X.
fn world_of(engine: &Engine, component: &Component) -> Result<(World, String), Cause> {
    let ty = component.component_type();
    let mut found = Vec::new();
    for (name, _) in ty.exports(engine) {
        let (world, rest) = if let Some(v) = name.strip_prefix("hms:sys/section@") {
            (World::Section, v)
        } else if let Some(v) = name.strip_prefix("hms:sys/baseline@") {
            (World::Baseline, v)
        } else {
            continue;
        };
        found.push(name.to_string());
        if crate::WIT_VERSIONS
            .iter()
            .any(|accepted| rest.starts_with(&format!("{accepted}.")))
        {
            return Ok((world, rest.to_string()));
        }
    }
    Err(Cause::Incompatible(if found.is_empty() {
        "it exports neither hms:sys/section nor hms:sys/baseline".to_string()
    } else {
        format!(
            "it exports {} but this host accepts hms:sys {}.x",
            found.join(", "),
            crate::WIT_VERSIONS.join(".x, ")
        )
    }))
}

/// A pre-linked component, by world and `hms:sys` version.
#[derive(Clone)]
pub(crate) enum Pre {
    Section(v0_1::section::SectionPluginPre<State>),
    /// From 0.2.0: also exports `status`.
    SectionV2(v0_2::section::SectionPluginPre<State>),
    Baseline(v0_1::baseline::BaselinePluginPre<State>),
    BaselineV2(v0_2::baseline::BaselinePluginPre<State>),
}

/// What a call needs: the engine, the pre-linked component, the limits and a name for errors.
pub(crate) struct Callee {
    pub(crate) engine: Engine,
    pub(crate) pre: Pre,
    pub(crate) limits: Limits,
    pub(crate) origin: String,
}

/// A loaded plugin. Cheap to call: each call instantiates it afresh in a new store.
pub struct Plugin {
    callee: Callee,
    digest: String,
    compiled: bool,
    wit_version: String,
    metadata: Metadata,
}

impl Plugin {
    /// Its metadata, read at load time.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The plugin's name, from its metadata.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn origin(&self) -> &str {
        &self.callee.origin
    }

    /// `sha256:<hex>` of the component.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Whether loading compiled the component (false: mapped from the cache).
    pub fn compiled(&self) -> bool {
        self.compiled
    }

    pub fn world(&self) -> World {
        match self.callee.pre {
            Pre::Section(_) | Pre::SectionV2(_) => World::Section,
            Pre::Baseline(_) | Pre::BaselineV2(_) => World::Baseline,
        }
    }

    fn component(&self) -> &Component {
        match &self.callee.pre {
            Pre::Section(p) => p.instance_pre().component(),
            Pre::SectionV2(p) => p.instance_pre().component(),
            Pre::Baseline(p) => p.instance_pre().component(),
            Pre::BaselineV2(p) => p.instance_pre().component(),
        }
    }

    /// What the component imports (`wasi:cli/environment@0.2.6`, ...), sorted: the host
    /// provides each (the sandbox decides what they can reach; see ARCHITECTURE.md).
    pub fn imports(&self) -> Vec<String> {
        let ty = self.component().component_type();
        let mut names: Vec<String> = ty
            .imports(&self.callee.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        names.sort();
        names
    }

    /// What the component exports (`hms:sys/section@0.2.0`, `hms:sys/status@0.2.0`), sorted.
    pub fn exports(&self) -> Vec<String> {
        let ty = self.component().component_type();
        let mut names: Vec<String> = ty
            .exports(&self.callee.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        names.sort();
        names
    }

    /// The `hms:sys` version the component exports.
    pub fn wit_version(&self) -> &str {
        &self.wit_version
    }

    pub fn limits(&self) -> Limits {
        self.callee.limits
    }

    /// Replaces the call limits (the engine-wide stack cap stays).
    pub fn set_limits(&mut self, limits: Limits) {
        let stack = self.callee.limits.stack;
        self.callee.limits = Limits { stack, ..limits };
    }

    /// Whether the plugin judges its own section's status (a section plugin built against
    /// `hms:sys` 0.2 or later).
    pub fn has_status(&self) -> bool {
        matches!(self.callee.pre, Pre::SectionV2(_))
    }

    /// The plugin's status line for `section` (its JSON as written) from the spec's live
    /// objects and, for a node pool, its nodes. `None` when the plugin has no `status`
    /// (built against 0.1) or leaves its section to the host's generic readiness rules.
    pub fn status(
        &self,
        section: &str,
        json: &str,
        objects: &[LiveObject],
        nodes: &[String],
        ctx: &Context,
    ) -> Result<Option<StatusLine>, PluginError> {
        call::status(
            &self.callee,
            self.name(),
            section,
            json,
            objects,
            nodes,
            ctx,
        )
    }

    /// Renders one section. `section` names it in errors.
    pub fn render(
        &self,
        section: &str,
        json: &str,
        ctx: &Context,
    ) -> Result<RenderOutput, PluginError> {
        call::render(&self.callee, self.name(), section, json, ctx)
    }

    /// Runs a baseline over all manifests.
    pub fn check(
        &self,
        manifests: &[String],
        params: &str,
        ctx: &Context,
    ) -> Result<CheckOutput, PluginError> {
        call::check(&self.callee, self.name(), manifests, params, ctx)
    }
}
