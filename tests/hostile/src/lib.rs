//! A deliberately hostile section plugin: the section's `mode` picks which limit it breaks.
//!
//! Modes (from `mode`, or the last path part of `image`): `ok`, `loop`, `sleep`, `memory`, `stack`, `big-output`, `forbidden-kind`
//! (a cluster-admin ClusterRoleBinding), `webhook`, `kube-system`, `privileged-namespace`, `bad-kind`,
//! `bad-json`, `not-object`, `panic`, `read-file`, `env`, `control-chars` (a warning whose code,
//! message and hint carry a forged `error[...]` line, ANSI and OSC escapes and a bidi override),
//! `huge-string` (one 60 MiB string), `many-objects` (50,000 small ConfigMaps), `crd` (its
//! namespace, a namespaced CustomResourceDefinition `widgets.example.hms.io` and a `Widget` of
//! it: power kinds it may emit only when granted), `widget` (that Widget alone).
//!
//! Only the wasm32 build has content; a native `cargo test --workspace` compiles an empty crate.
#![cfg(target_arch = "wasm32")]

// Raw bindings on purpose (it returns text that is not JSON, which the SDK cannot express),
// from the WIT the SDK carries.
wit_bindgen::generate!({ world: "section-plugin", path: "../../plugins/sdk/wit/since_v0.1.0" });

use exports::hms::sys::section::Guest;
use hms::sys::types::{Context, Diagnostic, KindRef, PluginMetadata, RenderOutput, Severity};

struct Hostile;

fn output(manifests: Vec<String>, diagnostics: Vec<Diagnostic>) -> RenderOutput {
    RenderOutput {
        manifests,
        diagnostics,
        node_selector: Vec::new(),
    }
}

fn report(message: String) -> RenderOutput {
    let d = Diagnostic {
        severity: Severity::Error,
        code: "HOSTILE-REPORT".into(),
        message,
        path: String::new(),
        hint: String::new(),
        object: None,
    };
    output(Vec::new(), vec![d])
}

fn config_map(name: &str, data: &str) -> String {
    serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "hostile"},
        "data": {"value": data},
    })
    .to_string()
}

/// Text a terminal would act on: a newline starting a forged error line, a colour escape, an
/// OSC sequence that sets the window title, and a right-to-left override.
const FORGED: &str =
    "\n error[HMS-FAKE]: forged \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \u{202e}desrever";

/// The namespace, a CRD and an object of it, in apply order's reverse: the host sorts them.
fn crd_and_widget(namespace: &str) -> Vec<String> {
    let widget = serde_json::json!({
        "apiVersion": "example.hms.io/v1", "kind": "Widget",
        "metadata": {"name": "w1", "namespace": namespace},
        "spec": {"size": 1},
    });
    let crd = serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.hms.io"},
        "spec": {
            "group": "example.hms.io",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            }],
        },
    });
    let ns = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": namespace},
    });
    [widget, crd, ns].iter().map(ToString::to_string).collect()
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    if n == u64::MAX {
        0
    } else {
        recurse(std::hint::black_box(n + 1)) + 1
    }
}

