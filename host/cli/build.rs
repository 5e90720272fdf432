//! Builds the bundled plugins for wasm32-wasip2 and embeds them in the `hms-sys` binary.

use std::fmt::Write;
use std::path::PathBuf;

/// (crate, plugin file name) of every bundled plugin, in render order.
const BUNDLED: &[&str] = &[
    "hms-plugin-nodepool",
    "hms-plugin-storage",
    "hms-plugin-network",
    "hms-plugin-workload",
    "hms-plugin-baseline-cis",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    hms_wasm_build::rerun_if_changed(&root, &["plugins", "Cargo.lock"]);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let built = hms_wasm_build::build(&root, BUNDLED);
    let mut code =
        String::from("/// The bundled plugins: (crate name, component bytes, `sha256:` digest).\n");
    code.push_str("pub static BUNDLED: &[(&str, &[u8], &str)] = &[\n");
    for (name, path) in BUNDLED.iter().zip(built) {
        let copy = out.join(format!("{name}.wasm"));
        std::fs::copy(&path, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
        let digest = hms_wasm_build::digest(&copy);
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?}), {digest:?}),",
            copy.display().to_string()
        )
        .expect("write");
    }
    code.push_str("];\n");
    std::fs::write(out.join("bundled.rs"), code).expect("write bundled.rs");
}
