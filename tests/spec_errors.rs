//! Each class of bad spec gives a clear message at the right file:line:column, and exit 3.

use crate::support::{example_with, validate_text};

/// Asserts that `validate` refused `text` with exit 3, at `line:col`, saying each of `needles`.
fn refused(text: &str, line_col: &str, needles: &[&str]) {
    let (run, path) = validate_text(text);
    assert_eq!(run.code, 3, "{run:?}");
    let at = format!("{path}:{line_col}: ");
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&at))
        .unwrap_or_else(|| panic!("no error at {at}\n{run:?}"));
    let block = &run.stderr[run.stderr.find(line).unwrap_or(0)..];
    for n in needles {
        assert!(
            block.contains(n),
            "missing {n:?} in the error at {at}\n{run:?}"
        );
    }
}

#[test]
fn unknown_field_suggests_the_right_one() {
    refused(
        &example_with("count: 10", "cout: 10"),
        "3:3",
        &["unknown field `cout`", "did you mean `count`?"],
    );
}

#[test]
fn unknown_top_level_section_suggests_the_right_one() {
    refused(
        &example_with("storage:\n", "sotrage:\n"),
        "6:1",
        &["sotrage", "did you mean `storage`?"],
    );
}

#[test]
fn count_and_replicas_must_be_at_least_one() {
    refused(
        &example_with("count: 10", "count: 0"),
        "3:10",
        &["at least 1"],
    );
    refused(
        &example_with("replicas: 10", "replicas: 0"),
        "18:13",
        &["at least 1"],
    );
}

#[test]
fn sizes_must_be_kubernetes_quantities() {
    refused(
        &example_with("size: 1Ti", "size: 1TB"),
        "9:11",
        &["1TB", "1Ti"],
    );
    refused(
        &example_with("size: 1Ti", "size: -5Gi"),
        "9:11",
        &["-5Gi", "greater than zero"],
    );
    refused(&example_with("size: 1Ti", "size: lots"), "9:11", &["lots"]);
}

#[test]
fn cidrs_are_parsed_and_checked() {
    refused(
        &example_with("192.168.15.0/24", "192.168.15.0/33"),
        "14:18",
        &["192.168.15.0/33"],
    );
    refused(
        &example_with("192.168.15.0/24", "192.168.15.7/24"),
        "14:18",
        &["192.168.15.0/24"],
    );
}

#[test]
fn image_references_are_parsed() {
    refused(
        &example_with("ghcr.io/hms/dcaa-audit:v1.0", "ghcr.io/HMS/dcaa-audit:v1.0"),
        "17:10",
        &["image"],
    );
}

#[test]
fn names_must_be_dns_labels() {
    refused(
        &example_with("name: dcaa-secure", "name: DCAA_secure"),
        "2:9",
        &["DCAA_secure", "DNS-1123"],
    );
}

#[test]
fn the_workload_volume_must_exist() {
    let text = example_with("replicas: 10", "replicas: 10\n  volume: missing-volume");
    refused(&text, "19:11", &["missing-volume", "contract-pdfs"]);
}

#[test]
fn deleting_the_storage_stanza_is_a_clear_error() {
    let text = example_with(
        "storage:\n  volume:\n    name: contract-pdfs\n    size: 1Ti\n    encryption: aes256\n",
        "",
    );
    refused(
        &text,
        "11:1",
        &["no `storage` section", "workload.volume: none"],
    );
}

