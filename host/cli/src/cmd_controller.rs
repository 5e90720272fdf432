//! `hms-sys controller`: run the SYS Controller, print its CRD or its deployment manifests.
//! The controller itself is `hms_apply::controller`; this file gives it the render and the
//! status lines of the command line ([`CliEngine`]), so both run one code path.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Subcommand};
use hms_apply::controller::sysspec::Finding;
use hms_apply::controller::{self, Election, Engine, Rendering};
use hms_apply::{Line, Observed};
use hms_plugin::Severity;
use serde_json::{Map, Value};

use crate::cli::{Loader, PluginArgs, parse_duration};
use crate::cmd_apply::{self, ClusterArgs};
use crate::exit;
use crate::judge::Judges;
use crate::pipeline::{self, Failure};
use crate::problem::Problem;
use crate::style::Style;

/// Parsed once per process: the size of its largest variant does not matter.
#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ControllerCommand {
    /// Run the controller: keep every SysSpec converged (render, baseline gate, apply, prune,
    /// drift correction), one replica leading through a Lease.
    Run(RunArgs),
    /// Print the SysSpec CustomResourceDefinition (YAML), generated from the code.
    Crd,
    /// Print everything that installs the controller in a cluster (YAML): its namespace, the
    /// CRD, ServiceAccount, least-privilege RBAC, NetworkPolicy, metrics Service and Deployment.
    /// Install with `hms-sys controller manifests --image REF@sha256:... | kubectl apply
    /// --server-side -f -`.
    Manifests(ManifestsArgs),
}

