//! The spec model: `raw` structs exactly as written (strict serde), and the defaulted `Spec`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The spec after validation, with every default filled in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub name: String,
    pub namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_pool: Option<NodePool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

/// `nodePool` (its `baseline` shorthand moves to [`Spec::baseline`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub runtime: String,
    pub provider: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_api: Option<ClusterApi>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karpenter: Option<Karpenter>,
    #[serde(rename = "static", skip_serializing_if = "Option::is_none")]
    pub static_pool: Option<StaticPool>,
}

/// `nodePool.clusterApi`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterApi {
    pub cluster_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    pub infrastructure: TemplateRef,
    pub bootstrap: TemplateRef,
}

/// A reference to a CAPI template object.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    pub api_group: String,
    pub kind: String,
    pub name: String,
}

/// `nodePool.karpenter`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Karpenter {
    pub cluster_name: String,
    pub role: String,
    pub static_capacity: bool,
    pub kubernetes_version: String,
}

/// `nodePool.static`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaticPool {
    pub labels: BTreeMap<String, String>,
}

/// `storage`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Storage {
    pub volume: Volume,
}

/// `storage.volume`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    pub size: String,
    pub encryption: String,
    pub provider: String,
    pub access_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceph: Option<Ceph>,
}

/// `storage.volume.ceph`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ceph {
    #[serde(rename = "clusterID")]
    pub cluster_id: String,
    #[serde(rename = "fsName")]
    pub fs_name: String,
    pub pool: String,
}

/// `network`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Network {
    pub policy: Policy,
}

/// `network.policy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    #[serde(rename = "ingressCIDR")]
    pub ingress_cidr: String,
    pub egress: String,
    #[serde(rename = "allowDNS")]
    pub allow_dns: bool,
}

/// `workload`. `volume` is `none` when nothing is mounted; then `mountPath` is absent.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub image: String,
    pub replicas: u32,
    pub name: String,
    pub volume: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub run_as_user: u32,
    pub resources: Resources,
}

/// `workload.resources`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Resources {
    pub requests: CpuMemory,
    pub limits: CpuMemory,
}

/// A `{cpu, memory}` pair of quantities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpuMemory {
    pub cpu: String,
    pub memory: String,
}

/// `baseline`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baseline {
    pub name: String,
    pub profile: String,
}

/// The spec exactly as written: every field optional, unknown fields refused.
pub(crate) mod raw {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, MapAccess, Visitor};

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Spec {
        pub name: Option<String>,
        pub namespace: Option<String>,
        pub node_pool: Option<NodePool>,
        pub storage: Option<Storage>,
        pub network: Option<Network>,
        pub workload: Option<Workload>,
        #[serde(default, deserialize_with = "baseline")]
        pub baseline: Option<Baseline>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct NodePool {
        pub name: Option<String>,
        pub count: Option<i64>,
        pub runtime: Option<String>,
        pub baseline: Option<String>,
        pub provider: Option<String>,
        pub cluster_api: Option<ClusterApi>,
        pub karpenter: Option<Karpenter>,
        #[serde(rename = "static")]
        pub static_pool: Option<StaticPool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct ClusterApi {
        pub cluster_name: Option<String>,
        pub kubernetes_version: Option<String>,
        pub infrastructure: Option<TemplateRef>,
        pub bootstrap: Option<TemplateRef>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct TemplateRef {
        pub api_group: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Karpenter {
        pub cluster_name: Option<String>,
        pub role: Option<String>,
        pub static_capacity: Option<bool>,
        pub kubernetes_version: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct StaticPool {
        pub labels: Option<BTreeMap<String, String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Storage {
        pub volume: Option<Volume>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Volume {
        pub name: Option<String>,
        pub size: Option<String>,
        pub encryption: Option<String>,
        pub provider: Option<String>,
        pub access_mode: Option<String>,
        pub kms_key_id: Option<String>,
        pub file_system_id: Option<String>,
        pub ceph: Option<Ceph>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Ceph {
        #[serde(rename = "clusterID")]
        pub cluster_id: Option<String>,
        #[serde(rename = "fsName")]
        pub fs_name: Option<String>,
        pub pool: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Network {
        pub policy: Option<Policy>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Policy {
        pub name: Option<String>,
        #[serde(rename = "ingressCIDR")]
        pub ingress_cidr: Option<String>,
        pub egress: Option<String>,
        #[serde(rename = "allowDNS")]
        pub allow_dns: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Workload {
        pub image: Option<String>,
        pub replicas: Option<i64>,
        pub name: Option<String>,
        pub volume: Option<String>,
        pub mount_path: Option<String>,
        pub read_only: Option<bool>,
        pub port: Option<i64>,
        pub run_as_user: Option<i64>,
        pub resources: Option<Resources>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Resources {
        pub requests: Option<CpuMemory>,
        pub limits: Option<CpuMemory>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct CpuMemory {
        pub cpu: Option<String>,
        pub memory: Option<String>,
    }

    /// `baseline: cis-level-2` or `baseline: {name: cis-level-2, profile: ...}`.
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Baseline {
        pub name: Option<String>,
        pub profile: Option<String>,
    }

    /// Accepts the string shorthand as well as the mapping, keeping strict field checks.
    pub fn baseline<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Baseline>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Baseline>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a baseline name or a mapping with `name` and `profile`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Some(Baseline {
                    name: Some(s.to_string()),
                    profile: None,
                }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Baseline::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
            }
        }
        d.deserialize_option(V)
    }
}
