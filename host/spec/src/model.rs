//! The spec model: `raw` structs exactly as written (strict serde), and the defaulted `Spec`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Section;
use crate::plugin_ref::PluginRef;

/// The spec after validation, with every default filled in.
///
/// A section served by a bundled plugin is checked and defaulted by the typed model below; a
/// section served by another plugin (see [`crate::parse_with`]) is kept in `custom` exactly as
/// written, for that plugin's schema to judge.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub name: String,
    pub namespace: String,
    pub node_pool: Option<NodePool>,
    pub storage: Option<Storage>,
    pub workload: Option<Workload>,
    /// Sections kept as written, for plugins that own their fields.
    pub custom: BTreeMap<Section, serde_json::Value>,
    /// The baselines to run, in the order written (`baseline:`, or `nodePool.baseline`).
    pub baselines: Vec<BaselineUse>,
    /// `plugins:`, the plugin chosen for a section.
    pub plugins: BTreeMap<Section, Choice>,
    /// `grants:`, kinds a plugin may emit beyond what its section allows.
    pub grants: Vec<Grant>,
}

/// One baseline to run: its plugin's name, where the plugin comes from, and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineUse {
    pub name: String,
    /// `plugin:` of the entry; `None` is the bundled baseline (or one given with `--plugin`).
    pub plugin: Option<PluginRef>,
    /// The entry as written, without `plugin` (`{"name": "cis-level-2", "profile": ...}`): the
    /// baseline plugin's parameters, checked by its own schema.
    pub params: serde_json::Value,
    /// JSON pointer of the entry in the file (`/baseline`, `/baseline/1`, `/nodePool/baseline`).
    pub pointer: String,
}

/// A plugin chosen in `plugins:`, and where the choice was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub reference: PluginRef,
    pub pointer: String,
}

/// One kind granted to one plugin by `grants:`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub plugin: String,
    /// Empty for the core group.
    pub group: String,
    pub kind: String,
    /// JSON pointer of the grant in the file.
    pub pointer: String,
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

/// The spec exactly as written: every field optional, unknown fields refused.
pub(crate) mod raw {
    use std::cell::Cell;
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, MapAccess, Visitor};

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct Spec {
        pub name: Option<String>,
        pub namespace: Option<String>,
        #[serde(default, deserialize_with = "node_pool")]
        pub node_pool: Option<Given<NodePool>>,
        #[serde(default, deserialize_with = "storage")]
        pub storage: Option<Given<Storage>>,
        /// Always as written: the network plugin owns its section.
        pub network: Option<serde_json::Value>,
        #[serde(default, deserialize_with = "workload")]
        pub workload: Option<Given<Workload>>,
        #[serde(default, deserialize_with = "baselines")]
        pub baseline: Option<Baselines>,
        pub plugins: Option<BTreeMap<String, String>>,
        pub grants: Option<BTreeMap<String, Vec<String>>>,
    }

    thread_local! {
        /// Bit `Section as u8` set: that section is read as written, not by the typed model.
        static AS_WRITTEN: Cell<u8> = const { Cell::new(0) };
    }

    /// Runs `f` (a deserialization) with the sections in `mask` read as written.
    pub fn with_as_written<R>(mask: u8, f: impl FnOnce() -> R) -> R {
        let old = AS_WRITTEN.replace(mask);
        let r = f();
        AS_WRITTEN.set(old);
        r
    }

    /// A section: typed by the host's model, or as written for a plugin that owns its fields.
    #[derive(Debug)]
    pub enum Given<T> {
        Typed(T),
        AsWritten(serde_json::Value),
    }

    impl<T> Given<T> {
        pub fn typed(&self) -> Option<&T> {
            match self {
                Given::Typed(t) => Some(t),
                Given::AsWritten(_) => None,
            }
        }

        /// A string field of a section kept as written (`/name`), for cross-section facts.
        pub fn written_str(&self, pointer: &str) -> Option<&str> {
            match self {
                Given::Typed(_) => None,
                Given::AsWritten(v) => v.pointer(pointer).and_then(serde_json::Value::as_str),
            }
        }
    }

    fn section<'de, D: de::Deserializer<'de>, T: Deserialize<'de>>(
        s: crate::Section,
        d: D,
    ) -> Result<Option<Given<T>>, D::Error> {
        if AS_WRITTEN.with(Cell::get) & (1 << s as u8) != 0 {
            Ok(Option::<serde_json::Value>::deserialize(d)?.map(Given::AsWritten))
        } else {
            Ok(Option::<T>::deserialize(d)?.map(Given::Typed))
        }
    }

    fn node_pool<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Given<NodePool>>, D::Error> {
        section(crate::Section::NodePool, d)
    }

    fn storage<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Given<Storage>>, D::Error> {
        section(crate::Section::Storage, d)
    }

    fn workload<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Given<Workload>>, D::Error> {
        section(crate::Section::Workload, d)
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

    /// `baseline:` as written: one entry (a name or a mapping) or a list of entries.
    #[derive(Debug)]
    pub enum Baselines {
        One(serde_json::Value),
        List(Vec<serde_json::Value>),
    }

    /// Accepts a baseline name, a mapping, or a list of either; each entry stays as written
    /// for the baseline plugin's own schema.
    pub fn baselines<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<Baselines>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Baselines>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a baseline name, a mapping with `name`, or a list of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Some(Baselines::One(serde_json::Value::String(
                    s.to_string(),
                ))))
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
                serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|v| Some(Baselines::One(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<serde_json::Value>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(|v| Some(Baselines::List(v)))
            }
        }
        d.deserialize_option(V)
    }
}
