//! What each code this plugin emits means (`hms-sys explain CODE`), published in its schema.

use hms_plugin_sdk::Explanation;

/// Every code this plugin emits, explained (a host test checks none is missing).
pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "NETWORK-SECTION",
        summary: "The `network` section could not be read: a field is missing or has the wrong type.",
        why: "The plugin renders no policy from a section it cannot read; the run stops so the namespace is never left unfenced by mistake.",
        control: "",
        fix: "Correct the field the message names (docs/spec.md, `network`).",
    },
    Explanation {
        code: "NETWORK-DNS-BLOCKED",
        summary: "`egress: deny-all` also blocks DNS: pods in the namespace cannot resolve names.",
        why: "Denying all egress is the safe default for isolated workloads, but one that needs a name lookup fails in a way that is hard to trace.",
        control: "CIS Kubernetes 5.3.2 (NetworkPolicies); NIST SP 800-53 SC-7 (boundary protection)",
        fix: "Nothing, if the workload needs no names; otherwise set `network.policy.allowDNS: true` (egress to kube-dns on port 53 only).",
    },
];