#[test]
fn deleting_the_storage_stanza_makes_render_fail_too() {
    let text = example_with(
        "storage:\n  volume:\n    name: contract-pdfs\n    size: 1Ti\n    encryption: aes256\n",
        "",
    );
    let (_dir, path) = crate::support::spec_file(&text);
    let run = crate::support::hms(&["render", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is rendered: {run:?}");
    assert!(run.stderr.contains("no `storage` section"), "{run:?}");
}

#[test]
fn karpenter_cannot_promise_fips_ubuntu_and_names_alternatives() {
    let text = example_with(
        "  baseline: cis-level-2\n",
        "  baseline: cis-level-2\n  provider: karpenter\n",
    );
    refused(
        &text,
        "4:12",
        &["plugin `nodepool`", "fips-bottlerocket", "cluster-api"],
    );
}

#[test]
fn block_storage_cannot_serve_ten_replicas() {
    let text = example_with(
        "    encryption: aes256\n",
        "    encryption: aes256\n    provider: aws-ebs\n",
    );
    refused(&text, "7:3", &["plugin `storage-csi`", "ReadWriteMany"]);
}

#[test]
fn yaml_syntax_errors_are_located() {
    let (run, path) = validate_text("nodePool:\n  name: [unclosed\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.starts_with(&format!("{path}:")), "{run:?}");
}

#[test]
fn empty_spec_is_a_clear_error() {
    let (run, _) = validate_text("");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(!run.stderr.is_empty(), "{run:?}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let run = crate::support::hms(&["validate", "/nonexistent/spec.yml"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("/nonexistent/spec.yml"), "{run:?}");
}

#[test]
fn problems_are_json_lines_for_machines() {
    let (_dir, path) = crate::support::spec_file(&example_with("count: 10", "count: 0"));
    let run = crate::support::hms(&[
        "--log-format",
        "json",
        "validate",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let line = run.stderr.lines().next().expect("a line");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(v["type"], "problem");
    assert_eq!(v["problem"]["severity"], "error");
    assert_eq!(v["problem"]["location"], format!("{}:3:10", path.display()));
    assert!(
        v["problem"]["message"]
            .as_str()
            .expect("message")
            .contains("at least 1"),
        "{v}"
    );
}

#[test]
fn a_byte_order_mark_changes_nothing() {
    let bom = |text: &str| format!("\u{feff}{text}");
    let example = std::fs::read_to_string(crate::support::example()).expect("example");
    let (run, _) = validate_text(&bom(&example));
    assert_eq!(run.code, 0, "{run:?}");
    // The same errors at the same places, on the first line and further down.
    let bad_namespace = format!("namespace: Bad_NS\n{example}");
    let zero_count = example_with("count: 10", "count: 0");
    for text in [bad_namespace.clone(), bom(&bad_namespace)] {
        refused(&text, "1:12", &["Bad_NS"]);
    }
    for text in [zero_count.clone(), bom(&zero_count)] {
        refused(&text, "3:10", &["at least 1"]);
    }
}

/// Runs `hms-sys validate PATH` as a child process, killed after 30 s (a guard against the hang
/// this tests for, not a timing assertion), and asserts it refused PATH with exit 3 saying each
/// of `needles`.
fn refused_file(path: &std::path::Path, needles: &[&str]) {
    let cache = crate::support::cache_dir().display().to_string();
    let args = [
        "validate".to_string(),
        path.display().to_string(),
        "--cache-dir".into(),
        cache,
    ];
    let child = crate::support::spawn_hms(&args);
    let run = crate::support::wait_child(child, std::time::Duration::from_secs(30));
    assert_eq!(run.code, 3, "{run:?}");
    let at = format!(
        "{}:1:1: error[HMS-SPEC]: cannot read the spec file: ",
        path.display()
    );
    assert!(run.stderr.starts_with(&at), "{run:?}");
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?}\n{run:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("spec.yml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let not_regular = format!(
        "`{}` is not a regular file (a FIFO or device)",
        fifo.display()
    );
    refused_file(
        &fifo,
        &[&not_regular, "hint: give the path of a regular file"],
    );
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_without_reading_it() {
    refused_file(
        std::path::Path::new("/dev/zero"),
        &[
            "`/dev/zero` is not a regular file (a FIFO or device)",
            "hint: give the path of a regular file",
        ],
    );
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let is_dir = format!("`{}` is a directory", dir.path().display());
    refused_file(
        dir.path(),
        &[&is_dir, "hint: give the path of a file in it"],
    );
}

#[test]
fn a_spec_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("spec.yml");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(hms_spec::MAX_SPEC_BYTES + 1))
        .expect("sparse file");
    refused_file(&big, &["is larger than the limit of 4 MiB"]);
}

/// The network plugin owns its section: its schema (with the host's `cidr` and `dns1123-label`
/// formats) gives the same messages, hints and locations the host's model used to.
#[test]
fn the_network_section_is_judged_by_its_plugin_with_the_same_quality() {
    let cidr = "\"192.168.15.0/24\"";
    refused(
        &example_with(cidr, "192.168.15.1/24"),
        "14:18",
        &[
            "`network.policy.ingressCIDR` `192.168.15.1/24` has host bits set",
            "(plugin `network-policy`)",
            "hint: use the network address `192.168.15.0/24`",
        ],
    );
    refused(
        &example_with(cidr, "10.0.0.1"),
        "14:18",
        &["has no prefix length", "add one, e.g. `10.0.0.1/32`"],
    );
    refused(
        &example_with(cidr, "'fd00::1/64'"),
        "14:18",
        &["use the network address `fd00::/64`"],
    );
    refused(
        &example_with("egress: \"deny-all\"", "egress: deny-al"),
        "15:13",
        &[
            "`network.policy.egress` cannot be `deny-al`",
            "did you mean `deny-all`?",
        ],
    );
    refused(
        &example_with("name: dcaa-isolated", "name: dcaa_isolated"),
        "13:11",
        &["found '_'"],
    );
    refused(
        &example_with(
            "    egress: \"deny-all\"\n",
            "    egress: \"deny-all\"\n    allowDSN: true\n",
        ),
        "16:5",
        &[
            "unknown field `allowDSN` in `network.policy`",
            "did you mean `allowDNS`?",
        ],
    );
    refused(
        &example_with(&format!("    ingressCIDR: {cidr}\n"), ""),
        "12:3",
        &["missing required field `ingressCIDR` in `network.policy`"],
    );
}

/// Errors the host's model finds and errors a plugin's schema finds are reported together,
/// in file order.
#[test]
fn every_error_at_once_whoever_owns_the_field() {
    let text = example_with("count: 10", "count: 0")
        .replace("\"192.168.15.0/24\"", "192.168.15.1/24")
        .replace("replicas: 10", "replicas: 0");
    let (run, path) = validate_text(&text);
    assert_eq!(run.code, 3, "{run:?}");
    let at: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with(&path))
        .map(|l| {
            &l[path.len()
                ..l[path.len()..]
                    .find(": ")
                    .map_or(l.len(), |i| path.len() + i)]
        })
        .collect();
    assert_eq!(at, [":3:10", ":14:18", ":18:13"], "{run:?}");
}
