//! The plugin set of one run: which plugin serves each section and which baselines exist.
//!
//! Plugins come from three places: bundled in the binary, named in the spec (`plugins:` for a
//! section, `plugin:` in a baseline entry; a bundled name or a `.wasm` path relative to the
//! spec, optionally pinned by digest), and `--plugin PATH` for one-off runs (a section plugin
//! replaces the section's plugin for that run; a baseline plugin is composed with the spec's
//! baselines). Bundled names are reserved: no other plugin may present itself under one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hms_plugin::{Cache, Limits, Plugin, PluginSource, Runtime, World};
use hms_spec::{Document, PluginLocation, PluginRef, Section};
use serde::Serialize;

use crate::problem::Problem;

/// Limits for named plugins; the default for the rest.
#[derive(Clone, Debug, Default)]
pub struct LimitTable {
    pub default: Limits,
    pub per_plugin: BTreeMap<String, Limits>,
}

impl LimitTable {
    pub fn for_plugin(&self, name: &str) -> Limits {
        self.per_plugin.get(name).copied().unwrap_or(self.default)
    }
}

/// Where a plugin came from, as text and JSON output say it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Origin {
    /// Compiled into hms-sys.
    Bundled,
    /// Named in the spec (`plugins:` or a baseline's `plugin:`).
    Spec { path: String },
    /// Given with `--plugin`.
    Flag { path: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Bundled => f.write_str("bundled"),
            Origin::Spec { path } => write!(f, "{path} (named in the spec)"),
            Origin::Flag { path } => write!(f, "{path} (--plugin)"),
        }
    }
}

/// One loaded plugin and where it came from.
pub struct Loaded {
    pub plugin: Plugin,
    pub origin: Origin,
}

/// What a run asks for: the spec's choices (when there is a spec) and `--plugin` files.
pub struct Request<'a> {
    pub doc: Option<&'a Document>,
    /// The spec's directory: relative plugin paths in the spec start here.
    pub base: &'a Path,
    pub flags: &'a [PathBuf],
    /// Where `oci://` plugins are read from (`None`: no store could be located).
    pub store: Option<&'a hms_oci::store::Store>,
    /// The site's trust policy, when there is one: judged before anything is compiled.
    pub policy: Option<&'a hms_oci::policy::Policy>,
}

/// The plugins of one run.
pub struct Plugins {
    all: Vec<Loaded>,
    sections: BTreeMap<Section, usize>,
    baselines: BTreeMap<String, usize>,
    /// Baselines given with `--plugin` that the spec does not name: composed onto its list.
    extra_baselines: Vec<String>,
    cache: Cache,
}

/// A source to load and what it is for.
struct Wanted {
    source: PluginSource,
    origin: Origin,
    /// Where the spec names it (for errors), and for what.
    role: Role,
}

#[derive(Clone, Debug)]
enum Role {
    Bundled,
    Section { section: Section, pointer: String },
    Baseline { name: String, pointer: String },
    Flag,
}

