//! The bundled `nodepool` plugin: section `nodePool` -> a Cluster API MachineDeployment and
//! MachineHealthCheck, a Karpenter NodePool and EC2NodeClass, or nothing for static nodes;
//! in every case the labels that select the pool's nodes.

mod capi;
mod defaults;
mod explain;
mod karpenter;
mod render;
mod schema;
pub mod status;

#[cfg(test)]
mod tests;

use hms_plugin_sdk::status::{Live, StatusLine};
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};

/// The plugin type exported over WIT.
pub struct NodePoolPlugin;

impl SectionPlugin for NodePoolPlugin {
    fn meta() -> PluginMeta {
        let kind = |group, kind| KindRef { group, kind };
        PluginMeta {
            name: "nodepool",
            version: env!("CARGO_PKG_VERSION"),
            section: "nodePool",
            description: "Node pools on Cluster API, Karpenter (AWS) or static nodes, with FIPS runtime checks",
            emits: vec![
                kind("cluster.x-k8s.io", "MachineDeployment"),
                kind("cluster.x-k8s.io", "MachineHealthCheck"),
                kind("karpenter.sh", "NodePool"),
                kind("karpenter.k8s.aws", "EC2NodeClass"),
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
        // What it renders now says which labels its nodes carry.
        let out = render::render(section, ctx);
        let json: serde_json::Value = serde_json::from_str(section).ok()?;
        Some(status::line(
            status::desired(&json),
            !out.node_selector.is_empty(),
            live,
        ))
    }
}

hms_plugin_sdk::export_section_plugin!(NodePoolPlugin);
