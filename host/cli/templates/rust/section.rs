//! `{{name}}`: an hms-sys plugin for the `{{section}}` section.
//!
//! The section's fields are the Rust type [`Section`]: the host validates the spec's
//! `{{section}}` against the schema derived from it before `render` runs.

use hms_plugin_sdk::schemars::JsonSchema;
use hms_plugin_sdk::serde::Deserialize;
use hms_plugin_sdk::{Ctx, KindRef, Output, PluginMeta, SectionPlugin, section};
use serde_json::json;

/// The `{{section}}` section as the spec writes it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(crate = "hms_plugin_sdk::serde", deny_unknown_fields)]
#[schemars(crate = "hms_plugin_sdk::schemars", title = "{{section}}")]
pub struct Section {
    /// The name of the object this plugin renders.
    #[schemars(extend("format" = "dns1123-label"))]
    pub name: String,
}

/// The plugin, exported below as the WIT world `section-plugin`.
pub struct Plugin;

impl SectionPlugin for Plugin {
    fn meta() -> PluginMeta {
        PluginMeta {
            name: "{{name}}",
            version: env!("CARGO_PKG_VERSION"),
            section: "{{section}}",
            description: "{{description}}",
            emits: vec![KindRef {
                group: "{{group}}",
                kind: "{{kind}}",
            }],
            section_schema: section::schema::<Section>(),
        }
    }

    fn render(text: &str, ctx: &Ctx) -> Output {
        let section = match section::parse::<Section>(text, "{{code}}") {
            Ok(section) => section,
            Err(errors) => return Output::failed(errors),
        };
        let object = ctx
            .object("{{api_version}}", "{{kind}}", &section.name, "{{name}}")
            .body(json!({{body}}));
        Output {
            manifests: vec![object],
            ..Output::default()
        }
    }
}

hms_plugin_sdk::export_section_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use hms_plugin_sdk::testing;
    use serde_json::json;

    use super::Plugin;

    #[test]
    fn renders_one_object_in_the_spec_namespace() {
        let ctx = testing::ctx().namespace("team-a").build();
        let out = testing::render::<Plugin>(json!({"name": "demo"}), &ctx);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let object = out.object("{{kind}}", "demo").expect("rendered");
        assert_eq!(object["metadata"]["namespace"], "team-a");
    }

    #[test]
    fn an_unknown_field_is_an_error_at_its_pointer() {
        let ctx = testing::ctx().build();
        let out = testing::render::<Plugin>(json!({"name": "demo", "nmae": "x"}), &ctx);
        assert!(out.has_errors());
        assert!(out.manifests.is_empty());
    }
}
