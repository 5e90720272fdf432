//! `hms-sys plugin new --lang rust|python NAME --section SECTION`: a plugin project that builds
//! as written and renders through the host. The templates are files under `host/cli/templates`;
//! a Python project gets the newest contract this binary carries (the SDK's WIT, the one copy).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::report;
use crate::exit;
use crate::problem::Problem;
use crate::style::Style;
use crate::text::{self, shown};

/// The newest version of the contract this binary carries, as its WIT file (the SDK owns it).
pub const NEWEST_WIT: &str = include_str!("../../../plugins/sdk/wit/since_v0.2.0/hms-sys.wit");

/// The componentize-py release the Python projects (and this repository's tests) are built with.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// Where a Rust project gets the SDK unless told otherwise (`--sdk`, `--sdk-git`): this
/// repository, at the tag of this version.
pub const SDK_GIT: &str = "https://github.com/hms-sys/hms-sys";

/// `plugin new`.
#[derive(Args, Debug)]
pub struct NewArgs {
    /// The plugin's name (a DNS-1123 label: `my-rules`); also the directory it is written to.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The language of the plugin.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// The spec section it serves; `baseline` makes a compliance baseline.
    #[arg(long, value_enum)]
    pub section: NewSection,
    /// Write the project into DIR instead of ./NAME (DIR must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Rust: depend on the SDK at this path (a checkout's `plugins/sdk`) instead of git.
    #[arg(long, value_name = "PATH", conflicts_with = "sdk_git")]
    pub sdk: Option<PathBuf>,
    /// Rust: depend on the SDK in this git repository [default: the hms-sys repository at
    /// the tag of this version].
    #[arg(long, value_name = "URL")]
    pub sdk_git: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Rust,
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NewSection {
    #[value(name = "nodePool")]
    NodePool,
    Storage,
    Network,
    Workload,
    Baseline,
}

/// What a scaffolded section plugin renders: one object of a kind its section may emit.
struct Example {
    section: &'static str,
    group: &'static str,
    api_version: &'static str,
    kind: &'static str,
    /// The object's body, JSON that is also a Python literal.
    body: &'static str,
}

const EXAMPLES: &[Example] = &[
    Example {
        section: "nodePool",
        group: "cluster.x-k8s.io",
        api_version: "cluster.x-k8s.io/v1beta1",
        kind: "MachineHealthCheck",
        body: r#"{"spec": {"clusterName": "example", "selector": {}}}"#,
    },
    Example {
        section: "storage",
        group: "",
        api_version: "v1",
        kind: "PersistentVolumeClaim",
        body: r#"{"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}"#,
    },
    Example {
        section: "network",
        group: "networking.k8s.io",
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        body: r#"{"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}"#,
    },
    Example {
        section: "workload",
        group: "",
        api_version: "v1",
        kind: "ConfigMap",
        body: r#"{"data": {"greeting": "hello"}}"#,
    },
];

impl NewSection {
    fn name(self) -> &'static str {
        match self {
            NewSection::NodePool => "nodePool",
            NewSection::Storage => "storage",
            NewSection::Network => "network",
            NewSection::Workload => "workload",
            NewSection::Baseline => "baseline",
        }
    }
}

/// The version of the contract in [`NEWEST_WIT`] (`package hms:sys@X.Y.Z;`).
pub fn newest_wit_version() -> &'static str {
    NEWEST_WIT
        .lines()
        .find_map(|l| l.trim().strip_prefix("package hms:sys@"))
        .and_then(|v| v.strip_suffix(';'))
        .unwrap_or("0.1.0")
}

/// Writes the project; nothing is written when the name, the directory or the SDK is wrong.
pub fn run(args: &NewArgs, style: Style, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match scaffold(args) {
        Ok((dir, files)) => {
            let _ = writeln!(
                out,
                "created {} ({} {} plugin `{}`): {}",
                dir.display(),
                match args.lang {
                    Lang::Rust => "Rust",
                    Lang::Python => "Python",
                },
                args.section.name(),
                args.name,
                files.join(", ")
            );
            let _ = writeln!(out, "next: read {}", dir.join("README.md").display());
            exit::OK
        }
        Err((problem, code)) => report(err, &[problem], style, code),
    }
}

type Failure = (Problem, u8);

fn problem(message: String, hint: &str, code: u8) -> Failure {
    (Problem::error("HMS-PLUGIN-NEW", message).hint(hint), code)
}

fn scaffold(args: &NewArgs) -> Result<(PathBuf, Vec<String>), Failure> {
    if let Some(reason) = hms_spec::dns1123_label_reason(&args.name) {
        return Err(problem(
            format!(
                "the plugin name `{}` {reason}",
                shown(&args.name, text::FIELD)
            ),
            "a plugin's name is a DNS-1123 label: lower-case letters, digits and `-`, for example `agency-rules`",
            exit::USAGE,
        ));
    }
    if args.lang == Lang::Python && (args.sdk.is_some() || args.sdk_git.is_some()) {
        return Err(problem(
            "`--sdk` and `--sdk-git` are for Rust plugins".into(),
            "a Python plugin gets the contract as wit/hms-sys.wit; drop the option",
            exit::USAGE,
        ));
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(problem(
            format!("`{}` exists and is not empty", dir.display()),
            "name a new directory with `--dir DIR`, or remove that one",
            exit::ERROR,
        ));
    }
    let files = match args.lang {
        Lang::Rust => rust_files(args)?,
        Lang::Python => python_files(args),
    };
    let mut written = Vec::new();
    for (path, text) in &files {
        let target = dir.join(path);
        let made = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
            })
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = made {
            return Err(problem(
                format!("cannot write `{}`: {e}", target.display()),
                "check that the directory is writable",
                exit::ERROR,
            ));
        }
        written.push(path.to_string());
    }
    Ok((dir, written))
}

