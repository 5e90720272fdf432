//! Host bindings generated from `wit/` for each plugin world of `hms:sys@0.1.x`.

/// The `section-plugin` world: nodePool, storage, network and workload plugins.
pub mod section {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "section-plugin",
    });
}

/// The `baseline-plugin` world: compliance baselines. Shares the `types` interface.
pub mod baseline {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "baseline-plugin",
        with: { "hms:sys/types": super::section::hms::sys::types },
    });
}

pub use section::hms::sys::types as wit;