impl Plugins {
    /// Loads the bundled plugins, the spec's and the `--plugin` files, and decides which serves
    /// each section. Every problem is returned, each with where it was written.
    pub fn load(
        runtime: &Runtime,
        req: &Request<'_>,
        limits: &LimitTable,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut wanted: Vec<Wanted> = crate::bundled::sources()
            .into_iter()
            .map(|source| Wanted {
                source,
                origin: Origin::Bundled,
                role: Role::Bundled,
            })
            .collect();
        // The spec's files, pinned ones checked before anything is compiled.
        let mut bundled_pins: Vec<(String, String, Role)> = Vec::new();
        if let Some(doc) = req.doc {
            let spec = &doc.spec;
            let named = spec
                .plugins
                .iter()
                .map(|(s, c)| {
                    let role = Role::Section {
                        section: *s,
                        pointer: c.pointer.clone(),
                    };
                    (&c.reference, role)
                })
                .chain(spec.baselines.iter().filter_map(|b| {
                    let role = Role::Baseline {
                        name: b.name.clone(),
                        pointer: b.pointer.clone(),
                    };
                    b.plugin.as_ref().map(|r| (r, role))
                }));
            for (reference, role) in named {
                match &reference.location {
                    PluginLocation::Bundled(name) => {
                        if let Some(d) = &reference.digest {
                            bundled_pins.push((name.clone(), d.clone(), role));
                        }
                    }
                    PluginLocation::File(path) => {
                        let at = |p: Problem| p.at_pointer(doc, role.pointer());
                        // `a/./b` reads `a/b`: the path is shown in output.
                        let full: PathBuf = req.base.join(path).components().collect();
                        let source = match source_from_file(&full, runtime.cache()) {
                            Ok(s) => s,
                            Err(p) => {
                                problems.push(at(p));
                                continue;
                            }
                        };
                        if let Err(p) = check_pin(reference, source.digest(), &full) {
                            problems.push(at(p));
                            continue;
                        }
                        if let Err(p) = judge(req, path, None) {
                            problems.push(at(p));
                            continue;
                        }
                        wanted.push(Wanted {
                            source,
                            origin: Origin::Spec {
                                path: full.display().to_string(),
                            },
                            role,
                        });
                    }
                    PluginLocation::Registry(r) => {
                        let at = |p: Problem| p.at_pointer(doc, role.pointer());
                        // The pin is required by the grammar.
                        let digest = reference.digest.as_deref().unwrap_or_default();
                        let source = match source_from_store(req.store, r, digest, runtime.cache())
                        {
                            Ok(s) => s,
                            Err(p) => {
                                problems.push(at(p));
                                continue;
                            }
                        };
                        if let Err(p) =
                            judge(req, &format!("oci://{}", r.repository_ref()), Some(digest))
                        {
                            problems.push(at(p));
                            continue;
                        }
                        wanted.push(Wanted {
                            source,
                            origin: Origin::Spec {
                                path: reference.to_string(),
                            },
                            role,
                        });
                    }
                }
            }
        }
        for path in req.flags {
            match source_from_file(path, runtime.cache()) {
                Ok(source) => wanted.push(Wanted {
                    source,
                    origin: Origin::Flag {
                        path: path.display().to_string(),
                    },
                    role: Role::Flag,
                }),
                Err(p) => problems.push(p),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }

        let sources: Vec<PluginSource> = wanted.iter().map(|w| w.source.clone()).collect();
        let loaded = runtime.load_all(&sources, limits.default);
        let mut set = Plugins {
            all: Vec::new(),
            sections: BTreeMap::new(),
            baselines: BTreeMap::new(),
            extra_baselines: Vec::new(),
            cache: runtime.cache().clone(),
        };
        let mut roles = Vec::new();
        for (w, loaded) in wanted.into_iter().zip(loaded) {
            let mut plugin = match loaded {
                Ok(p) => p,
                Err(e) => {
                    let p = Problem::from_plugin_error(&e).object(w.source.origin.clone());
                    problems.push(match (&w.role, req.doc) {
                        (
                            Role::Section { pointer, .. } | Role::Baseline { pointer, .. },
                            Some(doc),
                        ) => p.at_pointer(doc, pointer),
                        _ => p,
                    });
                    continue;
                }
            };
            if let Err(p) = served_section(&plugin) {
                problems.push(p.object(w.source.origin.clone()));
                continue;
            }
            plugin.set_limits(limits.for_plugin(&plugin.metadata().name));
            set.all.push(Loaded {
                plugin,
                origin: w.origin,
            });
            roles.push(w.role);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        set.assign(&roles, req.doc, &bundled_pins, &mut problems);
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    }

    /// Decides which plugin serves each section and which baselines exist, refusing
    /// impostors, mismatches and doubles.
    fn assign(
        &mut self,
        roles: &[Role],
        doc: Option<&Document>,
        bundled_pins: &[(String, String, Role)],
        problems: &mut Vec<Problem>,
    ) {
        let at = |p: Problem, pointer: &str| match doc {
            Some(doc) => p.at_pointer(doc, pointer),
            None => p,
        };
        let bundled: BTreeMap<String, usize> = roles
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Role::Bundled))
            .map(|(i, _)| (self.all[i].plugin.name().to_string(), i))
            .collect();
        for (i, role) in roles.iter().enumerate() {
            let p = &self.all[i].plugin;
            let section = section_of(p);
            match role {
                Role::Bundled => {
                    if section == Section::Baseline {
                        self.baselines.insert(p.name().to_string(), i);
                    } else {
                        self.sections.insert(section, i);
                    }
                    continue;
                }
                _ if bundled.contains_key(p.name()) => {
                    problems.push(
                        Problem::error(
                            "HMS-PLUGIN-NAME",
                            format!(
                                "{} calls itself `{}`, the name of a bundled plugin",
                                self.all[i].origin,
                                p.name()
                            ),
                        )
                        .plugin(p.name())
                        .hint("bundled plugin names are reserved; give the plugin a name of its own in its metadata"),
                    );
                    continue;
                }
                _ => {}
            }
        }
        // A name is what grants and limits are given to: two different plugins may not share
        // one (the same file loaded twice is one plugin).
        let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, l) in self.all.iter().enumerate() {
            match by_name.get(l.plugin.name()) {
                Some(&j) if self.all[j].plugin.digest() != l.plugin.digest() => {
                    problems.push(
                        Problem::error(
                            "HMS-PLUGIN-NAME",
                            format!(
                                "{} and {} both call themselves `{}`",
                                self.all[j].origin,
                                l.origin,
                                l.plugin.name()
                            ),
                        )
                        .plugin(l.plugin.name())
                        .hint("a plugin's name is what grants and limits refer to: every plugin of a run needs its own"),
                    );
                }
                Some(_) => {}
                None => {
                    by_name.insert(l.plugin.name(), i);
                }
            }
        }
        if !problems.is_empty() {
            return;
        }
        // Bundled plugins named in the spec, and their pins.
        if let Some(doc) = doc {
            for (s, c) in &doc.spec.plugins {
                if let PluginLocation::Bundled(name) = &c.reference.location {
                    match bundled.get(name) {
                        Some(&i) if section_of(&self.all[i].plugin) == *s => {
                            self.sections.insert(*s, i);
                        }
                        Some(&i) => problems.push(at(
                            Problem::error(
                                "HMS-PLUGIN-SECTION",
                                format!(
                                    "the bundled plugin `{name}` serves section {}, not {s}",
                                    section_of(&self.all[i].plugin)
                                ),
                            )
                            .hint(format!(
                                "name a plugin that serves {s} (`hms-sys plugins list`)"
                            )),
                            &c.pointer,
                        )),
                        None => {
                            let names: Vec<&str> = bundled.keys().map(String::as_str).collect();
                            problems.push(at(
                                Problem::error(
                                    "HMS-PLUGIN-NAME",
                                    format!("there is no bundled plugin `{name}`"),
                                )
                                .hint(hms_spec::choice_hint(
                                    name,
                                    &names,
                                    "bundled plugins",
                                )),
                                &c.pointer,
                            ));
                        }
                    }
                }
            }
        }
        // A baseline entry naming a bundled plugin: it must be that baseline.
        if let Some(doc) = doc {
            for b in &doc.spec.baselines {
                let Some(PluginRef {
                    location: PluginLocation::Bundled(name),
                    ..
                }) = &b.plugin
                else {
                    continue;
                };
                let serves = bundled.get(name).map(|&i| section_of(&self.all[i].plugin));
                if name != &b.name || serves != Some(Section::Baseline) {
                    problems.push(at(
                        Problem::error(
                            "HMS-PLUGIN-NAME",
                            format!(
                                "the baseline entry `{}` names the bundled plugin `{name}`, which is not that baseline",
                                b.name
                            ),
                        )
                        .hint(format!(
                            "bundled baselines: {}; one of your own is named with `plugin: ./file.wasm`",
                            self.baseline_names().join(", ")
                        )),
                        &format!("{}/plugin", b.pointer),
                    ));
                }
            }
        }
        for (name, pin, role) in bundled_pins {
            if let Some(&i) = bundled.get(name)
                && self.all[i].plugin.digest() != pin
            {
                problems.push(at(
                    pin_problem(name, pin, self.all[i].plugin.digest()),
                    role.pointer(),
                ));
            }
        }
        let mut flagged: BTreeMap<Section, usize> = BTreeMap::new();
        for (i, role) in roles.iter().enumerate() {
            let p = &self.all[i].plugin;
            let section = section_of(p);
            match role {
                Role::Bundled => {}
                Role::Section {
                    section: wanted,
                    pointer,
                } => {
                    if section == *wanted {
                        self.sections.insert(section, i);
                    } else {
                        problems.push(at(
                            Problem::error(
                                "HMS-PLUGIN-SECTION",
                                format!(
                                    "{} serves section {section}, but the spec names it for {wanted}",
                                    self.all[i].origin
                                ),
                            )
                            .plugin(p.name())
                            .hint(format!("name a plugin that serves {wanted} under `plugins.{wanted}`")),
                            pointer,
                        ));
                    }
                }
                Role::Baseline { name, pointer } => {
                    if section != Section::Baseline {
                        problems.push(at(
                            Problem::error(
                                "HMS-PLUGIN-SECTION",
                                format!(
                                    "{} serves section {section}, but the spec names it as baseline `{name}`",
                                    self.all[i].origin
                                ),
                            )
                            .plugin(p.name())
                            .hint("a baseline entry's `plugin` must be a baseline plugin"),
                            pointer,
                        ));
                    } else if p.name() != name {
                        problems.push(at(
                            Problem::error(
                                "HMS-PLUGIN-NAME",
                                format!(
                                    "{} calls itself `{}`, but the baseline entry names `{name}`",
                                    self.all[i].origin,
                                    p.name()
                                ),
                            )
                            .plugin(p.name())
                            .hint(format!(
                                "write `name: {}` in the entry, or name the right file",
                                p.name()
                            )),
                            pointer,
                        ));
                    } else {
                        self.baselines.insert(name.clone(), i);
                    }
                }
                Role::Flag => {
                    if section == Section::Baseline {
                        if let Some(&j) = self.baselines.get(p.name())
                            && !matches!(roles[j], Role::Bundled)
                        {
                            problems.push(twice(
                                &format!("baseline `{}`", p.name()),
                                &self.all[j],
                                &self.all[i],
                            ));
                            continue;
                        }
                        let named = doc
                            .is_some_and(|d| d.spec.baselines.iter().any(|b| b.name == p.name()));
                        if !named {
                            self.extra_baselines.push(p.name().to_string());
                        }
                        self.baselines.insert(p.name().to_string(), i);
                    } else {
                        if let Some(&j) = flagged.get(&section) {
                            problems.push(twice(
                                &format!("section {section}"),
                                &self.all[j],
                                &self.all[i],
                            ));
                            continue;
                        }
                        if let Some(&j) = self.sections.get(&section)
                            && !matches!(roles[j], Role::Bundled)
                        {
                            tracing::info!(
                                section = section.key(),
                                "--plugin {} replaces {} for this run",
                                self.all[i].origin,
                                self.all[j].origin
                            );
                        }
                        flagged.insert(section, i);
                        self.sections.insert(section, i);
                    }
                }
            }
        }
    }

    /// The plugin serving `section` (not the baseline: see [`Plugins::baseline`]).
    pub fn get(&self, section: Section) -> Option<&Plugin> {
        self.sections.get(&section).map(|&i| &self.all[i].plugin)
    }

    /// The plugin serving `section`, with where it came from.
    pub fn loaded(&self, section: Section) -> Option<&Loaded> {
        self.sections.get(&section).map(|&i| &self.all[i])
    }

    /// Where the plugin serving `section` came from.
    pub fn origin(&self, section: Section) -> Option<&Origin> {
        self.sections.get(&section).map(|&i| &self.all[i].origin)
    }

    /// The baseline plugin called `name`, and where it came from.
    pub fn baseline(&self, name: &str) -> Option<&Loaded> {
        self.baselines.get(name).map(|&i| &self.all[i])
    }

    /// The names of every baseline this run can use.
    pub fn baseline_names(&self) -> Vec<&str> {
        self.baselines.keys().map(String::as_str).collect()
    }

    /// Baselines given with `--plugin` that the spec does not name; they run after its own.
    pub fn extra_baselines(&self) -> &[String] {
        &self.extra_baselines
    }

    /// The compiled-plugin cache, which also remembers sections that passed their schema.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Every loaded plugin, with where it came from.
    pub fn iter(&self) -> impl Iterator<Item = &Loaded> {
        self.all.iter()
    }
}

