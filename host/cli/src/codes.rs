//! What each of the host's own problem codes (`HMS-...`) means, for `hms-sys explain CODE`: the
//! host's half of the explanations (each plugin publishes its own in its schema, see
//! `hms_plugin_sdk::explain`). A test greps the host's sources for `"HMS-..."` literals and
//! checks each is explained here or by a bundled plugin.

use hms_plugin_sdk::Explanation;

const CAPS: &str = "NIST SP 800-53 AC-6 (least privilege), CM-7 (least functionality)";

/// Every code the host itself reports.
pub const HOST: &[Explanation] = &[
    Explanation {
        code: "HMS-SPEC",
        summary: "The spec's envelope is invalid: it does not parse as YAML, a top-level field is unknown or wrong, a name is not a DNS-1123 label, or the file cannot be read.",
        why: "The envelope decides which plugins run and where everything goes; nothing is rendered from a spec the host cannot trust.",
        control: "",
        fix: "Fix what the message names at `file:line:column` (docs/spec.md, \"Top level\"); `hms-sys schema` lets an editor check the spec as you type.",
    },
    Explanation {
        code: "HMS-SECTION-SCHEMA",
        summary: "A section does not fit the JSON Schema of the plugin that serves it: an unknown field, a wrong type, a value out of range or of the wrong format.",
        why: "The plugin owns its section; the host checks it against the plugin's published schema before the plugin sees it, so every plugin gets input it declared.",
        control: "",
        fix: "Fix the field at the location given (the hint often names the field you meant); `hms-sys plugins list SPEC` shows which plugin serves the section.",
    },
    Explanation {
        code: "HMS-USAGE",
        summary: "A command-line value is wrong (for example `--deadline`, `--memory-mib` or `--max-objects`).",
        why: "Limits protect the host from plugins; a value that cannot be read is refused rather than guessed.",
        control: "",
        fix: "Write the value as the hint shows, e.g. `--deadline 5s` or `--deadline storage-csi=500ms`.",
    },
    Explanation {
        code: "HMS-INPUT",
        summary: "`hms-sys check` could not read the manifests it was given: a file or directory that cannot be read, a YAML or JSON syntax error, a document that is not a Kubernetes object (a string `apiVersion` and `kind`), or more than 64 MiB in one file.",
        why: "A manifest the baseline cannot judge would pass the gate unchecked; nothing is checked until every input reads.",
        control: "",
        fix: "Fix what the message names at `file:line:column`, or name the files or directory that hold the manifests (docs/compliance.md).",
    },
    Explanation {
        code: "HMS-EXCEPTION-UNUSED",
        summary: "An entry of the spec's `exceptions:` matched no error finding of the baselines.",
        why: "An exception that accepts nothing hides nothing today, but it would silently accept a future finding it was not written for.",
        control: "NIST SP 800-53 CA-7 (continuous monitoring), PM-4 (plan of action and milestones)",
        fix: "Remove the exception once its finding is fixed, or correct its `control` or `objects` globs (docs/compliance.md, \"Exceptions\").",
    },
    Explanation {
        code: "HMS-NO-PLUGIN",
        summary: "No plugin serves a section of the spec, or a baseline the spec names does not exist.",
        why: "A section nobody renders would silently disappear from the cluster.",
        control: "",
        fix: "Name a plugin for it under `plugins:` (or the baseline's `plugin:`), or pass `--plugin PATH`; `hms-sys plugins list` shows the bundled ones.",
    },
    Explanation {
        code: "HMS-PLUGIN",
        summary: "A plugin failed: it timed out, exceeded its memory cap or stack, panicked, trapped, or returned output that breaks the contract.",
        why: "Plugins run sandboxed with limits so a broken or hostile one cannot hang or exhaust the host; the run stops because its output cannot be trusted.",
        control: "NIST SP 800-53 SC-39 (process isolation)",
        fix: "Read the plugin's message (its stderr is included); raise a limit for that plugin if it is legitimately slow or large (`--deadline NAME=5s`, `--memory-mib NAME=256`, `--max-objects NAME=N`), or report the bug to its author.",
    },
    Explanation {
        code: "HMS-PLUGIN-FILE",
        summary: "A plugin file the spec or `--plugin` names cannot be read.",
        why: "The host loads only regular files it can read and hash.",
        control: "",
        fix: "Check the path: relative paths in a spec start at the spec's directory.",
    },
    Explanation {
        code: "HMS-SECTION-FILE",
        summary: "`hms-sys plugins run PLUGIN --section FILE` cannot use the section file: it cannot be read, is not UTF-8, or is not YAML.",
        why: "A plugin is run only on a section the host could read exactly as a spec would hold it.",
        control: "",
        fix: "Write the section as a YAML mapping, as it stands under its key in a spec (without the key), in a UTF-8 file.",
    },
    Explanation {
        code: "HMS-PLUGIN-PIN",
        summary: "A plugin's sha256 digest is not the one it is pinned to (`./plugin.wasm@sha256:...`).",
        why: "A pin guarantees the reviewed plugin is the one that runs; a changed file is refused before it is compiled.",
        control: "NIST SP 800-53 SI-7 (software integrity)",
        fix: "If the new file is the one you reviewed, update the pin to the digest the message shows; otherwise restore the pinned file.",
    },
    Explanation {
        code: "HMS-PLUGIN-NAME",
        summary: "A plugin's name is not allowed here: it takes a bundled plugin's name, two different plugins share one name, or a baseline entry's plugin is named differently from the entry.",
        why: "Grants and limits follow plugin names; a name that could mean two plugins would hand one the other's permissions.",
        control: CAPS,
        fix: "Give the plugin a name of its own (in its metadata), or use the bundled plugin by its name.",
    },
    Explanation {
        code: "HMS-PLUGIN-SECTION",
        summary: "A plugin declares a section hms-sys does not have, or serves another section than the one the spec names it for.",
        why: "Each section has one owner, and a plugin may only emit its own section's kinds.",
        control: "",
        fix: "Name the plugin under the section it declares (`hms-sys plugins list --plugin PATH` shows it), and give each section one plugin.",
    },
    Explanation {
        code: "HMS-PLUGIN-METADATA",
        summary: "A plugin's metadata is invalid, for example a kind it declares it emits is not a kind.",
        why: "The host decides what a plugin may do from its metadata; it must be exact.",
        control: "",
        fix: "Rebuild the plugin against `hms:sys@0.1.x` with valid metadata, or report it to its author.",
    },
    Explanation {
        code: "HMS-PLUGIN-SCHEMA",
        summary: "A plugin's published JSON Schema does not compile.",
        why: "Sections are judged by their plugin's schema; one that cannot be compiled cannot judge anything.",
        control: "",
        fix: "Fix the plugin's schema (JSON Schema draft 2020-12), or report it to its author.",
    },
    Explanation {
        code: "HMS-PLUGIN-TWICE",
        summary: "Two plugins are given for one section (or one baseline name), for example one in the spec and one with `--plugin`.",
        why: "Each section and baseline has one owner; two would leave the choice to chance.",
        control: "",
        fix: "Give one plugin per section and per baseline name: remove one of the two.",
    },
    Explanation {
        code: "HMS-OBJECT-SHAPE",
        summary: "An object a plugin returned is not a well-formed Kubernetes object (no apiVersion, kind or metadata.name, or a malformed one).",
        why: "The host checks every object before anything else sees it; the cluster would refuse it anyway, later and with less context.",
        control: "",
        fix: "A bug in the plugin the message names: report it to its author.",
    },
    Explanation {
        code: "HMS-OBJECT-NAME",
        summary: "An object's `metadata.name` is not a valid DNS-1123 name.",
        why: "Kubernetes refuses such names; the host says so before anything is applied.",
        control: "",
        fix: "If the name comes from the spec (a volume or workload name), change it there; otherwise report it to the plugin's author.",
    },
    Explanation {
        code: "HMS-UNDECLARED-KIND",
        summary: "A plugin returned an object of a kind it did not declare in its metadata (`emits`).",
        why: "A plugin's declared kinds are what a person reviews in `hms-sys plugins list`; it may emit nothing else.",
        control: CAPS,
        fix: "Report it to the plugin's author: the plugin must declare every kind it emits.",
    },
    Explanation {
        code: "HMS-FORBIDDEN-KIND",
        summary: "A plugin returned a kind its section may not emit, or one that gives power over the cluster (RBAC, admission webhooks, CRDs, a privileged Namespace, ...).",
        why: "A section plugin must not be able to grant itself or anyone else cluster-wide power.",
        control: CAPS,
        fix: "If the kind is really wanted, grant it to that plugin in the spec: `grants: {PLUGIN: [Kind.group]}` (the message names the grant); otherwise report it to the plugin's author.",
    },
    Explanation {
        code: "HMS-OBJECT-NAMESPACE",
        summary: "An object is outside the spec's namespace, or is a Namespace other than the spec's own.",
        why: "A spec owns one namespace; objects elsewhere could change other tenants' workloads.",
        control: "NIST SP 800-53 AC-4 (information flow enforcement)",
        fix: "Report it to the plugin's author; nothing can grant another namespace.",
    },
    Explanation {
        code: "HMS-OBJECT-SCOPE",
        summary: "An object is namespaced where it must be cluster-wide, or the reverse, or its scope is unknown and it has no namespace.",
        why: "An object in the wrong scope would be refused by the cluster or land where the spec does not own it.",
        control: "",
        fix: "Report it to the plugin's author; a cluster-wide object of a kind the host does not know needs a grant.",
    },
    Explanation {
        code: "HMS-OBJECT-COLLISION",
        summary: "Two plugins returned an object with the same group, kind, namespace and name.",
        why: "The later one would silently overwrite the earlier; which one wins must not depend on order.",
        control: "",
        fix: "Rename one of them in the spec (for example the volume or the workload name).",
    },
    Explanation {
        code: "HMS-HARDENED",
        summary: "A baseline's hardened objects are not the same objects as its input (a different count, order or identity).",
        why: "A baseline may harden objects, never add, drop or rename them.",
        control: "",
        fix: "A bug in the baseline plugin the message names: report it to its author.",
    },
    Explanation {
        code: "HMS-APPLY",
        summary: "The cluster (or the target directory) refused or failed: no kubeconfig, unreachable API server, an API error after retries, a field conflict, or an object that belongs to someone else.",
        why: "hms-sys stops at the first failed step, so later steps and prune never run on a half-applied set.",
        control: "",
        fix: "Read the message: point at a cluster (`--kubeconfig`, `--context`, `KUBECONFIG`), pass `--force-conflicts` or `--adopt` if taking over is intended, then run `apply` again: it converges.",
    },
    Explanation {
        code: "HMS-INIT",
        summary: "`hms-sys init` found an existing spec and wrote nothing.",
        why: "A starter must never overwrite a spec a person has edited.",
        control: "",
        fix: "Pass `--force` to overwrite it, or name another directory: `hms-sys init DIR`.",
    },
    Explanation {
        code: "HMS-EXPLAIN",
        summary: "`hms-sys explain` does not know the code.",
        why: "Only the host's codes and those of the plugins loaded for the run are known.",
        control: "",
        fix: "Check the spelling (the hint suggests the nearest code), list them with `hms-sys explain --list`, or pass the spec whose plugins emit it: `hms-sys explain CODE --spec SPEC`.",
    },
];
