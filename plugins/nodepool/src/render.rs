//! Reads the `nodePool` section and dispatches to the backend named by `provider`.

use hms_plugin_sdk::{Ctx, Diagnostic, Output, Reader, object};
use serde_json::Value;

use crate::{capi, defaults, karpenter};

/// Every runtime docs/spec.md allows.
pub const RUNTIMES: [&str; 8] = [
    "fips-ubuntu-22.04",
    "ubuntu-22.04",
    "ubuntu-24.04",
    "fips-ubuntu-24.04",
    "bottlerocket",
    "fips-bottlerocket",
    "al2023",
    "fips-al2023",
];

/// Every backend.
pub const PROVIDERS: [&str; 3] = ["cluster-api", "karpenter", "static"];

const COMPONENT: &str = "node-pool";

/// The fields every backend uses.
pub struct Pool<'a> {
    pub name: &'a str,
    pub count: u64,
    pub runtime: &'a str,
    /// Where its objects go and the labels they carry (common + app.kubernetes.io/*).
    pub ctx: &'a Ctx,
}

impl<'a> Pool<'a> {
    /// Starts one of the pool's objects (named after the pool, in the spec's namespace, with the
    /// standard labels).
    pub fn object(&self, api_version: &'a str, kind: &'a str) -> object::Builder<'a> {
        self.ctx.object(api_version, kind, self.name, COMPONENT)
    }

    /// True for a `fips-` runtime.
    pub fn fips(&self) -> bool {
        self.runtime.starts_with("fips-")
    }
}

/// Renders the section text; a malformed section gives error diagnostics, never a panic.
pub fn render(section: &str, ctx: &Ctx) -> Output {
    let mut r = Reader::new("NODEPOOL");
    let Some(mut v) = r.parse_section(section) else {
        return Output::failed(r.into_errors());
    };
    let rules = defaults::apply(&mut v, ctx);
    if !rules.is_empty() {
        return Output::failed(rules);
    }
    let name = r.str(&v, "/name");
    let count = r.u64(&v, "/count");
    let runtime = r.one_of(&v, "/runtime", &RUNTIMES);
    let provider = r.one_of(&v, "/provider", &PROVIDERS);
    if count == Some(0) {
        r.invalid("/count", "`/count` must be at least 1");
    }
    let (Some(name), Some(count), Some(runtime), Some(provider), true) =
        (name, count, runtime, provider, r.ok())
    else {
        return Output::failed(r.into_errors());
    };
    let pool = Pool {
        name,
        count,
        runtime,
        ctx,
    };
    let out = match provider {
        "karpenter" => karpenter::render(&pool, &v, &mut r),
        "static" => render_static(&pool, &v, &mut r),
        _ => capi::render(&pool, &v, &mut r),
    };
    if r.ok() {
        out
    } else {
        Output::failed(r.into_errors())
    }
}

/// Static nodes: nothing to create; the section's labels select the nodes.
fn render_static(pool: &Pool<'_>, v: &Value, r: &mut Reader) -> Output {
    let Some(node_selector) = r.string_map(v, "/static/labels") else {
        return Output::default();
    };
    if node_selector.is_empty() {
        r.invalid(
            "/static/labels",
            "`/static/labels` needs at least one label to select the nodes",
        );
        return Output::default();
    }
    let mut diagnostics = vec![
        Diagnostic::info(
            "NODEPOOL-STATIC-COUNT",
            format!(
                "static nodes are not created or scaled: count {} is not enforced",
                pool.count
            ),
        )
        .at("/count"),
    ];
    if pool.fips() {
        diagnostics.push(
            Diagnostic::warning(
                "NODEPOOL-FIPS-ATTESTED",
                format!(
                    "runtime {} on static nodes: FIPS is attested by whoever labelled the nodes, \
                     not checked by hms-sys",
                    pool.runtime
                ),
            )
            .at("/runtime")
            .hint("verify /proc/sys/crypto/fips_enabled reads 1 on every selected node"),
        );
    }
    Output {
        manifests: Vec::new(),
        diagnostics,
        node_selector,
    }
}
