//! Builds the hostile test plugin for wasm32-wasip2 and tells the tests where it is.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("..").canonicalize().expect("workspace root");
    hms_wasm_build::rerun_if_changed(&root, &["tests/hostile", "tests/hostile-baseline", "wit"]);
    let built = hms_wasm_build::build(&root, &["hms-hostile-plugin", "hms-hostile-baseline"]);
    println!("cargo:rustc-env=HOSTILE_WASM={}", built[0].display());
    println!(
        "cargo:rustc-env=HOSTILE_BASELINE_WASM={}",
        built[1].display()
    );
}
