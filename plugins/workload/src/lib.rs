//! The bundled `workload` plugin: section `workload` -> a restricted Namespace, a dedicated
//! ServiceAccount and a hardened Deployment that mounts the storage volume.

mod defaults;
mod explain;
mod pod;
mod render;
mod schema;
pub mod status;

#[cfg(test)]
mod tests;

use hms_plugin_sdk::status::{Live, StatusLine};
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};

/// The plugin type exported over WIT.
pub struct WorkloadPlugin;

impl SectionPlugin for WorkloadPlugin {
    fn meta() -> PluginMeta {
        let kind = |group, kind| KindRef { group, kind };
        PluginMeta {
            name: "workload",
            version: env!("CARGO_PKG_VERSION"),
            section: "workload",
            description: "Restricted Namespace, ServiceAccount and hardened Deployment for one image",
            emits: vec![
                kind("", "Namespace"),
                kind("", "ServiceAccount"),
                kind("apps", "Deployment"),
            ],
            section_schema: hms_plugin_sdk::explain::annotate(
                schema::section_schema(),
                explain::EXPLANATIONS,
            ),
        }
    }

    fn render(section: &str, ctx: &Ctx) -> Output {
        render::render(section, ctx)
    }

    fn status(section: &str, live: &Live, ctx: &Ctx) -> Option<StatusLine> {
        Some(status::line(&render::render(section, ctx).manifests, live))
    }
}

hms_plugin_sdk::export_section_plugin!(WorkloadPlugin);
