//! An example baseline plugin an agency can copy: `agency-rules`, composed with the bundled
//! `cis-level-2`. It judges every rendered object by two rules of the agency's own:
//!
//! - `AGENCY-REQUIRED-LABEL`: every object carries each label in `requiredLabels` (default
//!   `["hms.io/owner"]`) in `metadata.labels`, with a value;
//! - `AGENCY-REGISTRY`: every container image of every pod-bearing object (Pod, Deployment,
//!   StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) comes from one of
//!   `approvedRegistries` (image prefixes such as `ghcr.io/hms/`).
//!
//! ```yaml
//! baseline:
//!   - cis-level-2
//!   - name: agency-rules
//!     plugin: ./plugins/agency-rules.wasm
//!     requiredLabels: [hms.io/spec, app.kubernetes.io/managed-by]
//!     approvedRegistries: [ghcr.io/hms/]
//! ```
//!
//! Everything in the entry except `plugin` reaches [`check()`] as `params`, after the host has
//! validated it against [`params_schema`]. Findings are errors (they refuse the spec) and name
//! the object and a JSON pointer into it. The checks are plain Rust ([`check()`]); this file
//! only adapts them to the WIT world `baseline-plugin`.

pub mod check;

#[cfg(test)]
mod tests;

pub use check::{Finding, ObjectRef, Params, Severity, check, params_schema, parse_params};

/// The plugin's name, also the only accepted value of `params.name`.
pub const NAME: &str = "agency-rules";

/// One line for `hms-sys plugins list`.
pub const DESCRIPTION: &str =
    "Agency rules: required labels on every object, container images only from approved registries";

/// The WIT version this plugin was built against.
pub const WIT_VERSION: &str = "0.1.0";

/// The component's export: the WIT glue around [`check()`]. It exists only in the wasm build,
/// so native builds and unit tests never compile the wit-bindgen macro chain.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wit-bindgen's generated canonical-ABI glue
mod wit_glue {
    use super::{DESCRIPTION, Finding, NAME, Severity, WIT_VERSION, check, params_schema};

    // This crate sits three levels below the workspace root.
    wit_bindgen::generate!({ world: "baseline-plugin", path: "../../../wit" });

    use self::exports::hms::sys::baseline::Guest;
    use self::hms::sys::types as wit;

    struct Plugin;

    impl From<Severity> for wit::Severity {
        fn from(s: Severity) -> Self {
            match s {
                Severity::Error => wit::Severity::Error,
                Severity::Warning => wit::Severity::Warning,
                Severity::Info => wit::Severity::Info,
            }
        }
    }

    impl From<Finding> for wit::Diagnostic {
        fn from(f: Finding) -> Self {
            wit::Diagnostic {
                severity: f.severity.into(),
                code: f.code,
                message: f.message,
                path: f.path,
                hint: f.hint,
                object: f.object.map(|o| wit::ObjectRef {
                    group: o.group,
                    kind: o.kind,
                    namespace: o.namespace,
                    name: o.name,
                }),
            }
        }
    }

    impl Guest for Plugin {
        fn metadata() -> wit::PluginMetadata {
            wit::PluginMetadata {
                name: NAME.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                wit_version: WIT_VERSION.to_string(),
                section: "baseline".to_string(),
                description: DESCRIPTION.to_string(),
                emits: Vec::new(),
                section_schema: params_schema().to_string(),
            }
        }

        fn check(manifests: Vec<String>, params: String, _ctx: wit::Context) -> wit::CheckOutput {
            wit::CheckOutput {
                findings: check(&manifests, &params)
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                hardened: None,
            }
        }
    }

    export!(Plugin);
}
