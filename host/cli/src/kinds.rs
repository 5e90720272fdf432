//! What the host knows about kinds without a cluster: scope and apply order.

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