#[derive(Args, Debug)]
pub struct ManifestsArgs {
    /// The hms-sys image, pinned by digest (`repo[:tag]@sha256:<64 hex digits>`): a tag can be
    /// moved, a digest is the image that was reviewed (the Containerfile builds it).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// The namespace the controller runs and leads in.
    #[arg(long, value_name = "NS", default_value = "hms-system")]
    pub namespace: String,
    /// Replicas: one leads (a Lease), the others take over within the lease time when it dies.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub replicas: u16,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Serve only SysSpecs whose labels match this selector (sharding), e.g. `shard=a`.
    #[arg(long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Run without leader election (a single replica only).
    #[arg(long)]
    pub no_leader_election: bool,
    /// The namespace of the leader Lease [default: $POD_NAMESPACE, else hms-system].
    #[arg(long, value_name = "NS")]
    pub lease_namespace: Option<String>,
    /// The name of the leader Lease (replicas that share it elect one leader).
    #[arg(long, value_name = "NAME", default_value = controller::CONTROLLER)]
    pub lease_name: String,
    /// How long a Lease lasts unrenewed: the longest a dead leader holds up the others.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = lease_duration)]
    pub lease_duration: Duration,
    /// This replica's name in the Lease and in events [default: $POD_NAME, else HOSTNAME-PID].
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    /// Where to serve /metrics, /healthz and /readyz (empty: not served).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8080")]
    pub listen: String,
    /// How often a converged SysSpec is rendered and compared with the cluster again.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    pub resync: Duration,
    /// SysSpecs reconciled at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u16,
    /// The directory relative plugin paths in a SysSpec start from.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub plugin_dir: PathBuf,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

fn duration(v: &str) -> Result<Duration, String> {
    parse_duration(v).ok_or_else(|| format!("{v:?} is not a duration like 30s, 5m or 1h"))
}

fn lease_duration(v: &str) -> Result<Duration, String> {
    let d = duration(v)?;
    if d < Duration::from_secs(2) {
        return Err(format!("{v:?}: a Lease lasts at least 2s"));
    }
    Ok(d)
}

pub fn run(
    command: ControllerCommand,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    match command {
        ControllerCommand::Crd => {
            let crd = controller::sysspec::crd();
            out.write_all(serde_yaml_ng::to_string(&crd)?.as_bytes())?;
            Ok(exit::OK)
        }
        ControllerCommand::Manifests(args) => manifests(&args, style, out, err),
        ControllerCommand::Run(args) => run_controller(args, style, err),
    }
}

fn manifests(
    args: &ManifestsArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut problems = Vec::new();
    if let Some(why) = hms_spec::dns1123_label_reason(&args.namespace) {
        problems.push(
            Problem::error(
                "HMS-USAGE",
                format!(
                    "--namespace {:?} is not a namespace name: it {why}",
                    args.namespace
                ),
            )
            .hint("write a DNS-1123 label, e.g. hms-system"),
        );
    }
    if !hms_plugin_sdk::image::pinned_by_digest(&args.image) {
        problems.push(
            Problem::error(
                "HMS-USAGE",
                format!("--image {:?} is not pinned by a sha256 digest", args.image),
            )
            .hint(
                "write the image as REPO[:TAG]@sha256:<64 hex digits> (`docker buildx imagetools \
                 inspect IMAGE` or the registry shows the digest): a tag can be moved, so the \
                 cluster would not run the image that was reviewed",
            ),
        );
    }
    if !problems.is_empty() {
        return Ok(crate::cli::report(err, &problems, style, exit::USAGE));
    }
    let install = crate::controller_manifests::Install {
        namespace: &args.namespace,
        image: &args.image,
        replicas: args.replicas,
    };
    out.write_all(crate::controller_manifests::render(&install)?.as_bytes())?;
    Ok(exit::OK)
}

fn run_controller(args: RunArgs, style: Style, err: &mut dyn Write) -> anyhow::Result<u8> {
    let listen: Option<SocketAddr> = if args.listen.is_empty() {
        None
    } else {
        match args.listen.parse() {
            Ok(a) => Some(a),
            Err(e) => {
                let p = Problem::error("HMS-USAGE", format!("--listen {:?}: {e}", args.listen))
                    .hint("write an address and port, e.g. 0.0.0.0:8080 or 127.0.0.1:0");
                return Ok(crate::cli::report(err, &[p], style, exit::USAGE));
            }
        }
    };
    let loader = match Loader::new(&args.plugins) {
        Ok(l) => l,
        Err((problems, code)) => return Ok(crate::cli::report(err, &problems, style, code)),
    };
    let identity = args.identity.clone().unwrap_or_else(|| {
        std::env::var("POD_NAME").unwrap_or_else(|_| {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "hms-sys".into());
            format!("{host}-{}", std::process::id())
        })
    });
    let election = (!args.no_leader_election).then(|| {
        let secs = args.lease_duration.as_secs().max(2);
        Election {
            namespace: args.lease_namespace.clone().unwrap_or_else(|| {
                std::env::var("POD_NAMESPACE").unwrap_or_else(|_| "hms-system".into())
            }),
            lease: args.lease_name.clone(),
            duration: secs,
            // Renewed a third of the way before expiry.
            grace: (secs / 3).max(1),
        }
    });
    let config = controller::Config {
        target: args.cluster.target(),
        selector: args.selector.clone(),
        election,
        listen,
        resync: args.resync,
        concurrency: args.concurrency.max(1),
        identity,
    };
    let cache = crate::cli::cache_of(args.plugins.cache_dir.as_deref(), args.plugins.no_cache);
    let engine = Arc::new(CliEngine {
        loader,
        args: args.plugins,
        base: args.plugin_dir,
        cache,
        judges: Mutex::new(HashMap::new()),
    });
    let stop = hms_apply::Interrupt::default();
    let result = hms_apply::block_on(async {
        stop.on_signals()?;
        Ok::<_, std::io::Error>(controller::run(config, engine, stop.clone()).await)
    })?;
    match result {
        Ok(Ok(())) => Ok(exit::OK),
        Ok(Err(e)) => {
            let p = Problem::error("HMS-CONTROLLER", e.to_string());
            Ok(crate::cli::report(err, &[p], style, exit::CLUSTER))
        }
        Err(e) => Err(e.into()),
    }
}

/// The command line's render and status lines, for the controller.
struct CliEngine {
    loader: Loader,
    args: PluginArgs,
    base: PathBuf,
    cache: hms_plugin::Cache,
    /// The plugins that judge the sections, loaded once per set of (section, plugin, digest):
    /// every SysSpec of the bundled plugins shares one.
    judges: Mutex<HashMap<Vec<String>, Arc<Judges>>>,
}

