//! Tests: every error the envelope can report, with its message, hint and location. (Errors
//! inside a section are its plugin's: tests/section_errors.rs runs them through the binary.)

use crate::tests::{EXAMPLE, errs};
use crate::{Location, SpecError};

fn at(line: usize, column: usize) -> Location {
    Location { line, column }
}

/// The only error for `text`.
fn only(text: &str) -> SpecError {
    let e = errs(text);
    assert_eq!(e.0.len(), 1, "expected one error, got:\n{e}");
    e.0.into_iter().next().unwrap_or_else(|| panic!("no error"))
}

fn hint(e: &SpecError) -> &str {
    e.hint.as_deref().unwrap_or("")
}

#[test]
fn unknown_top_level_fields_suggest() {
    let e = only(&format!("{EXAMPLE}\nnetwrk: x\n"));
    assert_eq!(e.message, "unknown field `netwrk` at the top level");
    assert!(hint(&e).contains("`network`"), "{}", hint(&e));
    let e = only(&format!("{EXAMPLE}\nnmespace: x\n"));
    assert_eq!(e.message, "unknown field `nmespace` at the top level");
    assert_eq!(hint(&e), "did you mean `namespace`?");
    assert_eq!(e.location, at(20, 1));
    let e = only(&format!("{EXAMPLE}plugin:\n  storage: x.wasm\n"));
    assert_eq!(e.message, "unknown field `plugin` at the top level");
    assert_eq!(hint(&e), "did you mean `plugins`?");
}

#[test]
fn baseline_twice_is_an_error_at_the_second() {
    let e = only(&format!("{EXAMPLE}baseline: cis-level-2\n"));
    assert!(e.message.contains("given twice"), "{}", e.message);
    assert_eq!(e.location, at(19, 1));
    let e = only(&format!("baseline: cis-level-2\n{EXAMPLE}"));
    assert_eq!(e.location, at(6, 3));
}

#[test]
fn names_and_namespaces() {
    // The spec's name is taken from the pool: the envelope needs it to be a label now.
    let e = only(&EXAMPLE.replace("name: dcaa-secure", "name: DCAA-secure"));
    assert_eq!(
        e.message,
        "invalid spec name `DCAA-secure` (from `nodePool.name`): must be lowercase"
    );
    assert_eq!(e.location, at(2, 9));
    // A workload name taken from the image names objects: checked even when the spec's
    // name comes from elsewhere; an invalid reference is left to the workload's schema.
    let e = only(&EXAMPLE.replace("ghcr.io/hms/dcaa-audit:v1.0", "ghcr.io/hms/audit_v2:1"));
    assert!(
        e.message
            .starts_with("the workload name taken from the image, `audit_v2`, is not valid: "),
        "{}",
        e.message
    );
    assert_eq!((hint(&e), e.location), ("set `workload.name`", at(17, 10)));
    assert!(crate::parse(&EXAMPLE.replace(":v1.0", ":V 1"), "x").is_ok());
    let e = only(&format!("namespace: default\n{EXAMPLE}"));
    assert!(e.message.contains("CIS 5.7.4"), "{}", e.message);
    assert_eq!(e.location, at(1, 12));
    let e = only(&format!("namespace: kube-system\n{EXAMPLE}"));
    assert!(
        e.message.contains("`kube-system` is refused"),
        "{}",
        e.message
    );
    let e = only(&format!("name: {}\n{EXAMPLE}", "a".repeat(64)));
    assert!(e.message.contains("at most 63"), "{}", e.message);
}

#[test]
fn file_level_errors() {
    for (text, want) in [
        ("", "the spec file is empty"),
        ("# only a comment\n", "the spec file is empty"),
        ("- a\n- b\n", "not a list"),
        ("hello\n", "not the value `hello`"),
        ("name: x\n", "the spec has no sections"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ] {
        let e = only(text);
        assert!(e.message.contains(want), "{text:?}: {}", e.message);
        assert_eq!(e.location, at(1, 1));
    }
    let e = only("nodePool:\n  name: [a\n  count: 1\n");
    assert!(e.message.starts_with("YAML syntax error"), "{}", e.message);
    assert!(e.location.line >= 2, "{:?}", e.location);
    let e = only("storage:\nnodePool: {name: p, count: 1, runtime: al2023}\n");
    assert_eq!(e.message, "`storage` is empty");
    assert_eq!(e.location, at(1, 1));
}

#[test]
fn load_reads_files_and_reports_missing_ones() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/dcaa_cluster.yml");
    assert!(crate::load(&path).is_ok());
    let e = crate::load(std::path::Path::new("/nonexistent/spec.yml")).err();
    let e = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        e.starts_with("/nonexistent/spec.yml:1:1: cannot read the spec file"),
        "{e}"
    );
}

#[test]
fn spec_without_pool_or_workload_needs_a_name() {
    let text = "network:\n  policy: {name: np, ingressCIDR: 10.0.0.0/8}\n";
    let e = only(text);
    assert!(
        e.message.starts_with("the spec has no name"),
        "{}",
        e.message
    );
    assert!(crate::parse(&format!("name: n\n{text}"), "x").is_ok());
}

