//! Pod Security Standards checks with the semantics of the pod-security-admission library at v1.35.
//!
//! `baseline` runs the baseline checks; `restricted` runs them plus the restricted ones, where a
//! restricted check replaces the baseline check it overrides upstream (capabilities, seccomp,
//! procMount, volumes). Every check reports each offending field as an error finding.

use serde_json::Value;

use crate::model::{Profile, Sink, arr_at, at, is_true, ptr, ptr_i, show, text};
use crate::pods::{
    ContainerView, PodView, containers, in_user_namespace, is_windows, pod_sc, pod_sc_path,
};

/// Capabilities a baseline container may add (the container runtime's default set).
const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls allowed at baseline as of Kubernetes 1.32 (unchanged in 1.35).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// SELinux types allowed at baseline since 1.31 (empty means unset).
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Volume sources allowed by the restricted level.
const RESTRICTED_ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Volume sources forbidden by the restricted level (besides hostPath, reported as CIS-5.2.12).
const RESTRICTED_FORBIDDEN_VOLUMES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Runs every Pod Security Standards check of `profile` on one pod.
pub fn check_pod(pod: &PodView<'_>, profile: Profile, sink: &mut Sink<'_>) {
    let cs = containers(pod.spec, &pod.spec_path);
    let restricted = profile == Profile::Restricted;

    host_namespaces(pod, sink);
    privileged(&cs, sink);
    if restricted {
        capabilities_restricted(pod, &cs, sink);
    } else {
        capabilities_baseline(&cs, sink);
    }
    volumes(pod, restricted, sink);
    host_ports(&cs, sink);
    app_armor(pod, &cs, sink);
    se_linux(pod, &cs, sink);
    proc_mount(pod, &cs, restricted, sink);
    if restricted {
        seccomp_restricted(pod, &cs, sink);
    } else {
        seccomp_baseline(pod, &cs, sink);
    }
    sysctls(pod, sink);
    windows_host_process(pod, &cs, sink);
    host_probes_and_lifecycle(&cs, sink);
    if restricted {
        allow_privilege_escalation(pod, &cs, sink);
        run_as_non_root(pod, &cs, sink);
        run_as_user(pod, &cs, sink);
    }
}

fn host_namespaces(pod: &PodView<'_>, sink: &mut Sink<'_>) {
    for (field, code, what) in [
        ("hostNetwork", "CIS-5.2.5", "network"),
        ("hostPID", "CIS-5.2.3", "process ID"),
        ("hostIPC", "CIS-5.2.4", "IPC"),
    ] {
        if is_true(at(pod.spec, &[field])) {
            sink.error(
                code,
                ptr(&pod.spec_path, field),
                format!("pod sets {field}=true and shares the host's {what} namespace"),
                &format!("remove {field} or set it to false"),
            );
        }
    }
}

fn privileged(cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    for c in cs {
        if is_true(c.sc(&["privileged"])) {
            sink.error(
                "CIS-5.2.2",
                c.sc_path(&["privileged"]),
                format!("{} runs privileged", c.label()),
                "set securityContext.privileged to false or remove it",
            );
        }
    }
}

/// The capability code: NET_RAW has its own control.
fn capability_code(cap: &Value) -> &'static str {
    match cap.as_str() {
        Some("NET_RAW" | "CAP_NET_RAW") => "CIS-5.2.8",
        _ => "CIS-5.2.9",
    }
}

fn capabilities_baseline(cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    for c in cs {
        let Some(add) = c.sc(&["capabilities", "add"]) else {
            continue;
        };
        let Value::Array(add) = add else {
            sink.error(
                "CIS-5.2.9",
                c.sc_path(&["capabilities", "add"]),
                format!(
                    "{} has a malformed securityContext.capabilities.add",
                    c.label()
                ),
                "make capabilities.add a list of capability names from the default set",
            );
            continue;
        };
        for (i, cap) in add.iter().enumerate() {
            let allowed = cap
                .as_str()
                .is_some_and(|s| DEFAULT_CAPABILITIES.contains(&s));
            if !allowed {
                sink.error(
                    capability_code(cap),
                    ptr_i(&c.sc_path(&["capabilities", "add"]), i),
                    format!(
                        "{} adds capability {}, which is not in the default set",
                        c.label(),
                        show(cap)
                    ),
                    "remove it from securityContext.capabilities.add",
                );
            }
        }
    }
}