impl Role {
    fn pointer(&self) -> &str {
        match self {
            Role::Section { pointer, .. } | Role::Baseline { pointer, .. } => pointer,
            Role::Bundled | Role::Flag => "",
        }
    }
}

/// The section a loaded plugin serves (checked by [`served_section`] when it was loaded).
fn section_of(p: &Plugin) -> Section {
    Section::from_key(&p.metadata().section).unwrap_or(Section::Baseline)
}

/// The section the plugin's metadata names, which must exist and match its world.
fn served_section(plugin: &Plugin) -> Result<Section, Problem> {
    let meta = plugin.metadata();
    let Some(section) = Section::from_key(&meta.section) else {
        return Err(Problem::error(
            "HMS-PLUGIN-SECTION",
            format!(
                "declares section {:?}, which hms-sys does not have",
                meta.section
            ),
        )
        .plugin(&meta.name)
        .hint("a plugin serves one of nodePool, storage, network, workload, baseline"));
    };
    for k in &meta.emits {
        let written = k.to_string();
        if let Err(why) = hms_spec::parse_kind_ref(&written) {
            return Err(Problem::error(
                "HMS-PLUGIN-METADATA",
                format!("declares it emits {written:?}, which is not a kind: {why}"),
            )
            .plugin(&meta.name)
            .hint("this is a bug in the plugin; report it to its author"));
        }
    }
    if (section == Section::Baseline) != (plugin.world() == World::Baseline) {
        return Err(Problem::error(
            "HMS-PLUGIN-SECTION",
            format!(
                "serves section {} but exports the wrong world",
                meta.section
            ),
        )
        .plugin(&meta.name)
        .hint("baseline plugins export hms:sys/baseline; section plugins export hms:sys/section"));
    }
    Ok(section)
}

