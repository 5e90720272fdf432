//! What each code this plugin emits means (`hms-sys explain CODE`), published in its schema.

use hms_plugin_sdk::Explanation;

/// Every code this plugin emits, explained (a host test checks none is missing).
pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "NODEPOOL-SECTION",
        summary: "The `nodePool` section could not be read: a field is missing or has the wrong type.",
        why: "The plugin renders nothing from a section it cannot read; the run stops so no half-rendered node pool is applied.",
        control: "",
        fix: "Correct the field the message names (docs/spec.md, `nodePool`); `hms-sys schema` gives an editor the section's fields.",
    },
    Explanation {
        code: "NODEPOOL-BLOCK-PROVIDER",
        summary: "A backend block (`clusterApi`, `karpenter` or `static`) was given for another provider.",
        why: "Settings for a backend that is not used would be silently ignored; the spec would not say what the cluster gets.",
        control: "",
        fix: "Set `provider:` to the backend the block is for, or remove the block.",
    },
    Explanation {
        code: "NODEPOOL-VERSION",
        summary: "`kubernetesVersion` is not in the form the backend expects (`v1.33.1` for Cluster API, `1.33` for Karpenter).",
        why: "The version selects the machine image (and for Bottlerocket FIPS the SSM parameter); a malformed one matches no image.",
        control: "",
        fix: "Write the version as the message shows, in quotes so YAML keeps it as text.",
    },
    Explanation {
        code: "NODEPOOL-RUNTIME-UNSUPPORTED",
        summary: "The chosen backend cannot guarantee the requested runtime (for example a `fips-` runtime on Karpenter other than Bottlerocket FIPS).",
        why: "A FIPS runtime is a compliance requirement: nodes that only claim it would run cryptography that is not FIPS 140-3 validated.",
        control: "NIST SP 800-53 SC-13 (cryptographic protection)",
        fix: "Choose a runtime the backend can guarantee (`fips-bottlerocket` on Karpenter), or `provider: cluster-api` with a FIPS machine image.",
    },
    Explanation {
        code: "NODEPOOL-STATIC-CAPACITY",
        summary: "`karpenter.staticCapacity: true` sets a fixed node count (`spec.replicas`) on the Karpenter NodePool.",
        why: "It needs Karpenter's alpha StaticCapacity feature gate, and once set it cannot be removed from that NodePool.",
        control: "",
        fix: "Nothing, if the gate is on and a fixed count is intended; otherwise remove `staticCapacity` and `count` becomes a ceiling.",
    },
    Explanation {
        code: "NODEPOOL-COUNT-IS-A-LIMIT",
        summary: "On Karpenter, `count` becomes `limits.nodes`: a ceiling, not a number of nodes.",
        why: "Karpenter sizes the pool from pending pods, so fewer nodes than `count` may run.",
        control: "",
        fix: "Nothing to fix; set `karpenter.staticCapacity: true` for a fixed count.",
    },
    Explanation {
        code: "NODEPOOL-FIPS-IMAGE",
        summary: "How the FIPS runtime is met: by the machine template's image (Cluster API) or the Bottlerocket FIPS AMI (Karpenter).",
        why: "hms-sys cannot inspect the image inside a Cluster API template: the agency's image must really be FIPS-enabled.",
        control: "NIST SP 800-53 SC-13 (cryptographic protection)",
        fix: "Nothing to fix; make sure the referenced machine template carries your FIPS image (for example Ubuntu Pro FIPS).",
    },
    Explanation {
        code: "NODEPOOL-STATIC-COUNT",
        summary: "With `provider: static`, nodes are not created or scaled, so `count` is not enforced.",
        why: "The pool is the nodes that carry its labels; hms-sys only selects them.",
        control: "",
        fix: "Nothing to fix; label as many nodes as the pool needs.",
    },
    Explanation {
        code: "NODEPOOL-FIPS-ATTESTED",
        summary: "A FIPS runtime on static nodes is attested by whoever labelled the nodes, not checked by hms-sys.",
        why: "hms-sys does not create static nodes, so it cannot choose their image.",
        control: "NIST SP 800-53 SC-13 (cryptographic protection)",
        fix: "Label only nodes that run a FIPS-validated OS image.",
    },
];