fn capabilities_restricted(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    if is_windows(pod) {
        return;
    }
    for c in cs {
        let caps = c.sc(&["capabilities"]);
        let drop = caps.and_then(|v| at(v, &["drop"]));
        let dropped = |name: &str| match drop {
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(name)),
            _ => false,
        };
        if !dropped("ALL") {
            sink.error(
                "CIS-5.2.10",
                c.sc_path(&["capabilities", "drop"]),
                format!("{} does not drop ALL capabilities", c.label()),
                r#"set securityContext.capabilities.drop to ["ALL"]"#,
            );
            if !dropped("NET_RAW") {
                sink.error(
                    "CIS-5.2.8",
                    c.sc_path(&["capabilities", "drop"]),
                    format!("{} keeps the NET_RAW capability", c.label()),
                    r#"set securityContext.capabilities.drop to ["ALL"]"#,
                );
            }
        }
        match caps.and_then(|v| at(v, &["add"])) {
            None => {}
            Some(Value::Array(add)) => {
                for (i, cap) in add.iter().enumerate() {
                    if cap.as_str() != Some("NET_BIND_SERVICE") {
                        sink.error(
                            capability_code(cap),
                            ptr_i(&c.sc_path(&["capabilities", "add"]), i),
                            format!(
                                "{} adds capability {}; the restricted level allows only NET_BIND_SERVICE",
                                c.label(),
                                show(cap)
                            ),
                            "remove it from securityContext.capabilities.add",
                        );
                    }
                }
            }
            Some(_) => sink.error(
                "CIS-5.2.9",
                c.sc_path(&["capabilities", "add"]),
                format!(
                    "{} has a malformed securityContext.capabilities.add",
                    c.label()
                ),
                "make capabilities.add empty or [\"NET_BIND_SERVICE\"]",
            ),
        }
    }
}

fn volumes(pod: &PodView<'_>, restricted: bool, sink: &mut Sink<'_>) {
    let base = ptr(&pod.spec_path, "volumes");
    for (i, volume) in arr_at(pod.spec, &["volumes"]).iter().enumerate() {
        let name = volume
            .get("name")
            .map(show)
            .unwrap_or_else(|| format!("#{i}"));
        let path = ptr_i(&base, i);
        let has = |key: &str| at(volume, &[key]).is_some();
        if restricted && RESTRICTED_ALLOWED_VOLUMES.iter().any(|k| has(k)) {
            continue;
        }
        if has("hostPath") {
            sink.error(
                "CIS-5.2.12",
                ptr(&path, "hostPath"),
                format!("volume {name:?} mounts a hostPath"),
                "replace the hostPath volume with a persistentVolumeClaim, configMap, secret or emptyDir",
            );
            continue;
        }
        if !restricted {
            continue;
        }
        // A volume without any known source is defaulted to emptyDir by the API server.
        if let Some(kind) = RESTRICTED_FORBIDDEN_VOLUMES.iter().find(|k| has(k)) {
            sink.error(
                "PSS-restrictedVolumes",
                ptr(&path, kind),
                format!("volume {name:?} uses the {kind} volume type, not allowed at restricted"),
                "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes",
            );
        }
    }
}

fn host_ports(cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    for c in cs {
        let base = ptr(&c.path, "ports");
        for (i, port) in arr_at(c.value, &["ports"]).iter().enumerate() {
            let Some(host_port) = at(port, &["hostPort"]) else {
                continue;
            };
            if host_port.as_f64() == Some(0.0) {
                continue;
            }
            sink.error(
                "CIS-5.2.13",
                ptr(&ptr_i(&base, i), "hostPort"),
                format!("{} binds host port {}", c.label(), show(host_port)),
                "remove hostPort (expose the port through a Service instead)",
            );
        }
    }
}

