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
//!
//! Every code but `BASELINE-INPUT` has one row in [`controls::CONTROLS`]: the Pod Security
//! Standards control and the NIST SP 800-53 rev5 controls it supports. The component carries the
//! NIST ids at the end of each message ([`controls::with_trailer`]), as the WIT record has no
//! field for them.

pub mod check;
pub mod cis;
pub mod controls;
pub mod explain;
pub mod model;
pub mod pods;
pub mod pss;
pub mod runtime;

pub use check::check;
pub use model::{Finding, ObjectRef, Params, Profile, Severity, parse_params, section_schema};

/// One line for `hms-sys plugins list`.
pub const DESCRIPTION: &str = "Pod Security Standards (restricted or baseline, Kubernetes 1.35) and CIS Kubernetes Benchmark section 5 checks";

/// The WIT version this plugin was built against.
pub const WIT_VERSION: &str = "0.1.0";

/// The component's export: the WIT glue around [`check`]. It exists only in the wasm build, so
/// native builds and unit tests never compile the wit-bindgen macro chain; the integration tests
/// drive it through the host.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wit-bindgen's generated canonical-ABI glue
mod wit_glue {
    use super::{
        DESCRIPTION, Finding, Severity, WIT_VERSION, check, controls, model, section_schema,
    };

    wit_bindgen::generate!({ world: "baseline-plugin", path: "../../wit" });

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
                message: controls::with_trailer(&f.code, f.message),
                code: f.code,
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
                section_schema: super::explain::annotated_schema(section_schema()).to_string(),
            }
        }

        fn check(manifests: Vec<String>, params: String, ctx: wit::Context) -> wit::CheckOutput {
            wit::CheckOutput {
                findings: check::check_spec(&manifests, &params, &ctx.namespace, &ctx.spec)
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                hardened: None,
            }
        }
    }

    export!(Plugin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_schema() {
        let schema = section_schema();
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
        assert_eq!(
            schema["properties"]["profile"]["enum"],
            serde_json::json!(["restricted", "baseline"])
        );
    }

    #[test]
    fn check_reports_the_field_and_object() {
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},
            "spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i"}]}}"#;
        let out = check(
            &[pod.to_string()],
            r#"{"name":"cis-level-2","profile":"baseline","podSecurityOnly":true}"#,
            "",
        );
        assert_eq!(out.len(), 1);
        let d = &out[0];
        assert_eq!(d.code, "CIS-5.2.5");
        assert_eq!(d.path, "/spec/hostNetwork");
        assert!(matches!(d.severity, Severity::Error));
        assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("p"));
    }
}