fn twice(what: &str, first: &Loaded, second: &Loaded) -> Problem {
    Problem::error(
        "HMS-PLUGIN-TWICE",
        format!(
            "two plugins are given for {what}: {} and {}",
            first.origin, second.origin
        ),
    )
    .hint("give one plugin per section (and one per baseline name)")
}

fn pin_problem(what: &str, pin: &str, actual: &str) -> Problem {
    Problem::error(
        "HMS-PLUGIN-PIN",
        format!("{what} has digest {actual}, but the spec pins {pin}"),
    )
    .hint("the plugin is not the one the spec was written for: fetch the pinned plugin, or update the pin after reviewing the new one")
}

/// Refuses a file whose digest is not the pinned one (before it is compiled).
fn check_pin(reference: &PluginRef, digest: &str, path: &Path) -> Result<(), Problem> {
    match &reference.digest {
        Some(pin) if pin != digest => Err(pin_problem(&path.display().to_string(), pin, digest)),
        _ => Ok(()),
    }
}

/// The largest plugin component hms-sys reads (the bundled ones are well under 1 MiB).
pub const MAX_PLUGIN_BYTES: u64 = 64 << 20;

/// A plugin file, from `--plugin PATH` or the spec: a regular file of at most
/// [`MAX_PLUGIN_BYTES`], read whole and hashed, unless `cache` recorded the digest of the file
/// as it is now (`PluginSource::from_file`, the one rule for that).
pub fn source_from_file(path: &Path, cache: &Cache) -> Result<PluginSource, Problem> {
    let problem = |e: &dyn fmt::Display| {
        Problem::error("HMS-PLUGIN-FILE", format!("cannot read plugin: {e}")).hint(
            "give the path of a .wasm component built for wasm32-wasip2 (relative paths in a spec start at the spec's directory)",
        )
    };
    let (file, _) = hms_spec::open_regular_file(path, MAX_PLUGIN_BYTES).map_err(|e| problem(&e))?;
    PluginSource::from_file(path.display().to_string(), file, MAX_PLUGIN_BYTES, cache).map_err(
        |e| {
            problem(&hms_spec::ReadFileError::Io {
                path: path.to_path_buf(),
                error: e,
            })
        },
    )
}

