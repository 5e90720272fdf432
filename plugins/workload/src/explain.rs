//! What each code this plugin emits means (`hms-sys explain CODE`), published in its schema.

use hms_plugin_sdk::Explanation;

/// Every code this plugin emits, explained (a host test checks none is missing).
pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "WORKLOAD-SECTION",
        summary: "The `workload` section could not be read: a field is missing or has the wrong type.",
        why: "The plugin renders no Deployment from a section it cannot read; the run stops.",
        control: "",
        fix: "Correct the field the message names (docs/spec.md, `workload`).",
    },
    Explanation {
        code: "WORKLOAD-VOLUME",
        summary: "The workload's `volume` does not match the spec: it names another volume, or there is no `storage` section.",
        why: "The Deployment would reference a PersistentVolumeClaim that is never created, and its pods would stay Pending.",
        control: "",
        fix: "Name the storage volume (`volume: NAME`), add a `storage` section, or write `volume: none`.",
    },
    Explanation {
        code: "WORKLOAD-MOUNT-PATH",
        summary: "`mountPath` is not an absolute path, or is given without a volume.",
        why: "Kubernetes refuses a relative mount path; a mount path without a volume mounts nothing.",
        control: "",
        fix: "Write an absolute path (`/data/pdfs`), or remove `mountPath` when `volume: none`.",
    },
];
