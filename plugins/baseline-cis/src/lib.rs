//! The bundled `cis-level-2` baseline plugin: Pod Security Standards (v1.35 semantics) and CIS
//! Kubernetes Benchmark section 5 checks over rendered manifests.
//!
//! The checks are plain Rust over `serde_json::Value` ([`check::check`]); this file only adapts
//! them to the WIT world `baseline-plugin`. It emits no objects and never hardens manifests.
//!
//! Finding codes. Errors from the Pod Security Standards ([`pss`]): `CIS-5.2.2` privileged,
//! `CIS-5.2.3`/`5.2.4`/`5.2.5` hostPID/hostIPC/hostNetwork, `CIS-5.2.6` allowPrivilegeEscalation,
//! `CIS-5.2.7` runAsNonRoot/runAsUser, `CIS-5.2.8` NET_RAW, `CIS-5.2.9` added capabilities,
//! `CIS-5.2.10` not dropping ALL, `CIS-5.2.11` Windows HostProcess, `CIS-5.2.12` hostPath,
//! `CIS-5.2.13` hostPort, `CIS-5.7.2` seccomp, `PSS-appArmorProfile`, `PSS-seLinuxOptions`,
//! `PSS-procMount`, `PSS-sysctls`, `PSS-restrictedVolumes`, `PSS-hostProbesAndHostLifecycle`.
//! Other controls ([`cis`], off with `podSecurityOnly`): `CIS-5.1.5` default ServiceAccount,
//! `CIS-5.1.6` token automount, `CIS-5.2.1` namespace enforce label, `CIS-5.3.2` NetworkPolicy
//! per namespace, `CIS-5.7.4` default namespace, and the warnings `CIS-5.4.1` (Secrets in env),
//! `HMS-IMAGE-DIGEST`, `HMS-RESOURCES`, `HMS-PROBES`, `HMS-RUN-AS-USER`. `BASELINE-INPUT` marks
//! params or manifests that cannot be judged.

pub mod check;
pub mod cis;
pub mod model;
pub mod pods;
pub mod pss;

pub use check::check;
pub use model::{Finding, ObjectRef, Params, Profile, Severity, parse_params, section_schema};

/// One line for `hms-sys plugins list`.
pub const DESCRIPTION: &str = "Pod Security Standards (restricted or baseline, Kubernetes 1.35) and CIS Kubernetes Benchmark section 5 checks";

/// The WIT version this plugin was built against.
pub const WIT_VERSION: &str = "0.1.0";

#[allow(unsafe_code)] // wit-bindgen's generated canonical-ABI glue
mod bindings {
    wit_bindgen::generate!({ world: "baseline-plugin", path: "../../wit" });
}

use bindings::exports::hms::sys::baseline::Guest;
use bindings::hms::sys::types as wit;

/// The component's export.
pub struct Plugin;

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
            name: model::NAME.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            wit_version: WIT_VERSION.to_string(),
            section: "baseline".to_string(),
            description: DESCRIPTION.to_string(),
            emits: Vec::new(),
            section_schema: section_schema().to_string(),
        }
    }

    fn check(manifests: Vec<String>, params: String, ctx: wit::Context) -> wit::CheckOutput {
        wit::CheckOutput {
            findings: check(&manifests, &params, &ctx.namespace)
                .into_iter()
                .map(Into::into)
                .collect(),
            hardened: None,
        }
    }
}

// Only the export itself is wasm-only: its symbol names (`hms:sys/baseline@0.1.0#check`) are
// not valid in a native cdylib's version script. The bindings and `Guest` impl compile (and are
// tested) natively.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // the exported canonical-ABI functions are `unsafe extern "C"`
mod export {
    use super::Plugin;
    crate::bindings::export!(Plugin with_types_in crate::bindings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_through_the_wit_glue() {
        let meta = <Plugin as Guest>::metadata();
        assert_eq!(meta.name, "cis-level-2");
        assert_eq!(meta.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(meta.wit_version, "0.1.0");
        assert_eq!(meta.section, "baseline");
        assert!(meta.emits.is_empty());
        let schema: serde_json::Value =
            serde_json::from_str(&meta.section_schema).unwrap_or_default();
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
        assert_eq!(
            schema["properties"]["profile"]["enum"],
            serde_json::json!(["restricted", "baseline"])
        );
    }

    #[test]
    fn check_through_the_wit_glue() {
        let ctx = wit::Context {
            spec_name: "s".into(),
            namespace: "".into(),
            node_selector: Vec::new(),
            common_labels: Vec::new(),
            spec: "{}".into(),
        };
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},
            "spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i"}]}}"#;
        let out = <Plugin as Guest>::check(
            vec![pod.to_string()],
            r#"{"name":"cis-level-2","profile":"baseline","podSecurityOnly":true}"#.to_string(),
            ctx,
        );
        assert!(out.hardened.is_none());
        assert_eq!(out.findings.len(), 1);
        let d = &out.findings[0];
        assert_eq!(d.code, "CIS-5.2.5");
        assert_eq!(d.path, "/spec/hostNetwork");
        assert!(matches!(d.severity, wit::Severity::Error));
        assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("p"));
    }
}
