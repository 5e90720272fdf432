//! The clap arguments of `apply`, `plan` and `status`, and their glue to the render pipeline.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::{ListFormat, PluginArgs, parse_duration, prepare};
use crate::cmd_apply::{self, ApplyRequest, ClusterArgs, Follow};
use crate::dir_target::{self, ApplyTarget};
use crate::exit;
use crate::pipeline;
use crate::style::Style;

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The spec file.
    pub spec: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where to apply: `cluster`, or `dir:PATH` (files for a GitOps tool; no kubeconfig needed).
    #[arg(long, value_name = "TARGET", default_value = "cluster", value_parser = dir_target::parse_target)]
    pub target: ApplyTarget,
    /// Who applies: `direct` (this command, now) or `controller` (submit the spec as a SysSpec
    /// for the SYS Controller in the cluster to apply and keep converged).
    #[arg(long, value_enum, value_name = "WHO", default_value_t = Via::Direct)]
    pub via: Via,
    /// Server-side dry run: the cluster checks everything and persists nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take ownership of fields that another field manager owns.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Take over existing objects that are not part of this spec's apply set.
    #[arg(long)]
    pub adopt: bool,
    /// After applying, follow the status until everything is ready (exit 7 if not in time).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait follows, e.g. `5m`.
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub timeout: Duration,
    /// How long one object's apply or prune may take, retries included, before it is reported
    /// as timed out and the apply stops.
    #[arg(long, default_value = "2m", value_parser = parse_duration_arg)]
    pub object_timeout: Duration,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// Who applies a spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    /// This command applies the spec itself.
    Direct,
    /// The SYS Controller applies it (`hms-sys controller run`): the spec is submitted as a
    /// SysSpec.
    Controller,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The spec file.
    pub spec: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// What to compare with: `cluster`, or `dir:PATH` (what `apply --target dir:PATH` wrote).
    #[arg(long, value_name = "TARGET", default_value = "cluster", value_parser = dir_target::parse_target)]
    pub target: ApplyTarget,
    /// Plan as if --adopt were given to apply.
    #[arg(long)]
    pub adopt: bool,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The spec's name (nodePool.name unless the spec sets metadata.name).
    pub name: String,
    /// The spec's namespace [default: NAME, else searched].
    #[arg(short, long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub output: ListFormat,
    /// Follow the status until everything is ready or the timeout passes.
    #[arg(long)]
    pub watch: bool,
    /// How long --watch follows, e.g. `5m`.
    #[arg(long, default_value = "10m", value_parser = parse_duration_arg)]
    pub timeout: Duration,
    /// Directory of the compiled-plugin cache, where status finds the plugins (not bundled)
    /// that judge the sections [default: as for apply].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub fn apply(
    a: ApplyArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let options = hms_apply::ApplyOptions {
        dry_run: a.dry_run,
        force_conflicts: a.force_conflicts,
        adopt: a.adopt,
        object_timeout: a.object_timeout,
        ..Default::default()
    };
    let req = ApplyRequest {
        spec: &a.spec,
        cluster: &a.cluster,
        options,
        wait: a.wait.then_some(a.timeout),
        cache: crate::cli::cache_of(a.plugins.cache_dir.as_deref(), a.plugins.no_cache),
    };
    if a.via == Via::Controller {
        let direct_only = [
            ("--dry-run", a.dry_run),
            ("--force-conflicts", a.force_conflicts),
            ("--adopt", a.adopt),
            ("--target dir:PATH", matches!(a.target, ApplyTarget::Dir(_))),
        ];
        if let Some((flag, _)) = direct_only.iter().find(|(_, set)| *set) {
            writeln!(
                err,
                "error: {flag} is for `--via direct`: the controller applies with its own options"
            )?;
            return Ok(exit::USAGE);
        }
    }
    if let ApplyTarget::Dir(_) = a.target {
        let cluster_only = [
            ("--wait", a.wait),
            ("--force-conflicts", a.force_conflicts),
            ("--adopt", a.adopt),
        ];
        if let Some((flag, _)) = cluster_only.iter().find(|(_, set)| *set) {
            writeln!(err, "error: {flag} needs `--target cluster`")?;
            return Ok(exit::USAGE);
        }
    }
    let (rendered, events) = match prepare_cluster(&req, &a.plugins, style, err)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    match &a.target {
        ApplyTarget::Cluster if a.via == Via::Controller => {
            cmd_apply::submit(&req, &rendered, &events, out, err)
        }
        ApplyTarget::Cluster => cmd_apply::apply(&req, &rendered, &events, out, err),
        ApplyTarget::Dir(path) => dir_target::apply(&req, &rendered, &events, path, out, err),
    }
}

