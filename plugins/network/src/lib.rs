//! The bundled `network-policy` plugin: section `network` -> NetworkPolicies that fence the
//! namespace (ingress from one CIDR, egress denied, optionally DNS allowed).

mod explain;
mod render;
mod section;
pub mod status;

#[cfg(test)]
mod tests;

use hms_plugin_sdk::status::{Live, StatusLine};
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin};

/// The plugin type exported over WIT.
pub struct NetworkPlugin;

impl SectionPlugin for NetworkPlugin {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "network-policy",
            version: env!("CARGO_PKG_VERSION"),
            section: "network",
            description: "NetworkPolicies: namespace-wide ingress from one CIDR, egress deny-all, optional DNS",
            emits: vec![KindRef {
                group: "networking.k8s.io",
                kind: "NetworkPolicy",
            }],
            section_schema: hms_plugin_sdk::explain::annotate(
                hms_plugin_sdk::section::schema::<section::Network>(),
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

hms_plugin_sdk::export_section_plugin!(NetworkPlugin);
