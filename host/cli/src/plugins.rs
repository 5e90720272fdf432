//! The plugin set of one run: bundled plugins, or a user's plugin for a section.

use std::collections::BTreeMap;
use std::path::Path;

use hms_plugin::{Cache, Limits, Plugin, PluginSource, Runtime, World};
use hms_spec::Section;

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

/// The plugin serving each section.
pub struct Plugins {
    by_section: BTreeMap<&'static str, Plugin>,
    cache: Cache,
}

impl Plugins {
    /// Loads `sources` (later ones replace earlier ones for the same section).
    pub fn load(
        runtime: &Runtime,
        sources: &[PluginSource],
        limits: &LimitTable,
    ) -> Result<Self, Vec<Problem>> {
        let mut by_section = BTreeMap::new();
        let mut problems = Vec::new();
        let loaded = runtime.load_all(sources, limits.default);
        for (source, loaded) in sources.iter().zip(loaded) {
            let plugin = match loaded {
                Ok(p) => p,
                Err(e) => {
                    problems.push(Problem::from_plugin_error(&e).object(source.origin.clone()));
                    continue;
                }
            };
            let meta = plugin.metadata();
            let Some(section) = Section::ALL.into_iter().find(|s| s.key() == meta.section) else {
                problems.push(
                    Problem::error(
                        "HMS-PLUGIN-SECTION",
                        format!(
                            "declares section {:?}, which hms-sys does not have",
                            meta.section
                        ),
                    )
                    .plugin(&meta.name)
                    .hint("a plugin serves one of nodePool, storage, network, workload, baseline"),
                );
                continue;
            };
            let wants_baseline = section == Section::Baseline;
            if wants_baseline != (plugin.world() == World::Baseline) {
                problems.push(Problem::error("HMS-PLUGIN-SECTION", format!("serves section {} but exports the wrong world", meta.section))
                    .plugin(&meta.name)
                    .hint("baseline plugins export hms:sys/baseline; section plugins export hms:sys/section"));
                continue;
            }
            let mut plugin = plugin;
            plugin.set_limits(limits.for_plugin(&plugin.metadata().name));
            by_section.insert(section.key(), plugin);
        }
        if problems.is_empty() {
            Ok(Plugins {
                by_section,
                cache: runtime.cache().clone(),
            })
        } else {
            Err(problems)
        }
    }

    pub fn get(&self, section: Section) -> Option<&Plugin> {
        self.by_section.get(section.key())
    }

    /// The compiled-plugin cache, which also remembers sections that passed their schema.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn iter(&self) -> impl Iterator<Item = &Plugin> {
        self.by_section.values()
    }
}

/// A plugin file given as `--plugin PATH`.
pub fn source_from_file(path: &Path) -> Result<PluginSource, Problem> {
    std::fs::read(path)
        .map(|bytes| PluginSource::new(path.display().to_string(), bytes))
        .map_err(|e| {
            Problem::error(
                "HMS-PLUGIN-FILE",
                format!("cannot read plugin {}: {e}", path.display()),
            )
            .hint("pass the path of a .wasm component built for wasm32-wasip2")
        })
}