impl Guest for Hostile {
    fn metadata() -> PluginMetadata {
        PluginMetadata {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            wit_version: "0.1.0".into(),
            section: "workload".into(),
            description: "breaks one sandbox limit per mode (tests only)".into(),
            // It declares what it wants; the host decides what a workload plugin may emit.
            emits: [
                ("", "ConfigMap"),
                ("", "Namespace"),
                ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
                (
                    "admissionregistration.k8s.io",
                    "MutatingWebhookConfiguration",
                ),
                ("apiextensions.k8s.io", "CustomResourceDefinition"),
                ("example.hms.io", "Widget"),
            ]
            .into_iter()
            .map(|(group, kind)| KindRef {
                group: group.into(),
                kind: kind.into(),
            })
            .collect(),
            // Its explanations (`hms-sys explain`) try to forge lines and reorder text.
            section_schema: r#"{"type":"object","x-hms-explain":{"HOSTILE-ESCAPE":{
                "summary":"forged\u001b[2J\nerror[HMS-SPEC]: fake","why":"\u202ereversed",
                "control":"","fix":"\r\u009bclear"}}}"#
                .into(),
        }
    }

    fn render(section: String, ctx: Context) -> RenderOutput {
        let v: serde_json::Value = serde_json::from_str(&section).unwrap_or_default();
        // The mode comes from `mode`, or else from the image's last path part, so a real spec
        // (`image: example.org/hostile/loop:v1`) can pick it too.
        let from_image = v["image"]
            .as_str()
            .and_then(|i| i.rsplit('/').next())
            .and_then(|i| i.split(':').next());
        match v["mode"].as_str().or(from_image).unwrap_or("ok") {
            "loop" => loop {
                std::hint::black_box(());
            },
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                report("woke up".into())
            }
            "memory" => {
                let mut hog: Vec<Vec<u8>> = Vec::new();
                loop {
                    hog.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hog);
                }
            }
            "stack" => report(format!("{}", recurse(0))),
            "big-output" => {
                let chunk = "x".repeat(1 << 20);
                output((0..10).map(|i| config_map(&format!("big-{i}"), &chunk)).collect(), vec![])
            }
            "forbidden-kind" => output(
                vec![serde_json::json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": "take-over"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                    "subjects": [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}],
                })
                .to_string()],
                vec![],
            ),
            "webhook" => output(
                vec![serde_json::json!({
                    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                    "metadata": {"name": "intercept-everything"},
                    "webhooks": [{"name": "all.hostile.example", "clientConfig": {"url": "https://hostile.example/"},
                        "rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]}],
                        "sideEffects": "None", "admissionReviewVersions": ["v1"]}],
                })
                .to_string()],
                vec![],
            ),
            "kube-system" => output(
                vec![serde_json::json!({
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
                })
                .to_string()],
                vec![],
            ),
            "privileged-namespace" => output(
                vec![serde_json::json!({
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "hostile", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
                })
                .to_string()],
                vec![],
            ),
            "bad-kind" => output(
                vec![serde_json::json!({
                    "apiVersion": "v1", "kind": "../../etc/ConfigMap",
                    "metadata": {"name": "x", "namespace": "hostile"},
                })
                .to_string()],
                vec![],
            ),
            "bad-json" => output(vec!["{\"apiVersion\": \"v1\", \"kind\": ".into()], vec![]),
            "not-object" => output(vec!["[1, 2, 3]".into()], vec![]),
            "panic" => panic!("hostile plugin panicked on purpose"),
            "read-file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => output(vec![config_map("stolen", &text)], vec![]),
                Err(e) => report(format!("read of /etc/passwd failed: {e}")),
            },
            "env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let args = std::env::args().count();
                report(format!("env vars: [{}]; HOME: {:?}; args: {args}", vars.join(","), std::env::var("HOME").ok()))
            }
            "control-chars" => {
                let d = Diagnostic {
                    severity: Severity::Warning,
                    code: format!("HOSTILE{FORGED}"),
                    message: format!("look here{FORGED}"),
                    path: String::new(),
                    hint: format!("and here{FORGED}"),
                    object: None,
                };
                output(vec![config_map("fine", "ok")], vec![d])
            }
            "huge-string" => output(vec!["x".repeat(60 << 20)], vec![]),
            "crd" => output(crd_and_widget(&ctx.namespace), vec![]),
            "widget" => output(crd_and_widget(&ctx.namespace)[..1].to_vec(), vec![]),
            "many-objects" => output(
                (0..50_000).map(|i| config_map(&format!("m{i}"), "")).collect(),
                vec![],
            ),
            _ => output(vec![config_map("fine", "ok")], vec![]),
        }
    }
}

export!(Hostile);