/// A problem as one line of a condition's message.
fn line(p: &Problem) -> String {
    let mut s = p.message.clone();
    if let Some(plugin) = &p.plugin {
        s = format!("plugin {plugin}: {s}");
    }
    if let Some(object) = &p.object {
        s.push_str(&format!(" ({object})"));
    }
    if !p.hint.is_empty() {
        s.push_str(&format!(" [{}]", p.hint));
    }
    format!("{}: {s}", p.code)
}

impl Engine for CliEngine {
    fn render(&self, name: &str, fields: &Map<String, Value>) -> Rendering {
        let invalid = |reason, problems: &[Problem]| Rendering::Invalid {
            reason,
            problems: problems.iter().map(line).collect(),
        };
        let text = match serde_yaml_ng::to_string(&Value::Object(fields.clone())) {
            Ok(t) => t,
            Err(e) => {
                return invalid(
                    "SpecInvalid",
                    &[Problem::error(
                        "HMS-SPEC",
                        format!("cannot read the spec: {e}"),
                    )],
                );
            }
        };
        let doc = match hms_spec::parse(&text, &format!("sysspec/{name}")) {
            Ok(d) => d,
            Err(e) => return invalid("SpecInvalid", &Problem::from_spec(&e)),
        };
        if doc.spec.name() != name {
            let p = Problem::error(
                "HMS-SPEC",
                format!(
                    "the spec's name is {:?} but the SysSpec is named {name:?}",
                    doc.spec.name()
                ),
            )
            .hint(format!(
                "name the SysSpec {:?}, or set `name: {name}` in its spec",
                doc.spec.name()
            ));
            return invalid("SpecInvalid", &[p]);
        }
        let plugins = match self.loader.load(&self.args, Some(&doc), &self.base) {
            Ok(p) => p,
            Err((problems, code)) => {
                let reason = if code == exit::SPEC {
                    "SpecInvalid"
                } else {
                    "PluginFailed"
                };
                return invalid(reason, &problems);
            }
        };
        let rendered = match pipeline::render_report(&doc, &plugins) {
            Ok(r) => r,
            Err(Failure::Spec(p)) => return invalid("SpecInvalid", &p),
            Err(Failure::Plugin(p)) => return invalid("PluginFailed", &p),
            Err(Failure::Gate(p)) => return invalid("BaselineRefused", &p),
        };
        let findings: Vec<Finding> = rendered
            .findings
            .iter()
            .map(|f| Finding {
                baseline: f.baseline.clone(),
                severity: match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                }
                .into(),
                control: f.control.clone(),
                message: f.message.clone(),
                object: f.object.as_ref().map(ToString::to_string),
                path: f.path.clone(),
                excepted: f.excepted.is_some(),
            })
            .collect();
        if rendered.findings.iter().any(|f| f.is_error()) {
            return Rendering::Refused { findings };
        }
        match cmd_apply::desired(&rendered) {
            Ok((set, objects)) => Rendering::Ready {
                set,
                objects,
                findings,
                baselines: rendered.baselines.clone(),
            },
            Err(e) => invalid(
                "PluginFailed",
                &[Problem::error("HMS-RENDER", e.to_string())],
            ),
        }
    }

    fn lines(&self, observed: &Observed) -> Vec<Line> {
        let key: Vec<String> = observed
            .info
            .sections
            .iter()
            .map(|s| format!("{}={}@{}:{}", s.section, s.plugin, s.digest, s.bundled))
            .collect();
        let cached = self.judges.lock().ok().and_then(|j| j.get(&key).cloned());
        let judges = match cached {
            Some(j) => j,
            None => {
                let j = Arc::new(Judges::load(&observed.info, self.cache.clone()));
                if let Ok(mut all) = self.judges.lock() {
                    // A plugin that is not on this machine yet may be later: not kept.
                    if j.complete() {
                        all.insert(key, j.clone());
                    }
                }
                j
            }
        };
        judges.lines(observed)
    }
}
