//! Errors inside a section, where the plugin serving it judges it: its schema (each field)
//! and its own rules (fields that depend on each other, on another section, defaults). Each
//! runs `hms-sys validate` and checks message, hint and `line:column`, as hms-spec's unit
//! tests do for the envelope.

use crate::support::{example_with, validate_text};

/// One located error as `validate` prints it.
#[derive(Debug)]
struct Error {
    at: String,
    message: String,
    hint: String,
}

/// Every error `validate` prints for `text`, in order; the run must be refused with exit 3.
fn errors(text: &str) -> Vec<Error> {
    let (run, path) = validate_text(text);
    assert_eq!(run.code, 3, "{run:?}");
    let mut out: Vec<Error> = Vec::new();
    for line in run.stderr.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{path}:")) {
            let (at, rest) = rest.split_at(rest.find(": ").expect("location"));
            let message = rest[2..].split_once("]: ").map_or(rest, |(_, m)| m);
            let message = message
                .rsplit_once(" (plugin `")
                .map_or(message, |(m, _)| m);
            out.push(Error {
                at: at.to_string(),
                message: message.to_string(),
                hint: String::new(),
            });
        } else if let (Some(h), Some(last)) = (line.strip_prefix("  hint: "), out.last_mut()) {
            last.hint = h.to_string();
        }
    }
    assert!(!out.is_empty(), "no located error\n{run:?}");
    out
}

/// The only error for `text`.
fn only(text: &str) -> Error {
    let mut e = errors(text);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.remove(0)
}

fn with_storage(extra: &str) -> String {
    example_with(
        "    encryption: aes256\n",
        &format!("    encryption: aes256\n{extra}"),
    )
}

fn with_workload(extra: &str) -> String {
    example_with("  replicas: 10\n", &format!("  replicas: 10\n{extra}"))
}

fn with_pool(extra: &str) -> String {
    example_with("  count: 10\n", &format!("  count: 10\n{extra}"))
}

#[test]
fn unknown_fields_list_the_valid_ones() {
    let e = only(&with_storage("    flavour: x\n"));
    assert_eq!(e.message, "unknown field `flavour` in `storage.volume`");
    assert!(e.hint.starts_with("valid fields: `name`, `size`"), "{e:?}");
    assert_eq!(e.at, "11:5");
}

#[test]
fn every_section_error_at_once_in_file_order() {
    let text = example_with("count: 10", "count: 0")
        .replace("size: 1Ti", "size: 1TB")
        .replace("replicas: 10", "replicas: 0");
    let e = errors(&text);
    let found: Vec<(&str, &str)> = e
        .iter()
        .map(|e| (e.at.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("3:10", "`nodePool.count` must be at least 1, got 0"),
            (
                "9:11",
                "`storage.volume.size` `1TB` is not a valid quantity: `TB` is not a Kubernetes suffix"
            ),
            ("18:13", "`workload.replicas` must be at least 1, got 0"),
        ]
    );
    assert_eq!(e[1].hint, "use `1T` (decimal) or `1Ti` (binary)");
}

#[test]
fn types_and_quantities() {
    let e = only(&example_with("count: 10", "count: ten"));
    assert_eq!(
        (e.at.as_str(), e.message.as_str()),
        ("3:10", "`nodePool.count`: expected an integer, got `ten`")
    );
    let e = only(&with_workload("  resources: {requests: {cpu: 0}}\n"));
    assert_eq!(
        e.message,
        "`workload.resources.requests.cpu` must be greater than 0, got 0"
    );
    assert_eq!(e.at, "19:31");
    let e = only(&with_workload("  resources: {limits: {memory: 0Gi}}\n"));
    assert!(e.message.ends_with("must be greater than zero"), "{e:?}");
    // A number is a quantity too.
    let (run, _) = validate_text(&with_workload("  resources: {limits: {cpu: 2}}\n"));
    assert_eq!(run.code, 0, "{run:?}");
    // A version YAML reads as a number must be quoted, and the error says so.
    let e = only(&with_pool(
        "  provider: karpenter\n  karpenter: {kubernetesVersion: 1.30}\n",
    ));
    assert_eq!(
        e.message,
        "`nodePool.karpenter.kubernetesVersion`: expected a string, got `1.3`"
    );
    assert_eq!(
        e.hint,
        "YAML reads `1.3` as a number: put the value in quotes to keep it as written"
    );
}

#[test]
fn images_are_references() {
    let e = only(&example_with(
        "ghcr.io/hms/dcaa-audit:v1.0",
        "ghcr.io/HMS/dcaa-audit:v1.0",
    ));
    assert_eq!(
        e.message,
        "`workload.image` `ghcr.io/HMS/dcaa-audit:v1.0` is not a valid image reference: repository name must be lowercase"
    );
    assert_eq!(e.at, "17:10");
    let e = only(&example_with(
        ":v1.0",
        "@sha256:0123456789abcdef0123456789abcdef01234567",
    ));
    assert!(
        e.message.contains("invalid checksum digest length"),
        "{e:?}"
    );
}

