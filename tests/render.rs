//! The example end to end: golden output, formats, --out DIR, validate, plugins list.

use crate::support::{example, hms, root};

fn example_path() -> String {
    example().display().to_string()
}

/// Compares with tests/golden/NAME; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "output differs from {} (UPDATE_GOLDEN=1 rewrites it)\n--- actual\n{actual}",
        path.display()
    );
}

/// The rendered example as JSON objects.
pub fn rendered_example() -> Vec<serde_json::Value> {
    let run = hms(&["render", &example_path(), "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON list");
    list["items"].as_array().expect("items").clone()
}

#[test]
fn the_example_renders_the_golden_manifests() {
    let run = hms(&["render", &example_path()]);
    assert_eq!(run.code, 0, "{run:?}");
    golden("dcaa_cluster.yaml", &run.stdout);
}

#[test]
fn json_output_has_the_same_objects_in_apply_order() {
    let items = rendered_example();
    let kinds: Vec<&str> = items
        .iter()
        .map(|o| o["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "StorageClass",
            "PersistentVolumeClaim",
            "ServiceAccount",
            "NetworkPolicy",
            "MachineDeployment",
            "MachineHealthCheck",
            "Deployment"
        ]
    );
    for o in &items {
        assert_eq!(
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"], "hms-sys",
            "{o}"
        );
    }
}

#[test]
fn the_example_means_what_it_says() {
    let items = rendered_example();
    let find = |kind: &str| {
        items
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    let md = find("MachineDeployment");
    assert_eq!(md["spec"]["replicas"], 10);
    let deploy = find("Deployment");
    assert_eq!(deploy["spec"]["replicas"], 10);
    assert_eq!(deploy["metadata"]["namespace"], "dcaa-secure");
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][0]["image"], "ghcr.io/hms/dcaa-audit:v1.0");
    let mounts = pod["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts");
    assert!(
        mounts.iter().any(|m| m["mountPath"] == "/data/pdfs"),
        "{mounts:?}"
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    let selector = pod["nodeSelector"].as_object().expect("pinned to the pool");
    assert_eq!(
        selector
            .get("node.cluster.x-k8s.io/pool")
            .and_then(|v| v.as_str()),
        Some("dcaa-secure")
    );
    let pvc = find("PersistentVolumeClaim");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "1Ti");
    assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteMany");
    let sc = find("StorageClass");
    assert_eq!(sc["parameters"]["encrypted"], "true");
    let np = find("NetworkPolicy");
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "192.168.15.0/24"
    );
    assert_eq!(
        np["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert!(
        np["spec"]
            .get("egress")
            .is_none_or(|e| e.as_array().is_some_and(|a| a.is_empty())),
        "egress denied: {np}"
    );
    let ns = find("Namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
}

#[test]
fn render_to_a_directory_writes_one_file_per_object() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("manifests");
    let run = hms(&[
        "render",
        &example_path(),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "{files:?}");
    assert_eq!(files[0], "001-namespace-dcaa-secure.yaml");
    assert!(files.contains(&"kustomization.yaml".to_string()));
    assert!(
        !files.iter().any(|f| f.starts_with('.')),
        "no temporary files left: {files:?}"
    );
    // The files hold exactly what stdout would have.
    let stdout = hms(&["render", &example_path()]).stdout;
    let mut joined = String::new();
    for f in files.iter().filter(|f| *f != "kustomization.yaml") {
        joined.push_str("---\n");
        joined.push_str(&std::fs::read_to_string(out.join(f)).expect("file"));
    }
    assert_eq!(joined, stdout);
}

#[test]
fn validate_accepts_the_example() {
    let run = hms(&["validate", &example_path()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("is valid"), "{run:?}");
    assert!(
        run.stdout.contains("baseline cis-level-2 passed"),
        "{run:?}"
    );
}

#[test]
fn plugins_list_shows_every_bundled_plugin() {
    let run = hms(&["plugins", "list", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("json");
    let mut names: Vec<&str> = rows
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cis-level-2",
            "network-policy",
            "nodepool",
            "storage-csi",
            "workload"
        ]
    );
    for r in &rows {
        assert!(
            r["digest"].as_str().expect("digest").starts_with("sha256:"),
            "{r}"
        );
        assert_eq!(r["witVersion"], "0.2.0");
    }
    let table = hms(&["plugins", "list"]);
    assert!(table.stdout.starts_with("SERVES   NAME"), "{table:?}");
    assert_columns_line_up(&table.stdout);
}

/// Every column of a `plugins list` table starts where its header does.
pub fn assert_columns_line_up(table: &str) {
    let mut lines = table.lines();
    let header: Vec<char> = lines.next().expect("header").chars().collect();
    let starts: Vec<usize> = (1..header.len())
        .filter(|&i| header[i - 1] == ' ' && header[i] != ' ')
        .collect();
    assert_eq!(starts.len(), 6, "{table}");
    for line in lines {
        let line: Vec<char> = line.chars().collect();
        for &at in &starts {
            let starts_here = at >= line.len() || (line[at - 1] == ' ' && line[at] != ' ');
            assert!(starts_here, "column at {at} out of line:\n{table}");
        }
    }
}

#[test]
fn the_baseline_gate_refuses_a_namespace_without_a_network_fence() {
    let text = crate::support::example_with(
        "network:\n  policy:\n    name: dcaa-isolated\n    ingressCIDR: \"192.168.15.0/24\"\n    egress: \"deny-all\"\n",
        "",
    );
    let (_dir, path) = crate::support::spec_file(&text);
    let run = hms(&["render", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    for needle in [
        "the baseline refused the spec",
        "error[CIS-5.3.2]",
        "plugin `cis-level-2`",
        "dcaa-secure",
    ] {
        assert!(run.stderr.contains(needle), "missing {needle:?}\n{run:?}");
    }
}

#[test]
fn a_bad_limit_flag_is_a_usage_error() {
    let run = hms(&["validate", &example_path(), "--deadline", "nonsense"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--deadline \"nonsense\""), "{run:?}");
}
