//! The status lines of an applied spec (`status`, `apply --wait`): each section judged by the
//! plugin that rendered it (`hms:sys` 0.2 `status`), or by the generic kstatus rules of
//! hms-apply when the plugin has no `status` (built against 0.1), leaves the judgement to the
//! host, fails, or cannot be found on this machine.

use hms_apply::{Line, Observed, State, StatusInfo};
use hms_plugin::{Cache, Context, Limits, LiveObject, ObjectRef, Plugin, Runtime, StatusState};

/// The plugins of an applied spec's sections, loaded once for every round of `--watch`.
pub struct Judges {
    /// Per section of the status record: its plugin, or why there is none.
    plugins: Vec<Result<Plugin, String>>,
}

impl Judges {
    /// Finds each section's plugin: a bundled one by name (this binary's version of it), any
    /// other by digest in the plugin cache, which holds it if this machine applied the spec.
    pub fn load(info: &StatusInfo, cache: Cache) -> Judges {
        let runtime = match Runtime::new(cache, Limits::default().stack) {
            Ok(r) => r,
            Err(e) => {
                let why = format!("the plugin runtime did not start: {e}");
                return Judges {
                    plugins: info.sections.iter().map(|_| Err(why.clone())).collect(),
                };
            }
        };
        let wanted_bundled = info.sections.iter().any(|s| s.bundled);
        let mut bundled: Vec<Plugin> = if wanted_bundled {
            runtime
                .load_all(&crate::bundled::sources(), Limits::default())
                .into_iter()
                .filter_map(Result::ok)
                .collect()
        } else {
            Vec::new()
        };
        let plugins = info
            .sections
            .iter()
            .map(|s| {
                if s.bundled {
                    let i = bundled
                        .iter()
                        .position(|p| p.name() == s.plugin)
                        .ok_or_else(|| format!("this hms-sys bundles no plugin {}", s.plugin))?;
                    return Ok(bundled.swap_remove(i));
                }
                match runtime.load_cached(&s.plugin, &s.digest, Limits::default()) {
                    Some(Ok(p)) => Ok(p),
                    Some(Err(e)) => Err(format!("plugin {} did not load: {e}", s.plugin)),
                    None => Err(format!("plugin {} is not on this machine", s.plugin)),
                }
            })
            .collect();
        // Dropping the runtime is fine: each plugin keeps the engine, and the epoch ticker
        // runs as long as the engine does.
        Judges { plugins }
    }

    /// One line per section of `observed`.
    /// Whether every section's plugin was found and loaded.
    pub fn complete(&self) -> bool {
        self.plugins.iter().all(Result::is_ok)
    }

    pub fn lines(&self, observed: &Observed) -> Vec<Line> {
        let info = &observed.info;
        let all: Vec<LiveObject> = info
            .sections
            .iter()
            .zip(&observed.objects)
            .flat_map(|(s, objects)| {
                objects.iter().map(|(r, live)| LiveObject {
                    object: ObjectRef {
                        group: r.group.clone(),
                        kind: r.kind.clone(),
                        namespace: r.namespace.clone(),
                        name: r.name.clone(),
                    },
                    section: s.section.clone(),
                    live: live.as_ref().map(ToString::to_string),
                })
            })
            .collect();
        let nodes: Vec<String> = observed.nodes.iter().map(ToString::to_string).collect();
        let ctx = Context {
            spec_name: info.spec_name.clone(),
            namespace: info.namespace.clone(),
            node_selector: info
                .node_selector
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            common_labels: info
                .common_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            spec: info.spec.to_string(),
        };
        info.sections
            .iter()
            .zip(&observed.objects)
            .zip(&self.plugins)
            .map(|((s, objects), plugin)| {
                let generic = |why: &str| hms_apply::status::generic_line(&s.section, objects, why);
                let plugin = match plugin {
                    Ok(p) => p,
                    Err(why) => return generic(&format!("generic readiness: {why}")),
                };
                if !plugin.has_status() {
                    let why = format!(
                        "generic readiness: plugin {} is built against hms:sys {}",
                        plugin.name(),
                        plugin.wit_version()
                    );
                    return generic(&why);
                }
                let section_json = info
                    .spec
                    .get(&s.section)
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "null".to_string());
                let own_nodes: &[String] = if s.section == "nodePool" { &nodes } else { &[] };
                match plugin.status(&s.section, &section_json, &all, own_nodes, &ctx) {
                    Ok(Some(l)) => Line::new(
                        &s.section,
                        match l.state {
                            StatusState::Ready => State::Ready,
                            StatusState::InProgress => State::InProgress,
                            StatusState::Failed => State::Failed,
                        },
                        // The plugin's text, bounded by hms-plugin; escaped where it is
                        // printed as text (JSON output stays exact).
                        l.line,
                        (!l.reason.is_empty()).then_some(l.reason),
                    ),
                    Ok(None) => generic("generic readiness"),
                    Err(e) => {
                        tracing::warn!(plugin = plugin.name(), "status failed: {e}");
                        generic(&format!(
                            "generic readiness: plugin {} failed to judge it",
                            plugin.name()
                        ))
                    }
                }
            })
            .collect()
    }
}
