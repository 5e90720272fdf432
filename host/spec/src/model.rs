//! The spec model: the envelope as written (`raw`, strict serde) and the validated `Spec`.

use std::collections::BTreeMap;

use crate::Section;
use crate::plugin_ref::PluginRef;

/// The spec after validation of its envelope.
///
/// Each section is kept exactly as written (`sections`), for the plugin that serves it: the
/// plugin's schema judges its fields and the plugin applies its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub name: String,
    pub namespace: String,
    /// The rendered sections present, as written (without `nodePool.baseline`, the envelope's
    /// shorthand).
    pub sections: BTreeMap<Section, serde_json::Value>,
    /// The baselines to run, in the order written (`baseline:`, or `nodePool.baseline`).
    pub baselines: Vec<BaselineUse>,
    /// `plugins:`, the plugin chosen for a section.
    pub plugins: BTreeMap<Section, Choice>,
    /// `grants:`, kinds a plugin may emit beyond what its section allows.
    pub grants: Vec<Grant>,
    /// `exceptions:`, accepted risks that let a baseline's error findings pass until they expire.
    pub exceptions: Vec<Exception>,
}

/// One entry of `exceptions:`: which findings it accepts (control id and objects, `*` and `?`
/// globs), why, who approved it or under which ticket, and until when (inclusive).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Exception {
    pub control: String,
    /// Objects it covers; empty covers every object.
    pub objects: Vec<ObjectPattern>,
    pub justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// `YYYY-MM-DD`, the last day it applies.
    pub expires: String,
    /// JSON pointer of the entry in the file (`/exceptions/0`).
    pub pointer: String,
}

/// Objects an exception covers: each part a glob, absent meaning any.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ObjectPattern {
    pub kind: String,
    pub namespace: String,
    pub name: String,
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

/// The spec exactly as written: the envelope's fields typed, each section a JSON value.
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
        pub node_pool: Option<serde_json::Value>,
        pub storage: Option<serde_json::Value>,
        pub network: Option<serde_json::Value>,
        pub workload: Option<serde_json::Value>,
        #[serde(default, deserialize_with = "baselines")]
        pub baseline: Option<Baselines>,
        pub plugins: Option<BTreeMap<String, String>>,
        pub grants: Option<BTreeMap<String, Vec<String>>>,
        pub exceptions: Option<Vec<Exception>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Exception {
        pub control: String,
        #[serde(default)]
        pub objects: Vec<ObjectPattern>,
        pub justification: String,
        pub approver: Option<String>,
        pub ticket: Option<String>,
        pub expires: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ObjectPattern {
        pub kind: Option<String>,
        pub namespace: Option<String>,
        pub name: Option<String>,
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
