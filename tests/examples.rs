//! The agency example (examples/agency, examples/README.md) through the real CLI: the committed
//! spec with the two example plugins built from examples/plugins, laid out as the walk-through
//! lays it out; then each thing the walk-through says goes wrong, going wrong that way.

use std::path::Path;

use serde_json::Value;

use crate::support::{Run, agency_example, agency_project, hms, root};

/// The committed spec, read from the repository (never a copy kept here).
fn agency_spec() -> String {
    std::fs::read_to_string(agency_example()).expect("examples/agency/spec.yml")
}

/// The committed spec with `from` replaced by `to` (`from` must occur exactly once).
fn agency_with(from: &str, to: &str) -> String {
    let text = agency_spec();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur once in the agency spec"
    );
    text.replace(from, to)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

fn has(run: &Run, needles: &[&str]) {
    for n in needles {
        assert!(run.stderr.contains(n), "missing {n:?}\n{run:?}");
    }
}

/// `line:column` (1-based) where `needle` starts in `text`, as the host reports locations.
fn location(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    format!("{line}:{column}")
}

/// The rendered objects of `spec` as JSON.
fn render_json(spec: &Path) -> Vec<Value> {
    let run = hms(&["render", p(spec), "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: Value = serde_json::from_str(&run.stdout).expect("JSON list");
    list["items"].as_array().expect("items").clone()
}

#[test]
fn the_committed_spec_is_the_one_tested_and_the_walk_through_names_its_plugins() {
    let committed = std::fs::read(agency_example()).expect("spec");
    let (_d, spec) = agency_project(&agency_spec());
    assert_eq!(
        std::fs::read(&spec).expect("copy"),
        committed,
        "the project uses the spec byte for byte"
    );
    // The walk-through copies each plugin the spec names to where the spec looks for it.
    let readme = std::fs::read_to_string(root().join("examples/README.md")).expect("README");
    let text = agency_spec();
    for file in ["netapp-trident.wasm", "agency-rules.wasm"] {
        assert!(
            text.contains(&format!("./plugins/{file}")),
            "the spec names {file}"
        );
        assert!(spec.with_file_name("plugins").join(file).is_file());
        assert!(
            readme.contains(&format!("examples/agency/plugins/{file}")),
            "examples/README.md copies {file} to examples/agency/plugins/"
        );
    }
}

#[test]
fn the_agency_example_validates_with_its_storage_plugin_and_both_baselines() {
    let (_d, spec) = agency_project(&agency_spec());
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    for needle in [
        "is valid: 4 sections (nodePool, storage, network, workload)",
        "baselines cis-level-2, agency-rules passed",
        "storage by plugin netapp-trident 0.1.0 from",
        "plugins/netapp-trident.wasm (named in the spec), sha256:",
        "baseline by plugin agency-rules 0.1.0 from",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?}\n{run:?}");
    }
    let list = hms(&["plugins", "list", p(&spec), "-o", "json"]);
    assert_eq!(list.code, 0, "{list:?}");
    let rows: Value = serde_json::from_str(&list.stdout).expect("json");
    let serving = |section: &str| -> Vec<(String, String)> {
        rows.as_array()
            .expect("rows")
            .iter()
            .filter(|r| r["section"] == section)
            .map(|r| {
                let name = r["name"].as_str().unwrap_or_default().to_string();
                (
                    name,
                    r["origin"]["kind"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        serving("storage"),
        [("netapp-trident".to_string(), "spec".to_string())]
    );
    let baselines: Vec<String> = serving("baseline").into_iter().map(|(n, _)| n).collect();
    assert_eq!(baselines, ["cis-level-2", "agency-rules"]);
    // The table keeps its columns in line around the long paths of the agency's plugins.
    let table = hms(&["plugins", "list", p(&spec)]);
    assert!(table.stdout.contains("netapp-trident.wasm"), "{table:?}");
    crate::render::assert_columns_line_up(&table.stdout);
}

#[test]
fn the_agency_example_renders_a_trident_class_whose_claim_the_workload_mounts() {
    let (_d, spec) = agency_project(&agency_spec());
    let items = render_json(&spec);
    let find = |kind: &str| {
        items
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {items:?}"))
    };
    let sc = find("StorageClass");
    assert_eq!(sc["provisioner"], "csi.trident.netapp.io");
    let params = &sc["parameters"];
    assert_eq!(params["backendType"], "ontap-nas");
    assert_eq!(params["selector"], "tier=gold");
    assert_eq!(params["encryption"], "true");
    assert_eq!(params["storagePools"], "svm_dcaa:.*");
    let pvc = find("PersistentVolumeClaim");
    assert_eq!(pvc["metadata"]["name"], "contract-pdfs");
    assert_eq!(pvc["metadata"]["namespace"], "dcaa-secure");
    assert_eq!(pvc["spec"]["storageClassName"], sc["metadata"]["name"]);
    assert_eq!(
        pvc["spec"]["accessModes"],
        serde_json::json!(["ReadWriteMany"])
    );
    // The bundled workload plugin mounts the claim named by storage.volume.name.
    let pod = &find("Deployment")["spec"]["template"]["spec"];
    let volume = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == "contract-pdfs")
        .unwrap_or_else(|| panic!("the Deployment does not mount the claim: {pod}"));
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == volume["name"])
        .expect("a mount of the claim's volume");
    assert_eq!(mount["mountPath"], "/data/pdfs");
    for o in &items {
        assert_eq!(o["metadata"]["labels"]["hms.io/spec"], "dcaa-secure", "{o}");
    }
}

#[test]
fn a_typo_in_the_plugins_own_fields_is_located_with_did_you_mean() {
    let text = agency_with("tier: gold", "tier: goldd");
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "goldd");
    has(
        &run,
        &[
            &format!(
                "spec.yml:{at}: error[HMS-SECTION-SCHEMA]: `storage.volume.tier` cannot be `goldd`"
            ),
            "(plugin `netapp-trident`)",
            "did you mean `gold`?",
        ],
    );
    assert!(run.stdout.is_empty(), "{run:?}");

    // An unknown field, located at its key.
    let text = agency_with(
        "    svm: svm_dcaa\n",
        "    svm: svm_dcaa\n    encrypton: true\n",
    );
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "encrypton");
    has(
        &run,
        &[
            &format!(
                "spec.yml:{at}: error[HMS-SECTION-SCHEMA]: unknown field `encrypton` in `storage.volume`"
            ),
            "did you mean `encryption`?",
        ],
    );
}

#[test]
fn encryption_false_is_refused_by_the_plugin_with_its_reason() {
    let text = agency_with(
        "    svm: svm_dcaa\n",
        "    svm: svm_dcaa\n    encryption: false\n",
    );
    let (_d, spec) = agency_project(&text);
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "false");
    has(
        &run,
        &[
            &format!("spec.yml:{at}: error[TRIDENT-ENCRYPTION]: encryption cannot be turned off"),
            "encrypted at rest",
            "(plugin `netapp-trident`)",
            "true is the default",
        ],
    );
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn an_image_from_an_unapproved_registry_is_refused_by_agency_rules() {
    let text = agency_with(
        "image: ghcr.io/hms/dcaa-audit:v1.0",
        "image: docker.io/library/nginx:1.27",
    );
    let (_d, spec) = agency_project(&text);
    let run = hms(&["render", p(&spec)]);
    assert_eq!(run.code, 5, "{run:?}");
    has(
        &run,
        &[
            "error[AGENCY-REGISTRY]: Deployment dcaa-secure/nginx runs image `docker.io/library/nginx:1.27`",
            "plugin `agency-rules`",
            "object apps.Deployment/dcaa-secure/nginx at /spec/template/spec/containers/0/image",
            "use an image from ghcr.io/hms/",
        ],
    );
    assert!(!run.stderr.contains("AGENCY-REQUIRED-LABEL"), "{run:?}");
    assert!(run.stdout.is_empty(), "nothing is rendered: {run:?}");
}

#[test]
fn without_required_labels_the_owner_label_is_required_and_missing() {
    let text = agency_with(
        "    requiredLabels: [hms.io/spec, app.kubernetes.io/managed-by]\n",
        "",
    );
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 5, "{run:?}");
    has(
        &run,
        &[
            "error[AGENCY-REQUIRED-LABEL]: Deployment dcaa-secure/dcaa-audit has no label `hms.io/owner`",
            "plugin `agency-rules`",
            "at /metadata/labels",
        ],
    );
    // One finding per rendered object.
    assert_eq!(
        run.stderr.matches("error[AGENCY-REQUIRED-LABEL]").count(),
        8,
        "{run:?}"
    );

    // The agency's parameters are judged by the plugin's schema, located in the spec.
    let text = agency_with("approvedRegistries:", "approvedRegistrys:");
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "approvedRegistrys");
    has(
        &run,
        &[
            &format!("spec.yml:{at}: error[HMS-SECTION-SCHEMA]: unknown field `approvedRegistrys`"),
            "did you mean `approvedRegistries`?",
        ],
    );
}

