//! An example storage plugin an agency can copy: `netapp-trident` serves the `storage` section
//! with fields of its own (the bundled `storage-csi` knows none of them) and renders an
//! encrypted NetApp Trident StorageClass (ONTAP NAS drivers) and the PersistentVolumeClaim the
//! bundled `workload` plugin mounts.
//!
//! ```yaml
//! plugins:
//!   storage: ./plugins/netapp-trident.wasm
//! storage:
//!   volume:
//!     name: contract-pdfs   # also the claim's name
//!     size: 1Ti
//!     tier: gold            # gold | silver | bronze (default silver)
//!     svm: svm_dcaa         # required: the SVM whose Trident backend provisions it
//!     backend: ontap-nas    # default
//!     encryption: true      # default; false is refused
//! ```
//!
//! The section is one Rust type, [`schema::Storage`]: the host validates the section against
//! the schema derived from it and hands it over exactly as written, and serde applies the
//! defaults that schema publishes. It emits only kinds the host's storage allow-list permits
//! (StorageClass, PersistentVolumeClaim), so the spec needs no grant; the optional `quota`
//! adds a ResourceQuota, which is outside that list and needs
//! `grants: {netapp-trident: [ResourceQuota]}` in the spec.

pub mod render;
pub mod schema;

#[cfg(test)]
mod tests;

use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};

/// The plugin's name: how `plugins list`, `validate` and `grants:` name it.
pub const NAME: &str = "netapp-trident";

/// The plugin type exported over WIT.
pub struct TridentPlugin;

impl SectionPlugin for TridentPlugin {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: NAME,
            version: env!("CARGO_PKG_VERSION"),
            section: "storage",
            description: "Encrypted NetApp Trident StorageClass (ONTAP NAS, NVE) by tier and SVM, and its PVC",
            emits: vec![
                KindRef {
                    group: "storage.k8s.io",
                    kind: "StorageClass",
                },
                KindRef {
                    group: "",
                    kind: "PersistentVolumeClaim",
                },
                // Only with `quota:`; outside the storage allow-list, so only with a grant.
                KindRef {
                    group: "",
                    kind: "ResourceQuota",
                },
            ],
            section_schema: hms_plugin_sdk::section::schema::<schema::Storage>(),
        }
    }

    fn render(section: &str, ctx: &Ctx) -> Output {
        render::render(section, ctx)
    }
}

hms_plugin_sdk::export_section_plugin!(TridentPlugin);
