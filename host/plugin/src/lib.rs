//! The hms-sys plugin runtime: the only crate that knows wasmtime.
//!
//! A [`Runtime`] owns one wasmtime engine, the epoch ticker that enforces deadlines and the
//! on-disk cache of compiled plugins. [`Runtime::load`] turns component bytes into a
//! [`Plugin`]; every call on a plugin gets a fresh store with the plugin's [`Limits`].
//! The types in [`types`] are plain host-side values: nothing outside this crate sees wasmtime.

mod bindings;
mod cache;
mod call;
mod error;
mod runtime;
pub mod types;

pub use cache::Cache;
pub use error::{Cause, PluginError};
pub use runtime::{Limits, Plugin, PluginSource, Runtime, World, digest_of};
pub use types::{
    CheckOutput, Context, Diagnostic, KindRef, LiveObject, Metadata, ObjectRef, RenderOutput,
    SectionSchema, Severity, StatusLine, StatusState,
};

/// The versions of the `hms:sys` WIT package this host accepts: any 0.1.x and 0.2.x. Each
/// has its bindings (`bindings`); a plugin built against any of them loads and runs.
pub const WIT_VERSIONS: &[&str] = &["0.1", "0.2"];
