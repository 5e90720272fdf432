//! The macro that binds a [`crate::SectionPlugin`] to the WIT world `section-plugin`.

/// Generates the WIT bindings for world `section-plugin` (from `../../wit`, relative to the
/// plugin crate, or from the directory given as `wit = "..."`) and exports `$plugin` through
/// them, converting the SDK's plain types into the generated WIT types. Only compiled for
/// `wasm32`, so native builds and tests never see it.
///
/// ```ignore
/// hms_plugin_sdk::export_section_plugin!(MyPlugin);                       // plugins/<name>
/// hms_plugin_sdk::export_section_plugin!(MyPlugin, wit = "../../../wit"); // deeper crates
/// ```
///
/// The calling crate must depend on `wit-bindgen`.
#[macro_export]
macro_rules! export_section_plugin {
    ($plugin:ty) => {
        $crate::export_section_plugin!($plugin, wit = "../../wit");
    };
    ($plugin:ty, wit = $wit:tt) => {
        #[cfg(target_arch = "wasm32")]
        type HmsExportedPlugin = $plugin;

        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code, missing_docs, clippy::all)]
        mod wit_glue {
            wit_bindgen::generate!({ world: "section-plugin", path: $wit });

            use self::exports::hms::sys::section::Guest;
            use self::hms::sys::types::{
                Context, Diagnostic, KindRef, PluginMetadata, RenderOutput, Severity,
            };
            use $crate::SectionPlugin as _;

            struct Glue;

            fn diagnostic(d: $crate::Diagnostic) -> Diagnostic {
                Diagnostic {
                    severity: match d.severity {
                        $crate::Severity::Error => Severity::Error,
                        $crate::Severity::Warning => Severity::Warning,
                        $crate::Severity::Info => Severity::Info,
                    },
                    code: d.code,
                    message: d.message,
                    path: d.path,
                    hint: d.hint,
                    object: None,
                }
            }

            impl Guest for Glue {
                fn metadata() -> PluginMetadata {
                    let m = <super::HmsExportedPlugin>::meta();
                    PluginMetadata {
                        name: m.name.into(),
                        version: m.version.into(),
                        wit_version: $crate::WIT_VERSION.into(),
                        section: m.section.into(),
                        description: m.description.into(),
                        emits: m
                            .emits
                            .iter()
                            .map(|k| KindRef {
                                group: k.group.into(),
                                kind: k.kind.into(),
                            })
                            .collect(),
                        section_schema: m.section_schema.to_string(),
                    }
                }

                fn render(section: String, ctx: Context) -> RenderOutput {
                    let ctx = $crate::Ctx::new(
                        ctx.spec_name,
                        ctx.namespace,
                        ctx.node_selector,
                        ctx.common_labels,
                        &ctx.spec,
                    );
                    let out = <super::HmsExportedPlugin>::render(&section, &ctx);
                    RenderOutput {
                        manifests: out.manifest_texts(),
                        diagnostics: out.diagnostics.into_iter().map(diagnostic).collect(),
                        node_selector: out.node_selector,
                    }
                }
            }

            export!(Glue);
        }
    };
}
