//! The hms-sys plugin SDK: everything a Rust plugin needs, so a plugin (in this repository or
//! anywhere else, as a path or git dependency) depends on this crate alone.
//!
//! - **The contract.** The SDK carries the WIT it was built for, `wit/since_v0.1.0/hms-sys.wit`
//!   (`hms:sys@0.1.0`, frozen as released), and generates its bindings in the plugin through
//!   [`export_section_plugin!`] or [`export_baseline_plugin!`]: implement [`SectionPlugin`] or
//!   [`BaselinePlugin`] and call the macro once. Each generates only its own world, so a
//!   component exports `hms:sys/section@0.1.0` or `hms:sys/baseline@0.1.0`, never both. The
//!   bindings exist only in the `wasm32` build: native builds and tests never compile them.
//! - **Typed sections** ([`section`]): the section as a Rust type deriving `Deserialize` and
//!   `JsonSchema`, whose schema (defaults included) is the one the plugin publishes, and whose
//!   serde errors become diagnostics at JSON pointers.
//! - **Objects** ([`object`], [`labels`]): [`Ctx::object`] builds an object in the spec's
//!   namespace with the host's common labels.
//! - **Diagnostics** ([`Diagnostic`], [`explain`]) and the one definition of an image pinned by
//!   digest ([`image`]).
//! - **Tests** ([`testing`]): a test [`Ctx`] builder and lookups on the output, so plugin logic
//!   is unit-tested natively.

pub mod diag;
pub mod explain;
mod glue;
pub mod image;
pub mod kstatus;
pub mod labels;
pub mod object;
pub mod plugin;
pub mod pointer;
pub mod reader;
pub mod section;
pub mod status;
pub mod testing;

pub use diag::{Diagnostic, ObjectRef, Severity};
pub use explain::Explanation;
pub use labels::Labels;
pub use plugin::{
    BaselinePlugin, CheckOutput, Ctx, KindRef, Output, PluginMeta, SectionPlugin, WIT_VERSION,
};
pub use reader::Reader;
/// The derive and trait of typed sections' schemas (`#[derive(JsonSchema)]`).
pub use schemars::JsonSchema;
/// schemars and serde, for the derives of a typed section ([`section`]).
pub use {schemars, serde};

/// wit-bindgen, used by the export macros' generated code (`runtime_path`); not an API.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;
