//! The `SysSpec` custom resource: a spec, as in the YAML file, kept converged by the controller.

use std::borrow::Cow;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::status::State;

/// The group of hms-sys's own kinds.
pub const GROUP: &str = "sys.hms.io";
/// The version served and stored.
pub const VERSION: &str = "v1alpha1";
/// The finalizer that prunes a deleted SysSpec's objects.
pub const FINALIZER: &str = "sys.hms.io/prune";

/// A cluster slice: the fields of an hms-sys spec file (docs/spec.md), applied and kept
/// converged by `hms-sys controller`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[kube(
    group = "sys.hms.io",
    version = "v1alpha1",
    kind = "SysSpec",
    plural = "sysspecs",
    shortname = "sys",
    status = "SysSpecStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Objects","type":"integer","jsonPath":".status.objects"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct SysSpecSpec {
    /// The spec's fields exactly as a spec file holds them.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// The CRD does not repeat the spec's rules: the host's envelope checks and each section's
/// plugin judge the fields at every reconcile (as `hms-sys validate` judges a file) and what
/// they find is in the status (condition `Rendered`). So the API server keeps every field,
/// unknown ones included, for those checks to name.
impl JsonSchema for SysSpecSpec {
    fn schema_name() -> Cow<'static, str> {
        "SysSpecSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The fields of an hms-sys spec file (docs/spec.md): nodePool, storage, network, workload, baseline, and optionally name, namespace, plugins, grants, exceptions. Checked by hms-sys and its plugins at each reconcile; see status.conditions.",
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        })
    }
}

/// What the controller last did and saw.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SysSpecStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Rendered, Compliant, Applied, Ready.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// One line per section, as `hms-sys status` prints them.
    #[serde(default)]
    pub lines: Vec<StatusLine>,
    /// The baselines' findings of the last render (errors refuse the spec).
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The apply set: the spec's name and namespace (its inventory, `ConfigMap
    /// hms-sys-<name>` there) and the set id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_set: Option<AppliedSet>,
    /// How many objects the last render holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<i64>,
    /// sha256 of what was last applied (objects and status record): an unchanged render with no
    /// drift is not applied again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_digest: Option<String>,
}

/// A condition, as Kubernetes conventions spell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// RFC 3339; changes only when `status` does.
    #[serde(default)]
    pub last_transition_time: String,
}

/// One section's status line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusLine {
    pub section: String,
    /// `ready`, `inProgress` or `failed`.
    pub state: State,
    /// The line as `hms-sys status` prints it (without its mark).
    pub line: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One baseline finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub baseline: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub control: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Accepted by an exception of the spec (it does not refuse).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub excepted: bool,
}

/// Where a SysSpec's objects are recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedSet {
    pub name: String,
    pub namespace: String,
    pub id: String,
}

/// The condition types, in the order they are written.
pub const CONDITIONS: [&str; 4] = ["Rendered", "Compliant", "Applied", "Ready"];

impl SysSpecStatus {
    /// The condition of `type_`, if set.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// Sets a condition; its transition time is kept when its status does not change.
    pub fn set(&mut self, type_: &str, status: &str, reason: &str, message: impl Into<String>) {
        let now = crate::events::rfc3339(std::time::SystemTime::now());
        let message = message.into();
        let generation = self.observed_generation;
        match self.conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(c) => {
                if c.status != status {
                    c.last_transition_time = now;
                }
                c.status = status.to_string();
                c.reason = reason.to_string();
                c.message = message;
                c.observed_generation = generation;
            }
            None => self.conditions.push(Condition {
                type_: type_.to_string(),
                status: status.to_string(),
                reason: reason.to_string(),
                message,
                observed_generation: generation,
                last_transition_time: now,
            }),
        }
        self.conditions.sort_by_key(|c| {
            CONDITIONS
                .iter()
                .position(|t| *t == c.type_)
                .unwrap_or(CONDITIONS.len())
        });
    }

    /// Whether the condition `type_` is `True`.
    pub fn is_true(&self, type_: &str) -> bool {
        self.condition(type_).is_some_and(|c| c.status == "True")
    }
}

/// The CRD, as the API server takes it (`hms-sys controller crd`).
pub fn crd() -> Value {
    use kube::CustomResourceExt;
    serde_json::to_value(SysSpec::crd()).unwrap_or_else(|_| json!({}))
}
