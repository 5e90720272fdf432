//! Baseline findings as data: what `hms-sys check` reports (text, JSON, SARIF) and what the
//! gate decides on. Built from a baseline's diagnostics; the only place that reads the NIST
//! trailer a baseline may end a message with.

use hms_plugin::{Diagnostic, ObjectRef, Severity};
use serde::Serialize;

/// Where a baseline's NIST SP 800-53 rev5 controls begin at the end of a finding's message
/// (the convention of the bundled `cis-level-2`, open to any baseline: the WIT `diagnostic`
/// record has no field for them). The trailer is `<TRAILER_START>ac-6, sc-39]`.
pub const TRAILER_START: &str = " [NIST SP 800-53 rev5: ";

/// One finding of one baseline about one object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The baseline that reported it.
    pub baseline: String,
    pub severity: Severity,
    /// The control id: the baseline's code (`CIS-5.2.2`, `PSS-procMount`).
    pub control: String,
    /// The NIST SP 800-53 rev5 controls it supports (OSCAL ids, `ac-6.10`), from the baseline.
    pub nist: Vec<String>,
    /// What is wrong, without the NIST trailer.
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// JSON pointer into the object; empty for the whole object.
    pub path: String,
    /// Where the field was written, when the object came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The exception that accepts this error finding, if one does (see `exceptions.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excepted: Option<Excepted>,
}

/// The exception that accepted a finding.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Excepted {
    /// JSON pointer of the entry in the spec (`/exceptions/0`) and where it was written.
    pub exception: String,
    pub location: String,
    pub justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub expires: String,
}

/// A position in an input file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Finding {
    pub fn from_diagnostic(baseline: &str, d: &Diagnostic) -> Self {
        let (message, nist) = split_trailer(&d.message);
        Finding {
            baseline: baseline.to_string(),
            severity: d.severity,
            control: d.code.clone(),
            nist,
            message,
            hint: d.hint.clone(),
            object: d.object.clone(),
            path: d.path.clone(),
            location: None,
            excepted: None,
        }
    }

    /// An error finding that refuses: of severity error, and accepted by no exception.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error && self.excepted.is_none()
    }
}

/// A message without its NIST trailer, and the ids the trailer lists (none without one). A
/// trailer whose ids are not all of the form `xx-N[.N]` is not one: the message stays whole.
pub fn split_trailer(message: &str) -> (String, Vec<String>) {
    let whole = || (message.to_string(), Vec::new());
    let Some(start) = message.rfind(TRAILER_START) else {
        return whole();
    };
    let Some(list) = message[start + TRAILER_START.len()..].strip_suffix(']') else {
        return whole();
    };
    let ids: Vec<String> = list.split(", ").map(str::to_string).collect();
    if !ids.iter().all(|id| is_control_id(id)) {
        return whole();
    }
    (message[..start].to_string(), ids)
}

/// `ac-6`, `ac-6.10`: an OSCAL NIST SP 800-53 control id.
fn is_control_id(id: &str) -> bool {
    let Some((family, rest)) = id.split_once('-') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    family.len() == 2
        && family.bytes().all(|b| b.is_ascii_lowercase())
        && match rest.split_once('.') {
            Some((n, e)) => number(n) && number(e),
            None => number(rest),
        }
}