#[test]
fn pinned_digests_are_checked() {
    let digest = |f: &str| hms_plugin::digest_of(&std::fs::read(f).expect("read"));
    let storage = digest(env!("NETAPP_TRIDENT_WASM"));
    let baseline = digest(env!("AGENCY_RULES_WASM"));
    let pinned = agency_with(
        "./plugins/netapp-trident.wasm\n",
        &format!("./plugins/netapp-trident.wasm@{storage}\n"),
    )
    .replace(
        "./plugins/agency-rules.wasm\n",
        &format!("./plugins/agency-rules.wasm@{baseline}\n"),
    );
    let (_d, spec) = agency_project(&pinned);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&storage) && run.stdout.contains(&baseline),
        "{run:?}"
    );

    // Another build of the storage plugin than the one pinned: refused, located at the pin.
    let wrong = pinned.replace(&storage[7..], &"0".repeat(64));
    let (_d, spec) = agency_project(&wrong);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&wrong, "./plugins/netapp-trident.wasm@");
    has(
        &run,
        &[
            &format!("spec.yml:{at}: error[HMS-PLUGIN-PIN]"),
            &format!("has digest {storage}, but the spec pins sha256:0000"),
        ],
    );
}

#[test]
fn a_kind_outside_the_storage_allow_list_needs_a_grant() {
    let quota = agency_with("    svm: svm_dcaa\n", "    svm: svm_dcaa\n  quota: 2Ti\n");
    let (_d, spec) = agency_project(&quota);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 4, "{run:?}");
    has(
        &run,
        &[
            "error[HMS-FORBIDDEN-KIND]: emitted a ResourceQuota, a kind outside what a storage plugin may emit, and the spec does not grant it",
            "grants: {netapp-trident: [ResourceQuota]}",
        ],
    );
    let (_d, spec) = agency_project(&format!(
        "{quota}grants:\n  netapp-trident: [ResourceQuota]\n"
    ));
    let items = render_json(&spec);
    let q = items
        .iter()
        .find(|o| o["kind"] == "ResourceQuota")
        .expect("the granted ResourceQuota");
    assert_eq!(
        q["spec"]["hard"]["contract-pdfs-gold-encrypted.storageclass.storage.k8s.io/requests.storage"],
        "2Ti"
    );
}

#[test]
fn the_hosts_named_formats_judge_a_plugins_fields_with_the_hosts_messages() {
    // `size` is `"format": "k8s-quantity"` in the plugin's schema: the host's quantity rule,
    // with the same reason and hint the bundled storage section gets.
    let text = agency_with("size: 1Ti", "size: 1TB");
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "1TB");
    has(
        &run,
        &[
            &format!(
                "spec.yml:{at}: error[HMS-SECTION-SCHEMA]: `storage.volume.size` `1TB` is not a valid quantity"
            ),
            "hint: use `1T` (decimal) or `1Ti` (binary)",
        ],
    );
    // A missing required field is reported at its parent.
    let text = agency_with("    svm: svm_dcaa\n", "");
    let (_d, spec) = agency_project(&text);
    let run = hms(&["validate", p(&spec)]);
    assert_eq!(run.code, 3, "{run:?}");
    let at = location(&text, "volume:");
    has(
        &run,
        &[&format!(
            "spec.yml:{at}: error[HMS-SECTION-SCHEMA]: missing required field `svm` in `storage.volume`"
        )],
    );
}
