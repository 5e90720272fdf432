//! Host bindings for each plugin world of `hms:sys@0.1.x`, generated from the WIT the plugin SDK
//! carries (`plugins/sdk/wit/since_v0.1.0`: the one copy of the contract).

/// The `section-plugin` world: nodePool, storage, network and workload plugins.
pub mod section {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit/since_v0.1.0",
        world: "section-plugin",
    });
}

/// The `baseline-plugin` world: compliance baselines. Shares the `types` interface.
pub mod baseline {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit/since_v0.1.0",
        world: "baseline-plugin",
        with: { "hms:sys/types": super::section::hms::sys::types },
    });
}

pub use section::hms::sys::types as wit;