pub fn plan(
    a: PlanArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let options = hms_apply::ApplyOptions {
        adopt: a.adopt,
        ..Default::default()
    };
    let req = ApplyRequest {
        spec: &a.spec,
        cluster: &a.cluster,
        options,
        wait: None,
        cache: crate::cli::cache_of(a.plugins.cache_dir.as_deref(), a.plugins.no_cache),
    };
    // Terraform's -detailed-exitcode: a spec that does not render is an error (1).
    let Ok((rendered, events)) = prepare_cluster(&req, &a.plugins, style, err)? else {
        return Ok(exit::ERROR);
    };
    match &a.target {
        ApplyTarget::Cluster => cmd_apply::plan(&req, &rendered, &events, out, err),
        ApplyTarget::Dir(path) => dir_target::plan(&rendered, &events, path, out, err),
    }
}

pub fn status(a: StatusArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let follow = if a.watch {
        Follow::Watch(a.timeout)
    } else {
        Follow::Once
    };
    let cache = crate::cli::cache_of(a.cache_dir.as_deref(), false);
    let f = cmd_apply::Following {
        how: follow,
        json: a.output == ListFormat::Json,
        cache: &cache,
    };
    cmd_apply::status(&a.name, a.namespace.as_deref(), &a.cluster, f, out, err)
}

/// Renders for `apply`/`plan` and emits the render and gate events; `Err(code)` when render
/// failed (the problems are reported).
fn prepare_cluster(
    req: &ApplyRequest<'_>,
    args: &PluginArgs,
    style: Style,
    err: &mut dyn Write,
) -> anyhow::Result<Result<(pipeline::Rendered, hms_apply::events::Sink), u8>> {
    let start = std::time::Instant::now();
    let name = req.spec.display().to_string();
    match prepare(req.spec, args, style, err) {
        Ok(rendered) => {
            let events = req.cluster.sink(&rendered.spec_name, Some(&rendered))?;
            events.emit("render", None, "ok", start.elapsed(), None);
            if !rendered.baselines.is_empty() {
                let b = rendered.baselines.join(", ");
                events.emit("gate", None, "passed", start.elapsed(), Some(b));
            }
            for f in &rendered.findings {
                let Some(e) = &f.excepted else { continue };
                let object = f.object.as_ref().map(|o| {
                    let kind = if o.group.is_empty() {
                        o.kind.clone()
                    } else {
                        format!("{}.{}", o.kind, o.group)
                    };
                    match o.namespace.as_str() {
                        "" => format!("{kind} {}", o.name),
                        ns => format!("{kind} {ns}/{}", o.name),
                    }
                });
                let by = [e.approver.as_deref(), e.ticket.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = format!(
                    "{}: {} at {} ({by}, until {}): {}",
                    f.control, e.exception, e.location, e.expires, e.justification
                );
                events.emit(
                    "exception",
                    object,
                    "accepted",
                    start.elapsed(),
                    Some(message),
                );
            }
            Ok(Ok((rendered, events)))
        }
        Err(code) => {
            let events = req.cluster.sink(&name, None)?;
            let (kind, result) = if code == exit::BASELINE {
                ("gate", "refused")
            } else {
                ("render", "failed")
            };
            events.emit(
                kind,
                None,
                result,
                start.elapsed(),
                Some(format!("exit {code}")),
            );
            Ok(Err(code))
        }
    }
}

fn parse_duration_arg(v: &str) -> Result<Duration, String> {
    parse_duration(v).ok_or_else(|| format!("{v:?} is not a duration like 30s or 5m"))
}
