//! Tests: every error the spec can report, with its message, hint and location.

use crate::tests::{EXAMPLE, errs};
use crate::{Location, Section, SpecError};

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
fn unknown_field_with_did_you_mean() {
    let e = only(&EXAMPLE.replace("  count: 10", "  cout: 10"));
    assert_eq!(e.message, "unknown field `cout` in `nodePool`");
    assert_eq!(hint(&e), "did you mean `count`?");
    assert_eq!(e.location, at(3, 3));
    assert_eq!(
        e.to_string(),
        "spec.yml:3:3: unknown field `cout` in `nodePool`\n  hint: did you mean `count`?"
    );
}

#[test]
fn unknown_field_lists_valid_fields() {
    let e = only(&EXAMPLE.replace("    size: 1Ti", "    size: 1Ti\n    flavour: x"));
    assert_eq!(e.message, "unknown field `flavour` in `storage.volume`");
    assert!(
        hint(&e).starts_with("valid fields: `name`, `size`"),
        "{}",
        hint(&e)
    );
    assert_eq!(e.location, at(10, 5));
    let e = only(&format!("{EXAMPLE}\nnmespace: x\n"));
    assert_eq!(e.message, "unknown field `nmespace` at the top level");
    assert_eq!(hint(&e), "did you mean `namespace`?");
    assert_eq!(e.location, at(20, 1));
    let e = only(&format!("{EXAMPLE}plugin:\n  storage: x.wasm\n"));
    assert_eq!(e.message, "unknown field `plugin` at the top level");
    assert_eq!(hint(&e), "did you mean `plugins`?");
}

