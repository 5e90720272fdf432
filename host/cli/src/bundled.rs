//! The plugins compiled into the binary (built by build.rs for wasm32-wasip2).

use hms_plugin::PluginSource;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// Every bundled plugin as a loadable source, origin `bundled:<crate>`.
pub fn sources() -> Vec<PluginSource> {
    BUNDLED
        .iter()
        .map(|(name, bytes, digest)| {
            PluginSource::embedded(format!("bundled:{name}"), bytes, digest)
        })
        .collect()
}
