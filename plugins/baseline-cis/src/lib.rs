//! The bundled `cis-level-2` baseline plugin: Pod Security Standards (v1.35 semantics) and CIS
//! Kubernetes Benchmark section 5 checks over rendered manifests.
//!
//! The checks are plain Rust over `serde_json::Value` ([`check::check`]); this file only adapts
//! them to the SDK's `BaselinePlugin`, exported as the WIT world `baseline-plugin`. It emits no
//! objects and never hardens manifests.
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

/// The exported baseline: [`check`] and its metadata.
pub struct CisBaseline;

impl hms_plugin_sdk::BaselinePlugin for CisBaseline {
    fn meta() -> hms_plugin_sdk::PluginMeta {
        hms_plugin_sdk::PluginMeta {
            name: model::NAME,
            version: env!("CARGO_PKG_VERSION"),
            section: "baseline",
            description: DESCRIPTION,
            emits: Vec::new(),
            section_schema: explain::annotated_schema(section_schema()),
        }
    }

    fn check(
        manifests: &[String],
        params: &str,
        ctx: &hms_plugin_sdk::Ctx,
    ) -> hms_plugin_sdk::CheckOutput {
        check::check_spec(manifests, params, &ctx.namespace, &ctx.spec)
            .into_iter()
            .map(|mut f| {
                f.message = controls::with_trailer(&f.code, std::mem::take(&mut f.message));
                f
            })
            .collect::<Vec<_>>()
            .into()
    }
}

hms_plugin_sdk::export_baseline_plugin!(CisBaseline);

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