/// The values every template may name.
fn values(args: &NewArgs) -> Vec<(&'static str, String)> {
    let section = args.section.name();
    let wasm = match args.lang {
        Lang::Rust => format!(
            "target/wasm32-wasip2/release/{}.wasm",
            args.name.replace('-', "_")
        ),
        Lang::Python => format!("{}.wasm", args.name),
    };
    let (what, run, usage) = if args.section == NewSection::Baseline {
        (
            "compliance baseline".to_string(),
            format!(
                "hms-sys init && hms-sys validate spec.yml --plugin {wasm}   # it runs beside cis-level-2"
            ),
            format!(
                "In a spec, compose it with `cis-level-2` (every baseline must pass), the plugin\n\
                 copied beside the spec:\n\n```yaml\nbaseline:\n  - cis-level-2\n  - name: {name}\n    \
                 plugin: ./plugins/{name}.wasm\n    forbiddenKinds: [Secret]\n```",
                name = args.name
            ),
        )
    } else {
        (
            format!("plugin for the `{section}` section"),
            format!("hms-sys plugins run {wasm} --section section.yml"),
            format!(
                "In a spec, let it serve `{section}`, the plugin copied beside the spec:\n\n\
                 ```yaml\nplugins:\n  {section}: ./plugins/{}.wasm\n```",
                args.name
            ),
        )
    };
    let code = args.name.to_uppercase();
    let mut v = vec![
        ("name", args.name.clone()),
        ("crate", args.name.replace('-', "_")),
        ("section", section.to_string()),
        ("code", code),
        ("what", what.clone()),
        ("description", format!("An agency {what}")),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("wit_version", newest_wit_version().to_string()),
        ("componentize_py", COMPONENTIZE_PY.to_string()),
        (
            "world",
            if args.section == NewSection::Baseline {
                "baseline-plugin"
            } else {
                "section-plugin"
            }
            .to_string(),
        ),
        ("run", run),
        ("use", usage),
    ];
    if let Some(e) = EXAMPLES.iter().find(|e| e.section == section) {
        v.extend([
            ("group", e.group.to_string()),
            ("api_version", e.api_version.to_string()),
            ("kind", e.kind.to_string()),
            ("body", e.body.to_string()),
        ]);
    }
    v
}

/// `template` with every `{{key}}` replaced by its value.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut text = template.to_string();
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    text
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The SDK dependency line of the project's Cargo.toml.
fn sdk_dependency(args: &NewArgs) -> Result<String, Failure> {
    if let Some(path) = &args.sdk {
        let manifest = std::fs::read_to_string(path.join("Cargo.toml")).unwrap_or_default();
        if !manifest.contains("name = \"hms-plugin-sdk\"") {
            return Err(problem(
                format!(
                    "`{}` is not the plugin SDK: no Cargo.toml of crate hms-plugin-sdk there",
                    path.display()
                ),
                "pass the SDK's directory of an hms-sys checkout: `--sdk PATH/plugins/sdk`",
                exit::USAGE,
            ));
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        return Ok(format!(
            "hms-plugin-sdk = {{ path = {} }}",
            toml_string(&absolute.to_string_lossy())
        ));
    }
    let url = args.sdk_git.as_deref().unwrap_or(SDK_GIT);
    Ok(format!(
        "hms-plugin-sdk = {{ git = {}, tag = {} }}",
        toml_string(url),
        toml_string(&format!("v{}", env!("CARGO_PKG_VERSION")))
    ))
}

fn rust_files(args: &NewArgs) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut v = values(args);
    v.push(("sdk", sdk_dependency(args)?));
    let lib = if args.section == NewSection::Baseline {
        include_str!("../templates/rust/baseline.rs")
    } else {
        include_str!("../templates/rust/section.rs")
    };
    let mut files = vec![
        (
            "Cargo.toml",
            fill(include_str!("../templates/rust/Cargo.toml"), &v),
        ),
        (
            ".cargo/config.toml",
            fill(include_str!("../templates/rust/cargo-config.toml"), &v),
        ),
        (
            ".gitignore",
            include_str!("../templates/rust/gitignore").to_string(),
        ),
        ("src/lib.rs", fill(lib, &v)),
        (
            "README.md",
            fill(include_str!("../templates/rust/README.md"), &v),
        ),
    ];
    if args.section != NewSection::Baseline {
        files.push(("section.yml", "name: example\n".to_string()));
    }
    Ok(files)
}

fn python_files(args: &NewArgs) -> Vec<(&'static str, String)> {
    let v = values(args);
    let app = if args.section == NewSection::Baseline {
        include_str!("../templates/python/baseline.py")
    } else {
        include_str!("../templates/python/section.py")
    };
    let mut files = vec![
        ("app.py", fill(app, &v)),
        ("wit/hms-sys.wit", NEWEST_WIT.to_string()),
        (
            "README.md",
            fill(include_str!("../templates/python/README.md"), &v),
        ),
        (
            ".gitignore",
            "*.wasm\n__pycache__/\nwit_world/\n".to_string(),
        ),
    ];
    if args.section != NewSection::Baseline {
        files.push(("section.yml", "name: example\n".to_string()));
    }
    files
}
