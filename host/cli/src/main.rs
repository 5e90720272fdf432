//! The `hms-sys` binary: everything lives in the library so the tests can drive it.

fn main() -> std::process::ExitCode {
    hms_sys::main()
}
