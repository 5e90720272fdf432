//! Build-script helper: compiles workspace crates to wasm32-wasip2 components.
//!
//! Build scripts of `hms-sys` (the bundled plugins) and of the tests (the hostile plugin) call
//! [`build`]. It runs a nested `cargo build --profile wasm --target wasm32-wasip2` with its
//! own target directory, so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every plugin is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Builds `packages` of the workspace at `root` and returns the path of each `.wasm`, in order.
/// Panics with a readable message on failure: this only runs inside build scripts.
pub fn build(root: &Path, packages: &[&str]) -> Vec<PathBuf> {
    let target_dir = root.join("target").join("wasm");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "wasm",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir);
    for p in packages {
        cmd.args(["-p", p]);
    }
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the wasm plugins failed ({s}); if the target is missing, run `rustup target add {TARGET}`"
        ),
        Err(e) => panic!("could not run cargo to build the wasm plugins: {e}"),
    }
    packages
        .iter()
        .map(|p| {
            target_dir
                .join(TARGET)
                .join("wasm")
                .join(format!("{}.wasm", p.replace('-', "_")))
        })
        .collect()
}

/// `sha256:<hex>` of the file at `path`, as `hms_plugin::digest_of` computes it at run time
/// (a test checks that the two agree for every bundled plugin), so a warm start hashes nothing.
pub fn digest(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Tells cargo to rerun the build script when anything under these paths changes.
pub fn rerun_if_changed(root: &Path, paths: &[&str]) {
    for p in paths {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}