fn app_armor(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    let allowed_type = |v: &Value| {
        matches!(
            at(v, &["type"]).and_then(Value::as_str),
            Some("RuntimeDefault" | "Localhost")
        )
    };
    let hint = "set appArmorProfile.type to RuntimeDefault or Localhost, or remove it";
    if let Some(profile) = pod_sc(pod, &["appArmorProfile"])
        && !allowed_type(profile)
    {
        sink.error(
            "PSS-appArmorProfile",
            pod_sc_path(pod, &["appArmorProfile", "type"]),
            format!(
                "pod sets AppArmor profile type {}",
                at(profile, &["type"]).map(show).unwrap_or_default()
            ),
            hint,
        );
    }
    for c in cs {
        if let Some(profile) = c.sc(&["appArmorProfile"])
            && !allowed_type(profile)
        {
            sink.error(
                "PSS-appArmorProfile",
                c.sc_path(&["appArmorProfile", "type"]),
                format!(
                    "{} sets AppArmor profile type {}",
                    c.label(),
                    at(profile, &["type"]).map(show).unwrap_or_default()
                ),
                hint,
            );
        }
    }
    let Some(Value::Object(annotations)) = at(pod.meta, &["annotations"]) else {
        return;
    };
    for (key, value) in annotations {
        if !key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            continue;
        }
        let ok = match text(Some(value)) {
            Some(v) => v.is_empty() || v == "runtime/default" || v.starts_with("localhost/"),
            None => false,
        };
        if !ok {
            sink.error(
                "PSS-appArmorProfile",
                ptr(&ptr(&pod.meta_path, "annotations"), key),
                format!("annotation {key} sets AppArmor profile {}", show(value)),
                "set the annotation to runtime/default or localhost/<profile>, or use securityContext.appArmorProfile",
            );
        }
    }
}

/// What is wrong with a seLinuxOptions object, if anything.
fn se_linux_problems(opts: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match text(at(opts, &["type"])) {
        Some(t) if SELINUX_TYPES.contains(&t) => {}
        _ => problems.push(format!(
            "type {}",
            at(opts, &["type"]).map(show).unwrap_or_default()
        )),
    }
    for field in ["user", "role"] {
        if text(at(opts, &[field])) != Some("") {
            problems.push(format!("{field} is set"));
        }
    }
    problems
}

fn se_linux(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    let hint = "leave seLinuxOptions.user and .role unset and set .type only to container_t, container_init_t, container_kvm_t or container_engine_t";
    if let Some(opts) = pod_sc(pod, &["seLinuxOptions"]) {
        let problems = se_linux_problems(opts);
        if !problems.is_empty() {
            sink.error(
                "PSS-seLinuxOptions",
                pod_sc_path(pod, &["seLinuxOptions"]),
                format!("pod sets forbidden seLinuxOptions: {}", problems.join("; ")),
                hint,
            );
        }
    }
    for c in cs {
        if let Some(opts) = c.sc(&["seLinuxOptions"]) {
            let problems = se_linux_problems(opts);
            if !problems.is_empty() {
                sink.error(
                    "PSS-seLinuxOptions",
                    c.sc_path(&["seLinuxOptions"]),
                    format!(
                        "{} sets forbidden seLinuxOptions: {}",
                        c.label(),
                        problems.join("; ")
                    ),
                    hint,
                );
            }
        }
    }
}

fn proc_mount(pod: &PodView<'_>, cs: &[ContainerView<'_>], restricted: bool, sink: &mut Sink<'_>) {
    // Since 1.35 baseline allows any procMount in a user namespace; restricted never does.
    if !restricted && in_user_namespace(pod) {
        return;
    }
    for c in cs {
        if let Some(mount) = c.sc(&["procMount"])
            && mount.as_str() != Some("Default")
        {
            sink.error(
                "PSS-procMount",
                c.sc_path(&["procMount"]),
                format!("{} sets procMount {}", c.label(), show(mount)),
                "set securityContext.procMount to Default or remove it",
            );
        }
    }
}

