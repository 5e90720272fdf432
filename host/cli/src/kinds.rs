//! What the host knows about kinds without a cluster: scope, apply order, and which kinds each
//! section may emit (the capability model).

use hms_spec::Section;

/// Cluster-scoped kinds the host knows, as (group, kind). Everything else is treated as
/// namespaced when it has a namespace; at apply time discovery has the last word.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("karpenter.sh", "NodePool"),
    ("karpenter.k8s.aws", "EC2NodeClass"),
];

/// Namespaced kinds the host knows: these must carry a namespace.
const NAMESPACED: &[(&str, &str)] = &[
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "Service"),
    ("", "Pod"),
    ("", "PersistentVolumeClaim"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("policy", "PodDisruptionBudget"),
    ("cluster.x-k8s.io", "MachineDeployment"),
    ("cluster.x-k8s.io", "MachineHealthCheck"),
];

/// Where a kind lives, as far as the host knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Cluster,
    Namespaced,
    Unknown,
}

pub fn scope(group: &str, kind: &str) -> Scope {
    if CLUSTER_SCOPED.contains(&(group, kind)) {
        Scope::Cluster
    } else if NAMESPACED.contains(&(group, kind)) {
        Scope::Namespaced
    } else {
        Scope::Unknown
    }
}

/// The group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Apply order: namespaces and classes first, then storage, then identities and fences, then
/// node pools, then workloads. Objects of equal rank keep the order the plugins gave.
pub fn rank(group: &str, kind: &str) -> u8 {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 0,
        ("", "Namespace") => 1,
        ("storage.k8s.io", _) | ("karpenter.k8s.aws", _) => 2,
        ("", "PersistentVolumeClaim") | ("", "PersistentVolume") => 3,
        ("", "ServiceAccount") | ("rbac.authorization.k8s.io", _) => 4,
        ("networking.k8s.io", "NetworkPolicy") => 5,
        ("", "ConfigMap") | ("", "Secret") => 5,
        ("karpenter.sh", _) | ("cluster.x-k8s.io", _) => 6,
        _ => 7,
    }
}

/// What a person calls an apply step of [`rank`] (`apply`'s live progress).
pub fn step_name(rank: u8) -> &'static str {
    match rank {
        0 => "custom resource definitions",
        1 => "namespaces",
        2 => "classes",
        3 => "storage",
        4 => "identities",
        5 => "policies and configuration",
        6 => "node pools",
        _ => "workloads",
    }
}

/// What a section's plugin may emit without a grant, as (group, kind); `*` is any kind of the
/// group. The host owns this list (docs in ARCHITECTURE.md, "Capabilities"); a plugin's
/// `emits` can only narrow it, and the spec's `grants:` can widen it for one plugin.
const SECTION_KINDS: &[(Section, &[(&str, &str)])] = &[
    (
        Section::NodePool,
        &[
            ("cluster.x-k8s.io", "MachineDeployment"),
            ("cluster.x-k8s.io", "MachineHealthCheck"),
            ("cluster.x-k8s.io", "MachinePool"),
            ("infrastructure.cluster.x-k8s.io", "*"),
            ("bootstrap.cluster.x-k8s.io", "*"),
            ("karpenter.sh", "NodePool"),
            ("karpenter.k8s.aws", "EC2NodeClass"),
            ("karpenter.azure.com", "AKSNodeClass"),
        ],
    ),
    (
        Section::Storage,
        &[
            ("storage.k8s.io", "StorageClass"),
            ("storage.k8s.io", "VolumeAttributesClass"),
            ("", "PersistentVolumeClaim"),
            ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
            ("snapshot.storage.k8s.io", "VolumeSnapshot"),
        ],
    ),
    (
        Section::Network,
        &[
            ("networking.k8s.io", "NetworkPolicy"),
            ("cilium.io", "CiliumNetworkPolicy"),
            ("projectcalico.org", "NetworkPolicy"),
            ("crd.projectcalico.org", "NetworkPolicy"),
        ],
    ),
    (
        Section::Workload,
        &[
            ("", "Namespace"),
            ("", "ServiceAccount"),
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "Service"),
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
            ("batch", "CronJob"),
            ("policy", "PodDisruptionBudget"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("networking.k8s.io", "Ingress"),
        ],
    ),
    (Section::Baseline, &[]),
];

/// API groups whose every kind gives power over the cluster: who may do what (RBAC), what the
/// API server admits or serves (webhooks, CRDs, aggregated APIs, flow control), certificates.
const POWER_GROUPS: &[&str] = &[
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

/// Single kinds that give power over the cluster or its nodes.
const POWER_KINDS: &[(&str, &str)] = &[
    ("", "Node"),
    ("", "PersistentVolume"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("storage.k8s.io", "CSIDriver"),
];

/// Whether a section's plugin may emit this kind without a grant.
pub fn section_allows(section: Section, group: &str, kind: &str) -> bool {
    !is_powerful(group, kind)
        && SECTION_KINDS
            .iter()
            .filter(|(s, _)| *s == section)
            .flat_map(|(_, kinds)| kinds.iter())
            .any(|(g, k)| *g == group && (*k == "*" || *k == kind))
}

/// The kinds a section's plugin may emit without a grant, for messages (`Kind.group`).
pub fn section_kinds(section: Section) -> Vec<String> {
    SECTION_KINDS
        .iter()
        .filter(|(s, _)| *s == section)
        .flat_map(|(_, kinds)| kinds.iter())
        .map(|(g, k)| kind_ref(g, k))
        .collect()
}

/// Kinds that give power over the cluster: refused for every plugin unless granted.
pub fn is_powerful(group: &str, kind: &str) -> bool {
    POWER_GROUPS.contains(&group) || POWER_KINDS.contains(&(group, kind))
}

/// `Kind.group`, or `Kind` for the core group: how grants and messages write a kind.
pub fn kind_ref(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The label that sets a namespace's enforced Pod Security level.
pub const PSA_ENFORCE: &str = "pod-security.kubernetes.io/enforce";