#[test]
fn enums_suggest() {
    let e = only(&example_with("encryption: aes256", "encryption: aes-256"));
    assert_eq!(e.message, "`storage.volume.encryption` cannot be `aes-256`");
    assert_eq!(e.hint, "did you mean `aes256`?");
    assert_eq!(
        only(&with_pool("  provider: karpentr\n")).hint,
        "did you mean `karpenter`?"
    );
    assert_eq!(
        only(&with_storage("    accessMode: ReadWriteManny\n")).hint,
        "did you mean `ReadWriteMany`?"
    );
}

#[test]
fn required_fields_are_reported_at_their_parent() {
    let e = only(&example_with("    encryption: aes256\n", ""));
    assert_eq!(
        e.message,
        "missing required field `encryption` in `storage.volume`"
    );
    assert_eq!(e.at, "7:3");
    let e = only(&example_with("  count: 10\n", ""));
    assert_eq!(
        (e.at.as_str(), e.message.as_str()),
        ("1:1", "missing required field `count` in `nodePool`")
    );
    let e = only("workload: {replicas: 2, volume: none, name: w}\n");
    assert_eq!(e.message, "missing required field `image` in `workload`");
}

#[test]
fn the_workload_volume_follows_the_storage_section() {
    let text = example_with(
        "storage:\n  volume:\n    name: contract-pdfs\n    size: 1Ti\n    encryption: aes256\n",
        "",
    );
    let e = only(&text);
    assert_eq!(
        e.message,
        "the workload mounts a volume but the spec has no `storage` section"
    );
    assert_eq!(
        e.hint,
        "add a `storage:` section (see examples/dcaa_cluster.yml) or set `workload.volume: none`"
    );
    assert_eq!(e.at, "11:1");
    let (run, _) = validate_text(&format!("{text}  volume: none\n"));
    assert_eq!(run.code, 0, "{run:?}");
    let e = only(&with_workload("  volume: contract-pdf\n"));
    assert_eq!(
        e.message,
        "`workload.volume` `contract-pdf` does not name the storage volume `contract-pdfs`"
    );
    assert_eq!(
        (e.at.as_str(), e.hint.as_str()),
        ("19:11", "use `volume: contract-pdfs` or `volume: none`")
    );
    let e = only(&with_workload("  mountPath: data\n"));
    assert_eq!(
        e.message,
        "`workload.mountPath` must be an absolute path, got `data`"
    );
    assert_eq!(e.hint, "use `/data`");
}

#[test]
fn workload_numbers_have_bounds() {
    for (extra, message) in [
        (
            "  runAsUser: 0\n",
            "`workload.runAsUser` must be at least 10000, got 0",
        ),
        (
            "  port: 70000\n",
            "`workload.port` must be at most 65535, got 70000",
        ),
        ("  port: 0\n", "`workload.port` must be at least 1, got 0"),
    ] {
        assert_eq!(only(&with_workload(extra)).message, message);
    }
}

#[test]
fn a_provider_block_fits_its_provider() {
    let e = only(&with_pool("  karpenter: {role: r}\n"));
    assert_eq!(
        e.message,
        "`karpenter` is only allowed with `provider: karpenter`, but the provider is `cluster-api`"
    );
    assert_eq!(
        (e.at.as_str(), e.hint.as_str()),
        ("4:3", "remove `karpenter`, or set `provider: karpenter`")
    );
    let e = only(&with_pool("  provider: static\n  clusterApi: {}\n"));
    assert!(
        e.message.starts_with("`clusterApi` is only allowed"),
        "{e:?}"
    );
    let e = only(&with_storage(
        "    provider: aws-ebs\n    ceph: {pool: p}\n",
    ));
    assert!(e.message.starts_with("`ceph` is only allowed"), "{e:?}");
    let e = only(&with_storage("    fileSystemId: fs-1\n"));
    assert!(
        e.message
            .starts_with("`fileSystemId` is only allowed with `provider: aws-efs`"),
        "{e:?}"
    );
    let e = only(&with_storage("    provider: aws-efs\n"));
    assert!(
        e.message
            .starts_with("`provider: aws-efs` needs `storage.volume.fileSystemId`"),
        "{e:?}"
    );
    assert_eq!(e.at, "11:15");
    let e = only(&with_pool("  clusterApi: {kubernetesVersion: v1}\n").replace("v1}", "'1.33.1'}"));
    assert_eq!(e.hint, "use `v1.33.1`");
}

#[test]
fn defaults_are_the_plugins_and_render_as_before() {
    // The example writes none of provider, access mode, Ceph names, workload name, volume,
    // mount path, user or resources: the plugins fill them in (tests/golden has the result).
    let (run, _) = validate_text(&with_pool("  provider: static\n"));
    assert_eq!(run.code, 0, "{run:?}");
    let run = crate::support::hms(&["render", crate::support::example().to_str().expect("utf-8")]);
    for fact in [
        "clusterName: dcaa-secure",
        "accessModes:\n  - ReadWriteMany",
        "pool: myfs-replicated",
        "mountPath: /data/pdfs",
        "runAsUser: 10001",
        "name: dcaa-audit",
    ] {
        assert!(
            run.stdout.contains(fact),
            "{fact:?} not rendered\n{}",
            run.stdout
        );
    }
}
