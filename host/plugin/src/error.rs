//! Plugin failures, classified so that a person can tell what went wrong and what to do.

use std::time::Duration;

/// Why a plugin failed. Every variant is a clean failure of one call: the host goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The bytes are not a loadable component (or could not be compiled).
    Invalid(String),
    /// The component does not export a world of a WIT version this host accepts.
    Incompatible(String),
    /// The call ran past its wall-clock deadline.
    Timeout(Duration),
    /// The plugin tried to grow its memory past the cap (bytes).
    MemoryLimit(usize),
    /// The wasm call stack overflowed.
    StackOverflow,
    /// The plugin panicked; the message is what it printed.
    Panic(String),
    /// Any other trap, with wasmtime's description.
    Trap(String),
    /// The output was larger than the cap, in bytes. `size` is `None` when wasmtime refused it
    /// while copying it out of the plugin, before the host could measure it.
    OutputTooLarge { size: Option<usize>, cap: usize },
    /// A render returned more objects than the cap allows.
    TooManyObjects { count: usize, cap: usize },
    /// The output broke the contract (bad JSON, not an object, bad metadata).
    Malformed(String),
}

/// A failed plugin call, naming the plugin, the operation and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("plugin `{plugin}` failed during {operation}: {}", describe(.cause))]
pub struct PluginError {
    /// The plugin's name (from its metadata) or, before that is known, its origin.
    pub plugin: String,
    /// What the host was doing: `load`, `metadata`, `render of section storage`, `check`.
    pub operation: String,
    pub cause: Cause,
    /// What the plugin wrote to stderr before failing (truncated), if anything.
    pub stderr: String,
}

impl PluginError {
    pub(crate) fn new(plugin: &str, operation: &str, cause: Cause) -> Self {
        PluginError {
            plugin: plugin.to_string(),
            operation: operation.to_string(),
            cause,
            stderr: String::new(),
        }
    }

    /// What to do about it, for a person.
    pub fn hint(&self) -> &'static str {
        match self.cause {
            Cause::Invalid(_) => {
                "check that the file is a WebAssembly component built for wasm32-wasip2"
            }
            Cause::Incompatible(_) => {
                "rebuild the plugin against a version this hms-sys accepts (hms:sys 0.1 or 0.2): the hms-plugin-sdk of this hms-sys, or a WIT of its plugins/sdk/wit/since_v*"
            }
            Cause::Timeout(_) => {
                "the plugin may loop forever; fix it, or raise its deadline if it is just slow"
            }
            Cause::MemoryLimit(_) => {
                "the plugin needs too much memory; fix it, or raise its memory cap if that is expected"
            }
            Cause::StackOverflow => "the plugin recursed too deeply; report this to its author",
            Cause::Panic(_) | Cause::Trap(_) => {
                "this is a bug in the plugin; report it to its author"
            }
            Cause::OutputTooLarge { .. } => {
                "the plugin returned more than the output cap allows; raise the cap or fix the plugin"
            }
            Cause::TooManyObjects { .. } => {
                "fix the plugin, split the section, or raise the plugin's objects cap if that many objects are expected"
            }
            Cause::Malformed(_) => {
                "the plugin broke the hms:sys contract; report this to its author"
            }
        }
    }
}

fn describe(cause: &Cause) -> String {
    match cause {
        Cause::Invalid(m) => format!("not a valid plugin component: {m}"),
        Cause::Incompatible(m) => format!("incompatible plugin: {m}"),
        Cause::Timeout(d) => format!("timed out after {} ms (deadline exceeded)", d.as_millis()),
        Cause::MemoryLimit(cap) => format!("exceeded its memory cap of {} MiB", cap >> 20),
        Cause::StackOverflow => "overflowed its call stack".to_string(),
        Cause::Panic(m) => format!("panicked: {m}"),
        Cause::Trap(m) => format!("trapped: {m}"),
        Cause::OutputTooLarge {
            size: Some(size),
            cap,
        } => format!("output of {size} bytes exceeds the cap of {}", bytes(*cap)),
        Cause::OutputTooLarge { size: None, cap } => format!(
            "output exceeds the cap of {}: refused while being copied out of the plugin, \
             before its size was known",
            bytes(*cap)
        ),
        Cause::TooManyObjects { count, cap } => {
            format!("returned {count} objects, more than the cap of {cap} objects per section")
        }
        Cause::Malformed(m) => format!("malformed output: {m}"),
    }
}

/// `8388608 bytes (8 MiB)`, or just the bytes when not a whole number of MiB.
fn bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{n} bytes ({} MiB)", n >> 20)
    } else {
        format!("{n} bytes")
    }
}
