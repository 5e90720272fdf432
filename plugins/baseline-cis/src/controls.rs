//! The one mapping from this baseline's finding codes to the controls they support: the Pod
//! Security Standards control (when the finding is one of its checks), the CIS Kubernetes
//! Benchmark recommendation (the code itself for `CIS-5.x`) and the NIST SP 800-53 rev5
//! controls (OSCAL ids: lowercase, enhancements as `ac-6.10`).
//!
//! Sources, for every row: the CIS Kubernetes Benchmark v1.10 section 5 ("Policies"), the
//! Kubernetes Pod Security Standards (v1.35, kubernetes.io/docs/concepts/security/pod-security-standards),
//! NIST SP 800-190 "Application Container Security Guide" section 4 (the container risks and
//! their countermeasures: 4.4 container runtime, 4.5 host OS) and the control text of NIST SP
//! 800-53 rev5 (AC-6 least privilege, CM-7 least functionality, SC-39 process isolation, SC-7
//! boundary protection, ...). docs/compliance.md shows the table with a reason per row; a test
//! checks every NIST id exists in the official rev5 MODERATE or HIGH baseline (OSCAL).
//!
//! The WIT `diagnostic` record has no field for the NIST controls, and released WIT types are
//! never edited: the plugin carries them at the end of the message as one trailer,
//! [`TRAILER_START`]`ac-6, cm-7]` ([`with_trailer`]); the host takes it off
//! (`hms_sys::findings`) and reports the controls as a field of their own.

/// Where a finding's NIST controls begin at the end of its message.
pub const TRAILER_START: &str = " [NIST SP 800-53 rev5: ";

/// One row of the mapping.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// The finding code (`CIS-5.2.2`, `PSS-procMount`, `HMS-IMAGE-DIGEST`).
    pub code: &'static str,
    /// The Pod Security Standards control this check enforces, if any.
    pub pss: &'static str,
    /// What the control is about, for people.
    pub title: &'static str,
    /// NIST SP 800-53 rev5 control ids (OSCAL spelling).
    pub nist: &'static [&'static str],
    /// Why these NIST controls (one line, for docs/compliance.md).
    pub why: &'static str,
}

const fn row(
    code: &'static str,
    pss: &'static str,
    title: &'static str,
    nist: &'static [&'static str],
    why: &'static str,
) -> Control {
    Control {
        code,
        pss,
        title,
        nist,
        why,
    }
}