#[test]
fn never_panics_on_mangled_input() {
    let extras = [
        "\t", ":", "- ", "&a ", "*a", "{", "[", "\"", "'", "? ", "!!int ", "é", "~", "<<: *a\n",
    ];
    for i in 0..=EXAMPLE.len() {
        if !EXAMPLE.is_char_boundary(i) {
            continue;
        }
        let _ = crate::parse(&EXAMPLE[..i], "x");
        for extra in extras {
            let _ = crate::parse(&format!("{}{extra}{}", &EXAMPLE[..i], &EXAMPLE[i..]), "x");
        }
    }
    let _ = crate::parse("a: &x {b: 1}\nc: *x\n", "x");
    let _ = crate::parse(
        "? [a, b]\n: 1\nnodePool: {name: p, count: 1, runtime: al2023}\n",
        "x",
    );
    let _ = crate::parse(
        "nodePool: {name: p, count: 99999999999999999999999, runtime: al2023}\n",
        "x",
    );
}

#[test]
fn plugins_grants_and_baseline_entries() {
    let e = only(&format!("{EXAMPLE}plugins:\n  storag: x.wasm\n"));
    assert_eq!(e.message, "`plugins` has no section `storag`");
    assert_eq!(hint(&e), "did you mean `storage`?");
    assert_eq!(e.location, at(20, 3));
    let e = only(&format!("{EXAMPLE}plugins:\n  baseline: x.wasm\n"));
    assert!(
        hint(&e).contains("plugin: ./agency-rules.wasm"),
        "{}",
        hint(&e)
    );
    let e = only(&format!(
        "{EXAMPLE}plugins:\n  storage: x.wasm@sha256:abc\n"
    ));
    assert!(e.message.contains("64 hex digits"), "{}", e.message);
    assert_eq!(e.location, at(20, 12));
    let e = only(&format!(
        "{EXAMPLE}grants:\n  agency: [clusterrolebinding]\n"
    ));
    assert!(e.message.contains("uppercase"), "{}", e.message);
    assert_eq!(e.location, at(20, 12));
    let text = EXAMPLE.replace("  baseline: cis-level-2\n", "");
    let e = only(&format!(
        "{text}baseline:\n  - cis-level-2\n  - cis-level-2\n"
    ));
    assert_eq!(e.message, "baseline `cis-level-2` is listed twice");
    assert_eq!(e.location, at(20, 5));
    let e = only(&format!("{text}baseline:\n  - profile: baseline\n"));
    assert_eq!(e.message, "missing required field `name` in `baseline`");
    let e = only(&format!("{text}baseline:\n  - name: x\n    plugin: 5\n"));
    assert!(e.message.contains("must be a string"), "{}", e.message);
}

#[test]
fn a_byte_order_mark_is_ignored_and_locations_do_not_move() {
    let bom = |text: &str| format!("\u{feff}{text}");
    let plain = crate::tests::ok(EXAMPLE);
    let marked = crate::tests::ok(&bom(EXAMPLE));
    assert_eq!(marked.spec.to_json(), plain.spec.to_json());
    for pointer in ["/nodePool", "/nodePool/name", "/storage/volume/size"] {
        assert_eq!(
            marked.source.locate_pointer(pointer),
            plain.source.locate_pointer(pointer),
            "{pointer}"
        );
    }
    // Errors on the first line and further down are where they are without the mark.
    for text in [
        format!("name: Bad_Name\n{EXAMPLE}"),
        EXAMPLE.replace("nodePool:", "nodePol:"),
        EXAMPLE.replace("nodePool:", "nodePool: []\nx:"),
        "nodePool: [unclosed\n".to_string(),
    ] {
        assert_eq!(errs(&bom(&text)), errs(&text), "{text}");
    }
    assert_eq!(
        only(&format!("name: Bad_Name\n{EXAMPLE}")).location,
        at(1, 7)
    );
}

#[test]
fn load_refuses_what_is_not_a_small_regular_utf8_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = crate::load(dir.path())
        .expect_err("a directory")
        .to_string();
    let shown = dir.path().display();
    assert_eq!(
        e,
        format!(
            "{shown}:1:1: cannot read the spec file: `{shown}` is a directory\n  hint: give the path of a file in it"
        )
    );

    let big = dir.path().join("big.yml");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(crate::MAX_SPEC_BYTES + 1))
        .expect("sparse file");
    let e = crate::load(&big).expect_err("too large").to_string();
    assert!(e.contains("is larger than the limit of 4 MiB"), "{e}");

    let latin1 = dir.path().join("latin1.yml");
    std::fs::write(&latin1, b"nodePool:\n  name: caf\xe9\n").expect("write");
    let e = crate::load(&latin1).expect_err("not UTF-8");
    assert_eq!(e.0[0].location, at(2, 12), "{e}");
    assert!(e.0[0].message.contains("not UTF-8 text (byte 0xe9)"), "{e}");

    let marked = dir.path().join("bom.yml");
    std::fs::write(&marked, format!("\u{feff}{EXAMPLE}")).expect("write");
    assert!(crate::load(&marked).is_ok());
}

#[test]
fn sections_still_answer_for_the_envelope() {
    // A name taken from a section nobody typed is still checked.
    let e = crate::parse("workload: {name: My App}\n", "spec.yml")
        .expect_err("an invalid derived name");
    assert!(
        e.0[0]
            .message
            .contains("invalid spec name `My App` (from `workload.name`)"),
        "{e}"
    );
    assert_eq!(e.0[0].location, at(1, 18));
    // The baseline shorthand is one name; anything else is an error, not a silently skipped gate.
    let e = crate::parse("nodePool: {name: p, baseline: [cis-level-2]}\n", "spec.yml")
        .expect_err("a list in the shorthand");
    assert!(
        e.0[0]
            .message
            .contains("`nodePool.baseline` must be one baseline's name"),
        "{e}"
    );
}
