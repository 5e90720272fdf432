//! The macros that bind a [`crate::SectionPlugin`] or a [`crate::BaselinePlugin`] to their WIT
//! world. Each generates the bindings of its own world only, from the WIT this SDK carries
//! (`wit/since_v0.2.0`, the newest contract, through `__generate!`, written by build.rs with the absolute path), so
//! a component records exactly one export and the plugin crate depends on the SDK alone.
//! Only compiled for `wasm32`, so native builds and tests never see the bindings.

//! The generated code names the runtime as `hms_plugin_sdk::__wit_bindgen::rt`, so a plugin
//! depends on the SDK under its own name (`hms-plugin-sdk`, not renamed), and needs no
//! wit-bindgen dependency of its own:
//!
//! ```toml
//! [dependencies]
//! hms-plugin-sdk = { git = "<hms-sys repository>" } # or { path = ".../plugins/sdk" }
//! ```

// `__generate!(section | baseline)`: `wit_bindgen::generate!` on the SDK's WIT directory.
include!(concat!(env!("OUT_DIR"), "/generate.rs"));

/// Exports `$plugin` (a [`crate::SectionPlugin`]) as the WIT world `section-plugin`
/// (`hms:sys/section@0.2.0` and `hms:sys/status@0.2.0`), converting the SDK's plain types into
/// the generated WIT types.
///
/// ```ignore
/// hms_plugin_sdk::export_section_plugin!(MyPlugin);
/// ```
#[macro_export]
macro_rules! export_section_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        type HmsExportedPlugin = $plugin;

        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code, missing_docs, clippy::all)]
        mod wit_glue {
            $crate::__generate!(section);

            use self::exports::hms::sys::section::Guest;
            use self::exports::hms::sys::status as wit_status;
            use self::hms::sys::types as wit;
            use $crate::SectionPlugin as _;

            $crate::__conversions!();

            struct Glue;

            impl Guest for Glue {
                fn metadata() -> wit::PluginMetadata {
                    metadata(<super::HmsExportedPlugin>::meta())
                }

                fn render(section: String, ctx: wit::Context) -> wit::RenderOutput {
                    let out = <super::HmsExportedPlugin>::render(&section, &context(ctx));
                    wit::RenderOutput {
                        manifests: out.manifest_texts(),
                        diagnostics: out.diagnostics.into_iter().map(diagnostic).collect(),
                        node_selector: out.node_selector,
                    }
                }
            }

            impl wit_status::Guest for Glue {
                fn status(
                    section: String,
                    objects: Vec<wit_status::LiveObject>,
                    nodes: Vec<String>,
                    ctx: wit::Context,
                ) -> Option<wit_status::StatusLine> {
                    let parse = |t: &str| $crate::__serde_json::from_str(t).ok();
                    let live = $crate::status::Live {
                        objects: objects
                            .into_iter()
                            .map(|o| $crate::status::LiveObject {
                                group: o.object.group,
                                kind: o.object.kind,
                                namespace: o.object.namespace,
                                name: o.object.name,
                                section: o.section,
                                live: o.live.as_deref().and_then(parse),
                            })
                            .collect(),
                        nodes: nodes.iter().filter_map(|n| parse(n)).collect(),
                    };
                    let line = <super::HmsExportedPlugin>::status(&section, &live, &context(ctx))?;
                    Some(wit_status::StatusLine {
                        state: match line.state {
                            $crate::status::State::Ready => wit_status::State::Ready,
                            $crate::status::State::InProgress => wit_status::State::InProgress,
                            $crate::status::State::Failed => wit_status::State::Failed,
                        },
                        line: line.line,
                        reason: line.reason,
                    })
                }
            }

            export!(Glue);
        }
    };
}

/// Exports `$plugin` (a [`crate::BaselinePlugin`]) as the WIT world `baseline-plugin`
/// (`hms:sys/baseline@0.2.0`).
///
/// ```ignore
/// hms_plugin_sdk::export_baseline_plugin!(MyBaseline);
/// ```
#[macro_export]
macro_rules! export_baseline_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        type HmsExportedPlugin = $plugin;

        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code, missing_docs, clippy::all)]
        mod wit_glue {
            $crate::__generate!(baseline);

            use self::exports::hms::sys::baseline::Guest;
            use self::hms::sys::types as wit;
            use $crate::BaselinePlugin as _;

            $crate::__conversions!();

            struct Glue;

            impl Guest for Glue {
                fn metadata() -> wit::PluginMetadata {
                    metadata(<super::HmsExportedPlugin>::meta())
                }

                fn check(
                    manifests: Vec<String>,
                    params: String,
                    ctx: wit::Context,
                ) -> wit::CheckOutput {
                    let out = <super::HmsExportedPlugin>::check(&manifests, &params, &context(ctx));
                    wit::CheckOutput {
                        findings: out.findings.into_iter().map(diagnostic).collect(),
                        hardened: out
                            .hardened
                            .map(|objects| objects.iter().map(ToString::to_string).collect()),
                    }
                }
            }

            export!(Glue);
        }
    };
}

/// The conversions between the SDK's types and the generated WIT types of either world, in the
/// module that generated them (`wit` is `hms::sys::types`).
#[doc(hidden)]
#[macro_export]
macro_rules! __conversions {
    () => {
        fn diagnostic(d: $crate::Diagnostic) -> wit::Diagnostic {
            wit::Diagnostic {
                severity: match d.severity {
                    $crate::Severity::Error => wit::Severity::Error,
                    $crate::Severity::Warning => wit::Severity::Warning,
                    $crate::Severity::Info => wit::Severity::Info,
                },
                code: d.code,
                message: d.message,
                path: d.path,
                hint: d.hint,
                object: d.object.map(|o| wit::ObjectRef {
                    group: o.group,
                    kind: o.kind,
                    namespace: o.namespace,
                    name: o.name,
                }),
            }
        }

        fn metadata(m: $crate::PluginMeta) -> wit::PluginMetadata {
            wit::PluginMetadata {
                name: m.name.into(),
                version: m.version.into(),
                wit_version: $crate::WIT_VERSION.into(),
                section: m.section.into(),
                description: m.description.into(),
                emits: m
                    .emits
                    .iter()
                    .map(|k| wit::KindRef {
                        group: k.group.into(),
                        kind: k.kind.into(),
                    })
                    .collect(),
                section_schema: m.section_schema.to_string(),
            }
        }

        fn context(ctx: wit::Context) -> $crate::Ctx {
            $crate::Ctx::new(
                ctx.spec_name,
                ctx.namespace,
                ctx.node_selector,
                ctx.common_labels,
                &ctx.spec,
            )
        }
    };
}
