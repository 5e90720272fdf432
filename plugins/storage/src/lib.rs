//! The bundled `storage-csi` plugin: section `storage` -> an encrypted StorageClass per CSI
//! provider and the PersistentVolumeClaim the workload mounts.

mod defaults;
mod explain;
mod providers;
mod render;
mod rules;
mod schema;
pub mod status;

#[cfg(test)]
mod tests;

use hms_plugin_sdk::status::{Live, StatusLine};
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};

/// The plugin type exported over WIT.
pub struct StoragePlugin;

impl SectionPlugin for StoragePlugin {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "storage-csi",
            version: env!("CARGO_PKG_VERSION"),
            section: "storage",
            description: "Encrypted CSI StorageClass (EBS, EFS, Azure Files, Ceph RBD, CephFS) and its PVC",
            emits: vec![
                KindRef {
                    group: "storage.k8s.io",
                    kind: "StorageClass",
                },
                KindRef {
                    group: "",
                    kind: "PersistentVolumeClaim",
                },
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

hms_plugin_sdk::export_section_plugin!(StoragePlugin);
