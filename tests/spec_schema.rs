//! `hms-sys schema [SPEC]`: the JSON Schema an editor (yaml-language-server) checks a spec
//! with. The examples validate against it; a field the host refuses fails it.

use crate::support::{self, hms};

fn schema(args: &[&str]) -> jsonschema::Validator {
    let mut argv = vec!["schema"];
    argv.extend_from_slice(args);
    let run = hms(&argv);
    assert_eq!(run.code, 0, "{run:?}");
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    // As an editor does: the host's named formats are unknown to it, and annotations only.
    jsonschema::draft202012::new(&schema).expect("the printed schema compiles")
}

fn yaml(text: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(text).expect("YAML")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_canonical_example_fits_the_bundled_schema() {
    let v = schema(&[]);
    let example = yaml(&std::fs::read_to_string(support::example()).expect("example"));
    assert_eq!(errors(&v, &example), Vec::<String>::new());
    // The starter `init` writes too.
    assert!(v.is_valid(&yaml(hms_sys::cmd_init::STARTER)));
}

#[test]
fn fields_the_host_refuses_fail_the_schema() {
    let v = schema(&[]);
    let example = std::fs::read_to_string(support::example()).expect("example");
    let cases = [
        format!("colour: blue\n{example}"),
        example.replace("  count: 10", "  cout: 10"),
        example.replace("  replicas: 10", "  replicas: ten"),
        example.replace("egress: \"deny-all\"", "egress: \"allow-all\""),
        format!("namespace: kube-system\n{example}"),
        format!("plugins:\n  storag: storage-csi\n{example}"),
        format!(
            "baseline:\n  name: cis-level-2\n  profile: lax\n{}",
            example.replace("  baseline: cis-level-2\n", "")
        ),
        "name: x\n".to_string(),
    ];
    for text in cases {
        assert!(!v.is_valid(&yaml(&text)), "should fail the schema:\n{text}");
    }
    // The shorthand and the mapping forms of `baseline` are fine.
    let mapping = format!(
        "baseline:\n  - name: cis-level-2\n    profile: baseline\n{}",
        example.replace("  baseline: cis-level-2\n", "")
    );
    assert_eq!(errors(&v, &yaml(&mapping)), Vec::<String>::new());
}

/// With a spec, its own plugins' section schemas: the agency's storage fields validate, and the
/// bundled storage fields it does not have do not.
#[test]
fn a_spec_s_schema_has_its_own_plugins_sections() {
    let text = std::fs::read_to_string(support::agency_example()).expect("agency spec");
    let (_dir, path) = support::agency_project(&text);
    let v = schema(&[path.to_str().expect("utf-8 path")]);
    assert_eq!(errors(&v, &yaml(&text)), Vec::<String>::new());
    let bundled_field = text.replace("    tier: gold\n", "    encryption: aes256\n");
    assert!(!v.is_valid(&yaml(&bundled_field)), "{bundled_field}");
    let params = text.replace(
        "approvedRegistries: [ghcr.io/hms/]",
        "approvedRegistries: []",
    );
    assert!(
        !v.is_valid(&yaml(&params)),
        "agency-rules' own schema: {params}"
    );
    // The bundled schema does not know the agency's storage fields.
    let bundled = schema(&[]);
    assert!(!bundled.is_valid(&yaml(&text)));
}

#[test]
fn the_readme_shows_the_editor_line() {
    let readme = std::fs::read_to_string(support::root().join("README.md")).expect("README");
    assert!(
        readme.contains("# yaml-language-server: $schema="),
        "README"
    );
    assert!(readme.contains("hms-sys schema"), "README");
}
