//! Server-side apply conflicts (HTTP 409): which object, which fields, which other managers.

use std::fmt;

use kube::core::Status;

/// A field another manager owns, which `hms-sys` tried to set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub object: String,
    /// (field path, the manager that owns it).
    pub fields: Vec<(String, String)>,
    pub message: String,
}

impl Conflict {
    /// The conflict in a 409 `Status` from a server-side apply.
    pub fn from_status(object: &str, s: &Status) -> Conflict {
        let fields = s
            .details
            .iter()
            .flat_map(|d| &d.causes)
            .filter(|c| c.reason.is_empty() || c.reason == "FieldManagerConflict")
            .map(|c| (c.field.clone(), manager_of(&c.message)))
            .collect();
        Conflict {
            object: object.to_string(),
            fields,
            message: s.message.clone(),
        }
    }
}

/// `conflict with "kubectl" using apps/v1` -> `kubectl`.
fn manager_of(message: &str) -> String {
    message
        .split_once("conflict with \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or_else(|| "another manager".to_string(), |(m, _)| m.to_string())
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: conflict: ", self.object)?;
        if self.fields.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            let parts: Vec<String> = self
                .fields
                .iter()
                .map(|(field, manager)| format!("{field} is owned by field manager {manager:?}"))
                .collect();
            write!(f, "{}", parts.join("; "))?;
        }
        write!(f, "; use --force-conflicts to take ownership")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fields_and_managers() {
        let status: Status = serde_json::from_value(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409,
            "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas",
            "details": {"causes": [{"reason": "FieldManagerConflict",
                "message": "conflict with \"kubectl\" using apps/v1", "field": ".spec.replicas"}]}
        }))
        .expect("a Status");
        let c = Conflict::from_status("Deployment.apps ns/web", &status);
        assert_eq!(c.fields, vec![(".spec.replicas".into(), "kubectl".into())]);
        let text = c.to_string();
        assert!(text.contains("Deployment.apps ns/web"), "{text}");
        assert!(
            text.contains(".spec.replicas is owned by field manager \"kubectl\""),
            "{text}"
        );
        assert!(text.contains("--force-conflicts"), "{text}");
    }
}
