//! The hms-sys plugin SDK: everything a Rust plugin needs, so a plugin (in this repository or
//! anywhere else, as a path or git dependency) depends on this crate alone.
//!
//! - **The contract.** The SDK carries every released version of the WIT, frozen, under
//!   `wit/since_vX.Y.Z/` (0.1.0, and 0.2.0, which adds `status`), and builds plugins against
//!   the newest ([`WIT_VERSION`]). It generates the bindings in the plugin through
//!   [`export_section_plugin!`] or [`export_baseline_plugin!`]: implement [`SectionPlugin`] or
//!   [`BaselinePlugin`] and call the macro once. Each generates only its own world, so a
//!   component exports `hms:sys/section@0.2.0` and `hms:sys/status@0.2.0`, or
//!   `hms:sys/baseline@0.2.0`, never both worlds. The bindings exist only in the `wasm32`
//!   build: native builds and tests never compile them.
//! - **Status** ([`status`], [`kstatus`]): a section plugin may judge its own objects ready
//!   ([`SectionPlugin::status`]), with the kstatus rules the host uses for the rest.
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

/// serde_json, used by the export macros' generated code; not an API.
#[doc(hidden)]
pub use serde_json as __serde_json;
/// wit-bindgen, used by the export macros' generated code (`runtime_path`); not an API.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;
