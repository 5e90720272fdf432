//! A section plugin's status line (`hms:sys` 0.2.0 `status`), in plain Rust: what the plugin
//! is given (the live objects of the spec, the nodes of its pool) and what it answers.

use serde_json::Value;

use crate::kstatus::{self, Readiness};

/// How far a section has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    InProgress,
    Failed,
}

/// The line `hms-sys status` shows for the section: `✔ Workload running (10 pods)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub state: State,
    /// The line without its mark (at most 200 characters).
    pub line: String,
    /// Why it is not ready; empty when ready (at most 1,000 characters).
    pub reason: String,
}

impl StatusLine {
    pub fn ready(line: impl Into<String>) -> Self {
        StatusLine {
            state: State::Ready,
            line: line.into(),
            reason: String::new(),
        }
    }

    pub fn in_progress(line: impl Into<String>, reason: impl Into<String>) -> Self {
        StatusLine {
            state: State::InProgress,
            line: line.into(),
            reason: reason.into(),
        }
    }

    pub fn failed(line: impl Into<String>, reason: impl Into<String>) -> Self {
        StatusLine {
            state: State::Failed,
            line: line.into(),
            reason: reason.into(),
        }
    }

    /// The line for `readiness`: ready, or in progress / failed with its reason.
    pub fn from_readiness(line: impl Into<String>, readiness: Readiness) -> Self {
        match readiness {
            Readiness::Ready => StatusLine::ready(line),
            Readiness::InProgress(r) => StatusLine::in_progress(line, r),
            Readiness::Failed(r) => StatusLine::failed(line, r),
        }
    }
}

/// One object the spec rendered, as the cluster has it now.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveObject {
    /// The API group; empty for the core group.
    pub group: String,
    pub kind: String,
    /// Empty for a cluster-scoped object.
    pub namespace: String,
    pub name: String,
    /// The section whose plugin rendered it.
    pub section: String,
    /// The object as the API server returns it; `None` when it does not exist.
    pub live: Option<Value>,
}

impl LiveObject {
    /// kstatus readiness; an object that does not exist is failed.
    pub fn readiness(&self) -> Readiness {
        match &self.live {
            Some(v) => kstatus::readiness(&self.kind, v),
            None => Readiness::Failed(format!("{} {} not found", self.kind, self.name)),
        }
    }
}

/// What a plugin's `status` is given besides its section: every object the spec rendered and,
/// for a node pool, the Nodes that carry its node selector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub objects: Vec<LiveObject>,
    pub nodes: Vec<Value>,
}

impl Live {
    /// The first object of `kind` rendered by `section`.
    pub fn find(&self, section: &str, kind: &str) -> Option<&LiveObject> {
        self.objects
            .iter()
            .find(|o| o.section == section && o.kind == kind)
    }

    /// The first object of `kind`, whichever section rendered it.
    pub fn find_any(&self, kind: &str) -> Option<&LiveObject> {
        self.objects.iter().find(|o| o.kind == kind)
    }

    /// The objects `section` rendered.
    pub fn of_section<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a LiveObject> {
        self.objects.iter().filter(move |o| o.section == section)
    }
}
