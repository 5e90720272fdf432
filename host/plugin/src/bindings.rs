//! Host bindings generated for each plugin world of each `hms:sys` version the host accepts
//! (`crate::WIT_VERSIONS`), from the WIT the plugin SDK carries (`plugins/sdk/wit/since_vX.Y.Z`:
//! the one copy of the contract). Every version's `types` interface is 0.1.0's, unchanged, so
//! all versions share one set of Rust types (`with:`); [`wit`] names them.

/// `hms:sys@0.1.0`, frozen as released.
pub mod v0_1 {
    /// The `section-plugin` world: nodePool, storage, network and workload plugins.
    pub mod section {
        wasmtime::component::bindgen!({
            path: "../../plugins/sdk/wit/since_v0.1.0",
            world: "section-plugin",
        });
    }

    /// The `baseline-plugin` world: compliance baselines.
    pub mod baseline {
        wasmtime::component::bindgen!({
            path: "../../plugins/sdk/wit/since_v0.1.0",
            world: "baseline-plugin",
            with: { "hms:sys/types": super::section::hms::sys::types },
        });
    }
}

/// `hms:sys@0.2.0`: section plugins also export `status`.
pub mod v0_2 {
    /// The `section-plugin` world: `section` and `status`.
    pub mod section {
        wasmtime::component::bindgen!({
            path: "../../plugins/sdk/wit/since_v0.2.0",
            world: "section-plugin",
            with: { "hms:sys/types": super::super::v0_1::section::hms::sys::types },
        });
    }

    /// The `baseline-plugin` world, as in 0.1.0.
    pub mod baseline {
        wasmtime::component::bindgen!({
            path: "../../plugins/sdk/wit/since_v0.2.0",
            world: "baseline-plugin",
            with: { "hms:sys/types": super::super::v0_1::section::hms::sys::types },
        });
    }

    pub use section::exports::hms::sys::status;
}

pub use v0_1::section::hms::sys::types as wit;