/// Judges a plugin that is not bundled by the trust policy, before it is compiled; without a
/// policy, an unsigned local file loads with a note.
fn judge(req: &Request<'_>, reference: &str, digest: Option<&str>) -> Result<(), Problem> {
    let Some(policy) = req.policy else {
        if digest.is_none() {
            tracing::info!(
                plugin = reference,
                "unsigned local plugin, loaded without a trust policy (--trust-policy) to judge it"
            );
        }
        return Ok(());
    };
    match policy.judge(req.store, reference, digest) {
        Ok(verdict) => {
            tracing::debug!(plugin = reference, ?verdict, "trusted by {}", policy.path);
            Ok(())
        }
        Err(e) => Err(crate::cmd_plugin_oci::problem(&e)),
    }
}

/// A registry plugin from the store: its manifest (checked against the pin) and its component
/// layer (checked against the manifest by the digest of the blob's bytes, or the digest the
/// cache recorded for the blob file as it is now: `PluginSource::from_file`), before compiling.
fn source_from_store(
    store: Option<&hms_oci::store::Store>,
    r: &hms_spec::RegistryRef,
    digest: &str,
    cache: &Cache,
) -> Result<PluginSource, Problem> {
    let reference = format!("oci://{}@{digest}", r.repository_ref());
    let store = store.ok_or_else(|| {
        Problem::error(
            "HMS-STORE",
            format!("{reference}: there is no plugin store"),
        )
        .hint("set HMS_SYS_STORE_DIR (or HOME), or give --store DIR")
    })?;
    let fail = |e: hms_oci::Error| crate::cmd_plugin_oci::problem(&e).object(reference.clone());
    let (manifest, _) = store.manifest(digest).map_err(|e| {
        if e.kind == hms_oci::ErrorKind::Missing {
            Problem::error(
                "HMS-STORE",
                format!("{reference} is not in the plugin store {}", store.root().display()),
            )
            .hint(format!(
                "fetch it with `hms-sys plugin pull {reference}`, or on an air-gapped machine `hms-sys plugin load FILE.tar` (from `hms-sys plugin save` elsewhere)"
            ))
        } else {
            fail(e)
        }
    })?;
    let layer = manifest.wasm_layer(&reference).map_err(fail)?;
    let (file, path) = store.open_blob(&layer.digest).map_err(fail)?;
    let source = PluginSource::from_file(reference.clone(), file, MAX_PLUGIN_BYTES, cache)
        .map_err(|e| {
            fail(hms_oci::Error::new(
                hms_oci::ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            ))
        })?;
    if source.digest() != layer.digest {
        return Err(Problem::error(
            "HMS-STORE",
            format!(
                "{reference}: the store's component {} has been altered (its content has digest {})",
                layer.digest,
                source.digest()
            ),
        )
        .hint(format!(
            "delete {} and pull or load the plugin again",
            store.blob_path(&layer.digest).map(|p| p.display().to_string()).unwrap_or_default()
        )));
    }
    Ok(source)
}
