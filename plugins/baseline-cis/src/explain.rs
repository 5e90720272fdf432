//! What each finding code this baseline emits means (`hms-sys explain CODE`), published in its
//! schema under `x-hms-explain` ([`hms_plugin_sdk::explain`]). The `control` of each entry names
//! the CIS or Pod Security Standards control only; the NIST SP 800-53 ids are appended from
//! the one mapping, [`crate::controls::CONTROLS`], when the schema is built
//! ([`annotated_schema`]).

use hms_plugin_sdk::Explanation;

const FIX_POD: &str = "Set it in the pod template; with the bundled workload plugin this is already the default, so the finding comes from another plugin's object (its `object` names it).";

/// A Pod Security Standards control that CIS section 5.2 also covers.
const fn pss(
    code: &'static str,
    summary: &'static str,
    why: &'static str,
    fix: &'static str,
) -> Explanation {
    Explanation {
        code,
        summary,
        why,
        control: "CIS Kubernetes Benchmark 5.2 (Pod Security Standards, restricted)",
        fix,
    }
}

/// `schema` with [`EXPLANATIONS`] under `x-hms-explain`, each `control` completed with the NIST
/// SP 800-53 rev5 controls the finding supports, from [`crate::controls::CONTROLS`].
pub fn annotated_schema(schema: serde_json::Value) -> serde_json::Value {
    let mut schema = hms_plugin_sdk::explain::annotate(schema, EXPLANATIONS);
    let all = schema
        .get_mut(hms_plugin_sdk::explain::KEYWORD)
        .and_then(serde_json::Value::as_object_mut);
    for (code, entry) in all.into_iter().flatten() {
        let Some(row) = crate::controls::control(code).filter(|r| !r.nist.is_empty()) else {
            continue;
        };
        let ids: Vec<String> = row.nist.iter().map(|id| id.to_uppercase()).collect();
        let nist = format!("NIST SP 800-53 rev5: {}", ids.join(", "));
        let control = match entry["control"].as_str() {
            Some("") | None => nist,
            Some(cis) => format!("{cis}; {nist}"),
        };
        entry["control"] = control.into();
    }
    schema
}