/// Every finding code this baseline emits, but `BASELINE-INPUT` (about the input, no control).
pub const CONTROLS: &[Control] = &[
    row(
        "CIS-5.1.5",
        "",
        "default service accounts are not actively used",
        &["ac-2", "ac-6"],
        "a workload identity of its own: account management, least privilege",
    ),
    row(
        "CIS-5.1.6",
        "",
        "service account tokens are mounted only where necessary",
        &["ac-6", "ia-5"],
        "no API credential a pod does not need",
    ),
    row(
        "CIS-5.2.1",
        "",
        "the namespace has a policy control mechanism (Pod Security Admission enforce label)",
        &["cm-6", "cm-7"],
        "the configuration setting that enforces the pod controls",
    ),
    row(
        "CIS-5.2.2",
        "Privileged Containers",
        "no privileged containers",
        &["ac-6", "ac-6.10", "sc-39"],
        "a privileged container runs with the host's privileges (SP 800-190 4.4.3)",
    ),
    row(
        "CIS-5.2.3",
        "Host Namespaces",
        "no sharing of the host process ID namespace",
        &["sc-39", "ac-6"],
        "process isolation from the host",
    ),
    row(
        "CIS-5.2.4",
        "Host Namespaces",
        "no sharing of the host IPC namespace",
        &["sc-39", "ac-6"],
        "process isolation from the host",
    ),
    row(
        "CIS-5.2.5",
        "Host Namespaces",
        "no sharing of the host network namespace",
        &["sc-7", "sc-39"],
        "the pod stays behind the cluster's network boundary",
    ),
    row(
        "CIS-5.2.6",
        "Privilege Escalation",
        "no privilege escalation (allowPrivilegeEscalation: false)",
        &["ac-6", "ac-6.10"],
        "a process cannot gain more privileges than its parent",
    ),
    row(
        "CIS-5.2.7",
        "Running as Non-root",
        "containers do not run as root",
        &["ac-6", "ac-6.2"],
        "least privilege for a non-security function",
    ),
    row(
        "CIS-5.2.8",
        "Capabilities",
        "no NET_RAW capability",
        &["ac-6", "cm-7"],
        "least functionality: raw sockets enable spoofing",
    ),
    row(
        "CIS-5.2.9",
        "Capabilities",
        "no added capabilities",
        &["ac-6", "cm-7"],
        "least privilege and least functionality",
    ),
    row(
        "CIS-5.2.10",
        "Capabilities",
        "capabilities dropped (drop ALL)",
        &["ac-6", "cm-7"],
        "least privilege and least functionality",
    ),
    row(
        "CIS-5.2.11",
        "HostProcess",
        "no Windows HostProcess containers",
        &["ac-6", "sc-39"],
        "a HostProcess container runs on the host",
    ),
    row(
        "CIS-5.2.12",
        "HostPath Volumes",
        "no hostPath volumes",
        &["ac-3", "ac-6", "sc-39"],
        "no access to the host's file system",
    ),
    row(
        "CIS-5.2.13",
        "Host Ports",
        "no host ports",
        &["cm-7", "sc-7"],
        "no port outside the cluster's network boundary",
    ),
    row(
        "CIS-5.3.2",
        "",
        "every namespace has a NetworkPolicy",
        &["sc-7", "ac-4"],
        "boundary protection and information flow enforcement",
    ),
    row(
        "CIS-5.4.1",
        "",
        "secrets as files, not environment variables",
        &["sc-28", "ia-5"],
        "protection of authenticators at rest (env leaks to logs and children)",
    ),
    row(
        "CIS-5.7.2",
        "Seccomp",
        "the seccomp profile is RuntimeDefault or Localhost",
        &["cm-7", "sc-39"],
        "least functionality: the system calls a container may make",
    ),
    row(
        "CIS-5.7.4",
        "",
        "the default namespace is not used",
        &["ac-4", "cm-6"],
        "a namespace is the boundary policies and quotas attach to",
    ),
    row(
        "PSS-appArmorProfile",
        "AppArmor",
        "no AppArmor override to unconfined",
        &["ac-6", "cm-7", "sc-39"],
        "mandatory access control confines the process",
    ),
    row(
        "PSS-seLinuxOptions",
        "SELinux",
        "no custom SELinux user, role or type",
        &["ac-3", "ac-6", "sc-39"],
        "mandatory access control confines the process",
    ),
    row(
        "PSS-procMount",
        "/proc Mount Type",
        "the default /proc mount mask",
        &["sc-39", "ac-6"],
        "the host's /proc stays masked",
    ),
    row(
        "PSS-sysctls",
        "Sysctls",
        "only safe sysctls",
        &["cm-7", "sc-39"],
        "no kernel setting that reaches beyond the pod",
    ),
    row(
        "PSS-restrictedVolumes",
        "Volume Types",
        "only the restricted volume types",
        &["ac-6", "cm-7"],
        "least functionality: storage the pod may reach",
    ),
    row(
        "PSS-hostProbesAndHostLifecycle",
        "Host Probes / Lifecycle Hooks",
        "probes and hooks do not name a host",
        &["sc-7", "ac-4"],
        "no request to another host from the kubelet",
    ),
    row(
        "HMS-IMAGE-DIGEST",
        "",
        "images pinned by digest",
        &["cm-2", "si-7"],
        "the baseline configuration names exactly the software that runs; integrity",
    ),
    row(
        "HMS-RESOURCES",
        "",
        "CPU and memory requests and limits",
        &["sc-5"],
        "a pod cannot starve its neighbours (denial-of-service protection)",
    ),
    row(
        "HMS-PROBES",
        "",
        "liveness and readiness probes",
        &["si-4", "sc-5"],
        "the platform notices and replaces a failing container",
    ),
    row(
        "HMS-RUN-AS-USER",
        "",
        "a non-zero runAsUser",
        &["ac-6", "ac-6.2"],
        "least privilege for a non-security function",
    ),
    row(
        "HMS-RUNTIME",
        "",
        "a node runtime the profile approves (FIPS 140 validated for a FIPS profile)",
        &["sc-13", "cm-7"],
        "cryptography by validated modules; only the node images the profile allows",
    ),
];

/// The mapping row of a finding code.
pub fn control(code: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.code == code)
}

/// The message with the code's NIST controls appended as the trailer the host reads; a code
/// without a mapping (or with no NIST control) keeps its message as it is.
pub fn with_trailer(code: &str, message: String) -> String {
    match control(code) {
        Some(c) if !c.nist.is_empty() => format!("{message}{TRAILER_START}{}]", c.nist.join(", ")),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_code_and_a_trailer() {
        for (i, c) in CONTROLS.iter().enumerate() {
            assert!(
                CONTROLS[..i].iter().all(|d| d.code != c.code),
                "{} twice",
                c.code
            );
            assert!(!c.nist.is_empty(), "{} has no NIST control", c.code);
        }
        assert_eq!(
            with_trailer("CIS-5.2.2", "privileged".into()),
            "privileged [NIST SP 800-53 rev5: ac-6, ac-6.10, sc-39]"
        );
        assert_eq!(with_trailer("BASELINE-INPUT", "x".into()), "x");
    }
}
