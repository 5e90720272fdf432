//! Builds the hostile test plugins and the example plugins (examples/plugins) for
//! wasm32-wasip2 and tells the tests where they are.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("..").canonicalize().expect("workspace root");
    hms_wasm_build::rerun_if_changed(
        &root,
        &[
            "tests/hostile",
            "tests/hostile-baseline",
            "tests/hostile-status",
            "examples/plugins",
            "plugins/sdk",
        ],
    );
    let built = hms_wasm_build::build(
        &root,
        &[
            "hms-hostile-plugin",
            "hms-hostile-baseline",
            "hms-example-netapp-trident",
            "hms-example-agency-rules",
            "hms-hostile-status",
        ],
    );
    println!("cargo:rustc-env=HOSTILE_WASM={}", built[0].display());
    println!(
        "cargo:rustc-env=HOSTILE_BASELINE_WASM={}",
        built[1].display()
    );
    println!("cargo:rustc-env=NETAPP_TRIDENT_WASM={}", built[2].display());
    println!("cargo:rustc-env=AGENCY_RULES_WASM={}", built[3].display());
    println!("cargo:rustc-env=HOSTILE_STATUS_WASM={}", built[4].display());
}