fn valid_seccomp(profile: &Value) -> bool {
    matches!(
        at(profile, &["type"]).and_then(Value::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

const SECCOMP_HINT: &str =
    "set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) on the pod";

/// Reports explicitly invalid seccomp profiles; returns whether the pod sets a valid one.
fn seccomp_explicit(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) -> bool {
    let mut pod_valid = false;
    if let Some(profile) = pod_sc(pod, &["seccompProfile"]) {
        if valid_seccomp(profile) {
            pod_valid = true;
        } else {
            sink.error(
                "CIS-5.7.2",
                pod_sc_path(pod, &["seccompProfile", "type"]),
                format!(
                    "pod sets seccomp profile type {}",
                    at(profile, &["type"]).map(show).unwrap_or_default()
                ),
                SECCOMP_HINT,
            );
        }
    }
    for c in cs {
        if let Some(profile) = c.sc(&["seccompProfile"])
            && !valid_seccomp(profile)
        {
            sink.error(
                "CIS-5.7.2",
                c.sc_path(&["seccompProfile", "type"]),
                format!(
                    "{} sets seccomp profile type {}",
                    c.label(),
                    at(profile, &["type"]).map(show).unwrap_or_default()
                ),
                SECCOMP_HINT,
            );
        }
    }
    pod_valid
}

fn seccomp_baseline(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    seccomp_explicit(pod, cs, sink);
}

fn seccomp_restricted(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    if is_windows(pod) {
        return;
    }
    if seccomp_explicit(pod, cs, sink) {
        return;
    }
    for c in cs {
        if c.sc(&["seccompProfile"]).is_none() {
            sink.error(
                "CIS-5.7.2",
                c.sc_path(&["seccompProfile"]),
                format!(
                    "{} has no seccomp profile and the pod sets no valid default",
                    c.label()
                ),
                SECCOMP_HINT,
            );
        }
    }
}

fn sysctls(pod: &PodView<'_>, sink: &mut Sink<'_>) {
    let Some(list) = pod_sc(pod, &["sysctls"]) else {
        return;
    };
    let base = pod_sc_path(pod, &["sysctls"]);
    let Value::Array(items) = list else {
        sink.error(
            "PSS-sysctls",
            base,
            "pod has a malformed securityContext.sysctls".to_string(),
            "make sysctls a list of {name, value} using only safe sysctls",
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let name = at(item, &["name"]);
        let safe = name
            .and_then(Value::as_str)
            .is_some_and(|n| SAFE_SYSCTLS.contains(&n));
        if !safe {
            sink.error(
                "PSS-sysctls",
                ptr(&ptr_i(&base, i), "name"),
                format!(
                    "pod sets sysctl {}, which is not in the safe set",
                    name.map(show).unwrap_or_default()
                ),
                "remove it; only namespaced safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_*, ...) are allowed",
            );
        }
    }
}

fn windows_host_process(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    let hint = "set windowsOptions.hostProcess to false or remove it";
    if is_true(pod_sc(pod, &["windowsOptions", "hostProcess"])) {
        sink.error(
            "CIS-5.2.11",
            pod_sc_path(pod, &["windowsOptions", "hostProcess"]),
            "pod runs as a Windows HostProcess".to_string(),
            hint,
        );
    }
    for c in cs {
        if is_true(c.sc(&["windowsOptions", "hostProcess"])) {
            sink.error(
                "CIS-5.2.11",
                c.sc_path(&["windowsOptions", "hostProcess"]),
                format!("{} runs as a Windows HostProcess", c.label()),
                hint,
            );
        }
    }
}

fn host_probes_and_lifecycle(cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    let handlers: [&[&str]; 5] = [
        &["livenessProbe"],
        &["readinessProbe"],
        &["startupProbe"],
        &["lifecycle", "postStart"],
        &["lifecycle", "preStop"],
    ];
    for c in cs {
        for keys in handlers {
            let Some(handler) = at(c.value, keys) else {
                continue;
            };
            for action in ["httpGet", "tcpSocket"] {
                let host = at(handler, &[action, "host"]);
                if text(host) == Some("") {
                    continue;
                }
                let mut path = c.path.clone();
                for key in keys.iter().chain([&action, &"host"]) {
                    path = ptr(&path, key);
                }
                sink.error(
                    "PSS-hostProbesAndHostLifecycle",
                    path,
                    format!(
                        "{} {}.{action} targets host {}",
                        c.label(),
                        keys.join("."),
                        host.map(show).unwrap_or_default()
                    ),
                    "remove the host field so the probe or hook targets the pod's own IP",
                );
            }
        }
    }
}

fn allow_privilege_escalation(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    if is_windows(pod) {
        return;
    }
    for c in cs {
        if !matches!(
            c.sc(&["allowPrivilegeEscalation"]),
            Some(Value::Bool(false))
        ) {
            sink.error(
                "CIS-5.2.6",
                c.sc_path(&["allowPrivilegeEscalation"]),
                format!(
                    "{} does not set securityContext.allowPrivilegeEscalation=false",
                    c.label()
                ),
                "set securityContext.allowPrivilegeEscalation: false on the container",
            );
        }
    }
}

fn run_as_non_root(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    if in_user_namespace(pod) {
        return;
    }
    let hint = "set securityContext.runAsNonRoot: true on the pod (and do not set it to false on containers)";
    let mut pod_non_root = false;
    if let Some(v) = pod_sc(pod, &["runAsNonRoot"]) {
        if v == &Value::Bool(true) {
            pod_non_root = true;
        } else {
            sink.error(
                "CIS-5.2.7",
                pod_sc_path(pod, &["runAsNonRoot"]),
                format!("pod sets runAsNonRoot={}", show(v)),
                hint,
            );
        }
    }
    for c in cs {
        match c.sc(&["runAsNonRoot"]) {
            Some(Value::Bool(true)) => {}
            Some(v) => sink.error(
                "CIS-5.2.7",
                c.sc_path(&["runAsNonRoot"]),
                format!("{} sets runAsNonRoot={}", c.label(), show(v)),
                hint,
            ),
            None if !pod_non_root => sink.error(
                "CIS-5.2.7",
                c.sc_path(&["runAsNonRoot"]),
                format!(
                    "{} may run as root: neither it nor the pod sets runAsNonRoot=true",
                    c.label()
                ),
                hint,
            ),
            None => {}
        }
    }
}

fn run_as_user(pod: &PodView<'_>, cs: &[ContainerView<'_>], sink: &mut Sink<'_>) {
    if in_user_namespace(pod) {
        return;
    }
    let hint = "set securityContext.runAsUser to a non-zero UID (10000 or more)";
    let is_root = |v: Option<&Value>| v.and_then(Value::as_f64) == Some(0.0);
    if is_root(pod_sc(pod, &["runAsUser"])) {
        sink.error(
            "CIS-5.2.7",
            pod_sc_path(pod, &["runAsUser"]),
            "pod sets runAsUser=0 (root)".to_string(),
            hint,
        );
    }
    for c in cs {
        if is_root(c.sc(&["runAsUser"])) {
            sink.error(
                "CIS-5.2.7",
                c.sc_path(&["runAsUser"]),
                format!("{} sets runAsUser=0 (root)", c.label()),
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, ObjectRef};
    use crate::pods::pod_of;
    use serde_json::json;

    fn run(pod: Value, profile: Profile) -> Vec<Finding> {
        let object = ObjectRef::default();
        let mut out = Vec::new();
        let view = pod_of(&pod, "", "Pod").and_then(Result::ok);
        if let Some(view) = view {
            check_pod(
                &view,
                profile,
                &mut Sink {
                    object: &object,
                    out: &mut out,
                },
            );
        }
        out
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn restricted_pod_paths_and_codes() {
        let pod = json!({"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"add":["NET_RAW"]}}}],"hostPID":true}});
        let f = run(pod, Profile::Restricted);
        let c = codes(&f);
        for want in [
            "CIS-5.2.3",
            "CIS-5.2.8",
            "CIS-5.2.10",
            "CIS-5.2.6",
            "CIS-5.2.7",
            "CIS-5.7.2",
        ] {
            assert!(c.contains(&want), "missing {want} in {c:?}");
        }
        assert!(
            f.iter()
                .any(|f| f.path == "/spec/containers/0/securityContext/capabilities/add/0")
        );
        assert!(
            f.iter()
                .any(|f| f.path == "/spec/containers/0/securityContext/allowPrivilegeEscalation")
        );
    }

    #[test]
    fn windows_and_user_namespace_exemptions() {
        let win = json!({"spec":{"os":{"name":"windows"},"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}]}});
        assert!(run(win, Profile::Restricted).is_empty());
        let userns = json!({"spec":{"hostUsers":false,"securityContext":{"seccompProfile":{"type":"RuntimeDefault"},"runAsUser":0},
            "containers":[{"name":"a","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}});
        assert!(run(userns, Profile::Restricted).is_empty());
    }

    #[test]
    fn garbage_does_not_panic() {
        for spec in [
            json!(1),
            json!({"containers":5,"volumes":[1,null,{"hostPath":null}],"securityContext":"x"}),
            json!({"containers":[{"securityContext":{"capabilities":{"add":"x","drop":7}},"ports":[{"hostPort":"8"}],"livenessProbe":{"httpGet":{"host":3}}}]}),
        ] {
            let _ = run(json!({"spec": spec}), Profile::Restricted);
            let _ = run(json!({"spec": spec}), Profile::Baseline);
        }
    }
}
