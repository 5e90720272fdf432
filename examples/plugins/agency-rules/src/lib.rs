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
//! only implements the SDK's `BaselinePlugin` over them, exported as the WIT world
//! `baseline-plugin` by `hms_plugin_sdk::export_baseline_plugin!`.

pub mod check;

#[cfg(test)]
mod tests;

pub use check::{Finding, ObjectRef, Params, Severity, check, params_schema, parse_params};

/// The plugin's name, also the only accepted value of `params.name`.
pub const NAME: &str = "agency-rules";

/// One line for `hms-sys plugins list`.
pub const DESCRIPTION: &str =
    "Agency rules: required labels on every object, container images only from approved registries";

/// The exported baseline: [`check()`] and its metadata.
pub struct AgencyRules;

impl hms_plugin_sdk::BaselinePlugin for AgencyRules {
    fn meta() -> hms_plugin_sdk::PluginMeta {
        hms_plugin_sdk::PluginMeta {
            name: NAME,
            version: env!("CARGO_PKG_VERSION"),
            section: "baseline",
            description: DESCRIPTION,
            emits: Vec::new(),
            section_schema: params_schema(),
        }
    }

    fn check(
        manifests: &[String],
        params: &str,
        _ctx: &hms_plugin_sdk::Ctx,
    ) -> hms_plugin_sdk::CheckOutput {
        check(manifests, params).into()
    }
}

hms_plugin_sdk::export_baseline_plugin!(AgencyRules);
