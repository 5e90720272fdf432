//! The artifact layouts: a plugin in the CNCF TAG Runtime "Wasm OCI Artifact" layout, and a
//! cosign signature manifest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind, Result, digest_of};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
pub const WASM_LAYER: &str = "application/wasm";
/// cosign's signature manifests: an OCI image config and one layer per signature.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The largest manifest or config read (distribution's own limit is 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// An OCI content descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Descriptor {
            media_type: media_type.to_string(),
            digest: digest_of(bytes),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
        }
    }
}

/// An OCI image manifest.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// Parses a manifest's bytes; `what` names it in the error.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                ErrorKind::Input,
                format!("{what} is not an OCI image manifest: {e}"),
            )
        })?;
        if m.schema_version != 2 {
            return Err(Error::new(
                ErrorKind::Input,
                format!("{what} has schemaVersion {}, not 2", m.schema_version),
            ));
        }
        for d in std::iter::once(&m.config).chain(&m.layers) {
            if crate::digest_hex(&d.digest).is_none() {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!(
                        "{what} names the blob `{}`, which is not a sha256 digest",
                        d.digest
                    ),
                ));
            }
        }
        Ok(m)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The plugin's component layer: the one `application/wasm` layer of a Wasm artifact.
    pub fn wasm_layer(&self, what: &str) -> Result<&Descriptor> {
        let mut wasm = self.layers.iter().filter(|l| l.media_type == WASM_LAYER);
        match (wasm.next(), wasm.next()) {
            (Some(l), None) => Ok(l),
            (None, _) => Err(Error::new(
                ErrorKind::Input,
                format!(
                    "{what} is not a Wasm plugin artifact: it has no `{WASM_LAYER}` layer (config {})",
                    self.config.media_type
                ),
            )
            .hint("push plugins with `hms-sys plugin push FILE REF`, or any tool that writes the CNCF Wasm OCI artifact layout")),
            (Some(_), Some(_)) => Err(Error::new(
                ErrorKind::Input,
                format!("{what} has more than one `{WASM_LAYER}` layer; a plugin artifact has one"),
            )),
        }
    }
}

/// What `component` says in the Wasm config: the component's world and interfaces.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Component {
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    /// The world the component targets, e.g. `hms:sys/section-plugin@0.2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The `application/vnd.wasm.config.v0+json` config.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub architecture: String,
    pub os: String,
    pub layer_digests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// What the pusher knows about a plugin, for the config and the annotations.
#[derive(Clone, Debug, Default)]
pub struct PluginInfo {
    pub component: Component,
    pub title: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    /// RFC 3339, UTC.
    pub created: String,
}

/// A plugin artifact ready to push or store: its blobs and manifest.
pub struct Artifact {
    pub config: Vec<u8>,
    pub layer: Vec<u8>,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
}

impl Artifact {
    pub fn digest(&self) -> String {
        digest_of(&self.manifest_bytes)
    }
}

/// Lays a component out as a Wasm OCI artifact.
pub fn wasm_artifact(component: Vec<u8>, info: &PluginInfo) -> Artifact {
    let layer = Descriptor::of(WASM_LAYER, &component);
    let config = WasmConfig {
        created: info.created.clone(),
        author: None,
        architecture: "wasm".into(),
        os: "wasip2".into(),
        layer_digests: vec![layer.digest.clone()],
        component: Some(info.component.clone()),
    };
    let config = serde_json::to_vec(&config).unwrap_or_default();
    let mut annotations = BTreeMap::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            annotations.insert(format!("org.opencontainers.image.{k}"), v.clone());
        }
    };
    put("created", &Some(info.created.clone()));
    put("title", &info.title);
    put("version", &info.version);
    put("description", &info.description);
    put("source", &info.source);
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        config: Descriptor::of(WASM_CONFIG, &config),
        layers: vec![layer],
        annotations,
    };
    let manifest_bytes = manifest.to_bytes();
    Artifact {
        config,
        layer: component,
        manifest,
        manifest_bytes,
    }
}

/// cosign's tag for the signatures of `digest`: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// A signature manifest holding `layers` (simple-signing payloads with their signatures), with
/// the config cosign gives one; returns the manifest and its config blob.
pub fn signature_manifest(layers: Vec<Descriptor>) -> (Manifest, Vec<u8>) {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap_or_default();
    (
        Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            config: Descriptor::of(OCI_CONFIG, &config),
            layers,
            annotations: BTreeMap::new(),
        },
        config,
    )
}

/// Now, as RFC 3339 in UTC (`SOURCE_DATE_EPOCH` when set, for reproducible pushes).
pub fn now_rfc3339() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