#[test]
fn type_errors_are_located() {
    let e = only(&EXAMPLE.replace("  count: 10", "  count: ten"));
    assert!(e.message.contains("nodePool.count"), "{}", e.message);
    assert!(e.message.contains("expected an integer"), "{}", e.message);
    assert_eq!(e.location, at(3, 10));
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
fn all_errors_are_collected_in_order() {
    let text = EXAMPLE
        .replace("count: 10", "count: 0")
        .replace("size: 1Ti", "size: 1TB")
        .replace("replicas: 10", "replicas: 0");
    let e = errs(&text);
    let messages: Vec<&str> = e.0.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(e.0.len(), 3, "{e}");
    assert_eq!(messages[0], "`nodePool.count` must be at least 1, got 0");
    assert_eq!(e.0[0].location, at(3, 10));
    assert_eq!(
        messages[1],
        "invalid quantity `1TB` for `storage.volume.size`: `TB` is not a Kubernetes suffix"
    );
    assert_eq!(hint(&e.0[1]), "use `1T` (decimal) or `1Ti` (binary)");
    assert_eq!(e.0[1].location, at(9, 11));
    assert_eq!(messages[2], "`workload.replicas` must be at least 1, got 0");
    assert_eq!(e.0[2].location, at(18, 13));
}

#[test]
fn quantities() {
    let e = only(&EXAMPLE.replace("size: 1Ti", "size: -5Gi"));
    assert!(
        e.message.ends_with("must be greater than zero"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace("size: 1Ti", "size: lots"));
    assert!(
        e.message.contains("`lots` is not a quantity"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace(
        "  replicas: 10",
        "  replicas: 10\n  resources: {requests: {cpu: 0}}",
    ));
    assert!(
        e.message.contains("workload.resources.requests.cpu"),
        "{}",
        e.message
    );
    assert_eq!(e.location, at(19, 31));
}

#[test]
fn images() {
    let e = only(&EXAMPLE.replace("ghcr.io/hms/dcaa-audit:v1.0", "ghcr.io/HMS/dcaa-audit:v1.0"));
    assert_eq!(
        e.message,
        "invalid image reference `ghcr.io/HMS/dcaa-audit:v1.0`: repository name must be lowercase"
    );
    assert_eq!(e.location, at(17, 10));
    let e = only(&EXAMPLE.replace(":v1.0", "@sha256:0123456789abcdef0123456789abcdef01234567"));
    assert!(
        e.message.contains("invalid checksum digest length"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace("ghcr.io/hms/dcaa-audit:v1.0", "ghcr.io/hms/audit_v2:1"));
    assert!(e.message.contains("`audit_v2`"), "{}", e.message);
    assert_eq!(hint(&e), "set `workload.name`");
}

#[test]
fn names_and_namespaces() {
    let e = only(&EXAMPLE.replace("name: dcaa-secure", "name: DCAA-secure"));
    assert_eq!(
        e.message,
        "invalid name `DCAA-secure` in `nodePool.name`: must be lowercase"
    );
    assert_eq!(e.location, at(2, 9));
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
fn enums_suggest() {
    let e = only(&EXAMPLE.replace("encryption: aes256", "encryption: aes-256"));
    assert_eq!(e.message, "`storage.volume.encryption` cannot be `aes-256`");
    assert_eq!(hint(&e), "did you mean `aes256`?");
    let e = only(&EXAMPLE.replace("  count: 10", "  count: 10\n  provider: karpentr"));
    assert_eq!(hint(&e), "did you mean `karpenter`?");
    let e = only(&EXAMPLE.replace("size: 1Ti", "size: 1Ti\n    accessMode: ReadWriteManny"));
    assert_eq!(hint(&e), "did you mean `ReadWriteMany`?");
}

#[test]
fn missing_storage_section() {
    let text = EXAMPLE.replace(
        "storage:\n  volume:\n    name: contract-pdfs\n    size: 1Ti\n    encryption: aes256\n",
        "",
    );
    let e = only(&text);
    assert_eq!(
        e.message,
        "the workload mounts a volume but the spec has no `storage` section"
    );
    assert_eq!(
        hint(&e),
        "add a `storage:` section (see examples/dcaa_cluster.yml) or set `workload.volume: none`"
    );
    assert_eq!(e.location, at(11, 1));
    assert!(crate::parse(&format!("{text}  volume: none\n"), "x").is_ok());
}

#[test]
fn workload_volume_and_fields() {
    let e = only(&EXAMPLE.replace("  replicas: 10", "  replicas: 10\n  volume: contract-pdf"));
    assert!(
        e.message
            .contains("does not name the storage volume `contract-pdfs`"),
        "{}",
        e.message
    );
    assert_eq!(e.location, at(19, 11));
    let e = only(&EXAMPLE.replace("  replicas: 10", "  replicas: 10\n  mountPath: data"));
    assert!(e.message.contains("absolute path"), "{}", e.message);
    let e = only(&EXAMPLE.replace("  replicas: 10", "  replicas: 10\n  runAsUser: 0"));
    assert_eq!(
        e.message,
        "`workload.runAsUser` must be at least 10000, got 0"
    );
    let e = only(&EXAMPLE.replace("  replicas: 10", "  replicas: 10\n  port: 70000"));
    assert_eq!(
        e.message,
        "`workload.port` must be at most 65535, got 70000"
    );
    let e = only(&EXAMPLE.replace("  replicas: 10", "  replicas: 10\n  port: 0"));
    assert_eq!(e.message, "`workload.port` must be at least 1, got 0");
    let e = errs("workload: {replicas: 2, volume: none}\n");
    assert_eq!(
        e.0[0].message,
        "missing required field `image` in `workload`"
    );
}

#[test]
fn provider_specific_blocks() {
    let e = only(&EXAMPLE.replace("  count: 10", "  count: 10\n  karpenter: {role: r}"));
    assert_eq!(
        e.message,
        "`karpenter` is only allowed with `provider: karpenter`, but the provider is `cluster-api`"
    );
    assert_eq!(e.location, at(4, 3));
    let e = only(&EXAMPLE.replace(
        "  count: 10",
        "  count: 10\n  provider: static\n  clusterApi: {}",
    ));
    assert!(
        e.message.starts_with("`clusterApi` is only allowed"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace(
        "size: 1Ti",
        "size: 1Ti\n    provider: aws-ebs\n    ceph: {pool: p}",
    ));
    assert!(
        e.message.starts_with("`ceph` is only allowed"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace("size: 1Ti", "size: 1Ti\n    fileSystemId: fs-1"));
    assert!(
        e.message
            .starts_with("`fileSystemId` is only allowed with `provider: aws-efs`"),
        "{}",
        e.message
    );
    let e = only(&EXAMPLE.replace("size: 1Ti", "size: 1Ti\n    provider: aws-efs"));
    assert_eq!(
        e.message,
        "`provider: aws-efs` needs `storage.volume.fileSystemId`"
    );
    assert_eq!(e.location, at(10, 15));
    let e = only(&EXAMPLE.replace(
        "  count: 10",
        "  count: 10\n  clusterApi: {kubernetesVersion: 1.33.1}",
    ));
    assert_eq!(hint(&e), "use `v1.33.1`");
}

#[test]
fn missing_required_fields_point_at_the_parent() {
    let e = only(&EXAMPLE.replace("    encryption: aes256\n", ""));
    assert_eq!(
        e.message,
        "missing required field `encryption` in `storage.volume`"
    );
    assert_eq!(e.location, at(7, 3));
    let e = only(&EXAMPLE.replace("  count: 10\n", ""));
    assert_eq!(e.message, "missing required field `count` in `nodePool`");
    assert_eq!(e.location, at(1, 1));
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
        EXAMPLE.replace("  count: 10", "  count: 0"),
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
fn sections_kept_as_written_still_answer_for_the_envelope() {
    // A name taken from a section nobody typed is still checked.
    let e = crate::parse_with(
        "workload: {name: My App}\n",
        "spec.yml",
        &[Section::Workload],
    )
    .expect_err("an invalid derived name");
    assert!(
        e.0[0]
            .message
            .contains("invalid spec name `My App` (from `workload.name`)"),
        "{e}"
    );
    assert_eq!(e.0[0].location, at(1, 18));
    // The baseline shorthand is one name; anything else is an error, not a silently skipped gate.
    let e = crate::parse_with(
        "nodePool: {name: p, baseline: [cis-level-2]}\n",
        "spec.yml",
        &[Section::NodePool],
    )
    .expect_err("a list in the shorthand");
    assert!(
        e.0[0]
            .message
            .contains("`nodePool.baseline` must be one baseline's name"),
        "{e}"
    );
}
