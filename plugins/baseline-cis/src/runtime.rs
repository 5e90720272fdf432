//! The runtime is part of the baseline: a profile that lists the runtimes it approves
//! (`runtimes: [fips-*]`) refuses a spec whose node pool runs any other, and says what it
//! accepts. The runtime is the spec's `nodePool.runtime` as written (`context.spec`); without a
//! node pool (or when checking manifests without a spec) there is nothing to judge.

use serde_json::Value;

use crate::model::{Finding, Params, Severity};

/// The code of the finding.
pub const CODE: &str = "HMS-RUNTIME";

/// Whether `runtime` is one of `approved` (`fips-*` matches a prefix).
pub fn approved(runtime: &str, approved: &[String]) -> bool {
    approved.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => runtime.starts_with(prefix),
        None => a == runtime,
    })
}

/// The finding for the node pool's runtime in `spec` (the whole spec as JSON), if the profile
/// lists runtimes and that one is not among them.
pub fn check(params: &Params, spec: &Value) -> Option<Finding> {
    if params.runtimes.is_empty() {
        return None;
    }
    let runtime = spec.pointer("/nodePool/runtime")?.as_str()?;
    if approved(runtime, &params.runtimes) {
        return None;
    }
    let list = params.runtimes.join(", ");
    Some(Finding {
        severity: Severity::Error,
        code: CODE.to_string(),
        message: crate::controls::with_trailer(
            CODE,
            format!(
                "the node pool's runtime `{runtime}` is not one this profile approves; it accepts {list}"
            ),
        ),
        path: String::new(),
        hint: format!(
            "set `nodePool.runtime` to one of {list} (a FIPS profile needs a fips-* runtime), or change the baseline's `runtimes`"
        ),
        object: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(runtimes: &[&str]) -> Params {
        Params {
            runtimes: runtimes.iter().map(|s| s.to_string()).collect(),
            ..Params::default()
        }
    }

    #[test]
    fn a_fips_profile_refuses_a_runtime_without_fips() {
        let spec = |r: &str| json!({"nodePool": {"name": "p", "runtime": r}});
        let fips = params(&["fips-*"]);
        assert!(check(&fips, &spec("fips-ubuntu-22.04")).is_none());
        let f = check(&fips, &spec("ubuntu-22.04")).expect("a finding");
        assert_eq!((f.code.as_str(), f.severity), (CODE, Severity::Error));
        assert!(f.message.contains("`ubuntu-22.04`"), "{}", f.message);
        assert!(f.message.contains("it accepts fips-*"), "{}", f.message);
        let exact = params(&["bottlerocket", "al2023"]);
        assert!(check(&exact, &spec("al2023")).is_none());
        assert!(check(&exact, &spec("al2023x")).is_some());
        // Nothing to judge: no list, or no node pool.
        assert!(check(&params(&[]), &spec("ubuntu-22.04")).is_none());
        assert!(check(&fips, &json!({"workload": {}})).is_none());
    }
}