/// Every code this baseline emits, explained (a host test checks none is missing).
pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "BASELINE-INPUT",
        summary: "The baseline could not judge its input: its parameters do not fit its schema, or a manifest is not a Kubernetes object it can read.",
        why: "A baseline that cannot read something cannot say it is compliant, so it refuses rather than pass it.",
        control: "",
        fix: "Correct the baseline entry's parameters (`profile: restricted|baseline`, `podSecurityOnly`), or the plugin whose object the finding names.",
    },
    Explanation {
        code: "CIS-5.1.5",
        summary: "A pod uses the namespace's `default` ServiceAccount.",
        why: "Every pod that uses `default` shares its permissions; a dedicated account per workload keeps grants narrow and auditable.",
        control: "CIS Kubernetes Benchmark 5.1.5",
        fix: "Give the pod its own ServiceAccount (the bundled workload plugin renders one named after the workload).",
    },
    Explanation {
        code: "CIS-5.1.6",
        summary: "A service-account token is mounted into pods that do not need to talk to the API server.",
        why: "A mounted token is a credential an attacker who gets into the container can use against the cluster.",
        control: "CIS Kubernetes Benchmark 5.1.6",
        fix: "Set `automountServiceAccountToken: false` on the ServiceAccount or the pod spec.",
    },
    Explanation {
        code: "CIS-5.2.1",
        summary: "The namespace does not enforce a Pod Security Standard (`pod-security.kubernetes.io/enforce` label).",
        why: "Without an admission policy, anyone who can create pods in the namespace can create privileged ones, whatever this spec renders.",
        control: "CIS Kubernetes Benchmark 5.2.1",
        fix: "Label the namespace `pod-security.kubernetes.io/enforce: restricted` (the bundled workload plugin does).",
    },
    pss(
        "CIS-5.2.2",
        "A container runs privileged (`securityContext.privileged: true`).",
        "A privileged container has every capability and the host's devices: escaping to the node is trivial.",
        "Remove `privileged: true`.",
    ),
    pss(
        "CIS-5.2.3",
        "A pod shares the host's process ID namespace (`hostPID: true`).",
        "It can see and signal every process on the node, and read their environment.",
        "Remove `hostPID`.",
    ),
    pss(
        "CIS-5.2.4",
        "A pod shares the host's IPC namespace (`hostIPC: true`).",
        "It can read the shared memory of processes on the node.",
        "Remove `hostIPC`.",
    ),
    pss(
        "CIS-5.2.5",
        "A pod uses the host's network namespace (`hostNetwork: true`).",
        "It bypasses NetworkPolicies and can listen on and reach the node's interfaces.",
        "Remove `hostNetwork`.",
    ),
    pss(
        "CIS-5.2.6",
        "A container may gain privileges (`allowPrivilegeEscalation` is not false).",
        "setuid binaries can raise a process's privileges inside the container.",
        FIX_POD,
    ),
    pss(
        "CIS-5.2.7",
        "A container may run as root (`runAsNonRoot` not true, or `runAsUser: 0`).",
        "Root in a container is root on the node once anything else goes wrong.",
        FIX_POD,
    ),
    pss(
        "CIS-5.2.8",
        "A container keeps or adds the NET_RAW capability.",
        "NET_RAW allows crafting packets: spoofing and man-in-the-middle attacks inside the cluster network.",
        "Drop ALL capabilities (`capabilities: {drop: [ALL]}`).",
    ),
    pss(
        "CIS-5.2.9",
        "A container adds capabilities beyond NET_BIND_SERVICE.",
        "Each added capability is kernel privilege the workload rarely needs.",
        "Remove `capabilities.add` (only NET_BIND_SERVICE is allowed under restricted).",
    ),
    pss(
        "CIS-5.2.10",
        "A container does not drop ALL capabilities.",
        "The container runtime's default capability set is wider than most workloads need.",
        "Set `capabilities: {drop: [ALL]}`.",
    ),
    pss(
        "CIS-5.2.11",
        "A Windows pod runs as a HostProcess container.",
        "A HostProcess container has full access to the Windows node.",
        "Remove `windowsOptions.hostProcess`.",
    ),
    pss(
        "CIS-5.2.12",
        "A pod mounts a hostPath volume.",
        "A host path gives the container the node's file system: its credentials, its logs, its container runtime socket.",
        "Use a PersistentVolumeClaim, ConfigMap, Secret or emptyDir instead.",
    ),
    pss(
        "CIS-5.2.13",
        "A container opens a hostPort.",
        "A host port binds the node's interface, bypassing Services and NetworkPolicies, and pins the pod to nodes with the port free.",
        "Remove `hostPort`; expose the pod through a Service.",
    ),
    Explanation {
        code: "CIS-5.3.2",
        summary: "A namespace has no NetworkPolicy.",
        why: "Without one, every pod in the cluster can reach every pod in the namespace, and its pods can reach anything.",
        control: "CIS Kubernetes Benchmark 5.3.2",
        fix: "Add a `network` section (the bundled network-policy plugin fences the namespace).",
    },
    Explanation {
        code: "CIS-5.4.1",
        summary: "A container reads a Secret through an environment variable.",
        why: "Environment variables leak into logs, crash dumps and child processes; files can be permission-restricted and rotated.",
        control: "CIS Kubernetes Benchmark 5.4.1",
        fix: "Mount the Secret as a volume and read it from a file.",
    },
    pss(
        "CIS-5.7.2",
        "A pod or container has no seccomp profile (`RuntimeDefault` or `Localhost`).",
        "Seccomp limits the system calls a container can make, shrinking the kernel attack surface.",
        "Set `securityContext.seccompProfile.type: RuntimeDefault`.",
    ),
    Explanation {
        code: "CIS-5.7.4",
        summary: "An object is placed in the `default` namespace (or a `kube-*` namespace).",
        why: "Workloads in `default` mix with everything else and escape per-namespace policies; `kube-*` belongs to the control plane.",
        control: "CIS Kubernetes Benchmark 5.7.4",
        fix: "Use the spec's own namespace (`namespace:`, which defaults to the spec's name).",
    },
    Explanation {
        code: "HMS-IMAGE-DIGEST",
        summary: "A container image is not pinned by a sha256 digest (a tag such as `:v1.0` can be moved).",
        why: "A tag can be re-pointed to other content; a digest guarantees the cluster runs exactly the image that was reviewed.",
        control: "",
        fix: "Write the image as `repo:tag@sha256:<digest>` (`docker buildx imagetools inspect IMAGE` shows the digest).",
    },
    Explanation {
        code: "HMS-RESOURCES",
        summary: "A container has no CPU or memory requests and limits.",
        why: "Without limits one workload can starve its neighbours on a node; without requests the scheduler cannot place it well.",
        control: "",
        fix: "Set `resources.requests` and `resources.limits` (the bundled workload plugin sets defaults: `workload.resources`).",
    },
    Explanation {
        code: "HMS-PROBES",
        summary: "A container has no readiness or liveness probe.",
        why: "Without probes Kubernetes sends traffic to pods that are not ready and never restarts a hung one; `status` cannot tell ready from running.",
        control: "",
        fix: "Add a `readinessProbe` and a `livenessProbe` to the container (the bundled workload plugin renders none: it cannot know what the image serves; a probe-aware workload plugin of your own can).",
    },
    Explanation {
        code: "HMS-RUN-AS-USER",
        summary: "A container sets no numeric `runAsUser` (or one below 10000).",
        why: "`runAsNonRoot` is only checked against the image's USER at start; an explicit high UID avoids colliding with host users.",
        control: "",
        fix: "Set `securityContext.runAsUser` to a UID of 10000 or more (the bundled workload plugin uses 10001).",
    },
    Explanation {
        code: "HMS-RUNTIME",
        summary: "The node pool's runtime is not one the baseline's profile approves (`runtimes`, e.g. `[fips-*]`).",
        why: "A FIPS profile promises that every node's cryptography runs in FIPS 140 validated modules; a node image without them breaks that promise for every workload on it.",
        control: "",
        fix: "Set `nodePool.runtime` to a runtime the profile lists (the message says which), or change the baseline entry's `runtimes`.",
    },
    pss(
        "PSS-appArmorProfile",
        "An AppArmor profile other than `RuntimeDefault` or `Localhost` is set.",
        "`Unconfined` turns off the mandatory access control that confines the container.",
        "Remove the AppArmor setting or use `RuntimeDefault`.",
    ),
    pss(
        "PSS-seLinuxOptions",
        "An SELinux type or user/role outside the allowed set is set.",
        "A custom SELinux type can lift the confinement of the container's processes.",
        "Remove `seLinuxOptions.type`/`user`/`role`, or use container_t, container_init_t or container_kvm_t.",
    ),
    pss(
        "PSS-procMount",
        "A container sets `procMount` other than `Default`.",
        "An unmasked /proc exposes kernel information and interfaces the runtime normally hides.",
        "Remove `procMount`.",
    ),
    pss(
        "PSS-sysctls",
        "A pod sets a sysctl outside the safe set.",
        "Unsafe sysctls change kernel settings for the whole node, not just the pod.",
        "Remove the sysctl, or use one of the namespaced safe ones.",
    ),
    pss(
        "PSS-restrictedVolumes",
        "A pod uses a volume type the restricted profile does not allow.",
        "Volume types other than the restricted set (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret) can reach the node or network storage directly.",
        "Use one of the allowed volume types, usually a PersistentVolumeClaim.",
    ),
    pss(
        "PSS-hostProbesAndHostLifecycle",
        "A probe or lifecycle hook sets `host` to another address.",
        "The kubelet would make requests to an arbitrary host on the pod's behalf.",
        "Remove the `host` field from the probe or hook.",
    ),
];
