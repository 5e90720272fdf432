//! What each CSI provider is: its provisioner, whether it is a file or block backend, the
//! access modes it supports, and its encryption parameters (reference.md section 2).

use serde_json::{Map, Value, json};

/// Every access mode a PVC may ask for, in the order docs/spec.md lists them.
pub const ACCESS_MODES: [&str; 4] = [
    "ReadWriteOnce",
    "ReadWriteMany",
    "ReadOnlyMany",
    "ReadWriteOncePod",
];

/// One CSI provider.
pub struct Provider {
    /// The spec's name for it (`cephfs`).
    pub name: &'static str,
    /// The CSI driver name.
    pub provisioner: &'static str,
    /// The access modes this plugin accepts for it (conservative).
    pub modes: &'static [&'static str],
}

/// Block backends: one node at a time. RBD's RWX/ROX need raw block mode, which this plugin
/// does not render, so only the single-node modes are accepted.
const BLOCK_MODES: &[&str] = &["ReadWriteOnce", "ReadWriteOncePod"];
const FILE_MODES: &[&str] = &["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"];

/// The providers, in the order docs/spec.md lists them.
pub const PROVIDERS: [Provider; 5] = [
    Provider {
        name: "cephfs",
        provisioner: "cephfs.csi.ceph.com",
        modes: FILE_MODES,
    },
    Provider {
        name: "ceph-rbd",
        provisioner: "rbd.csi.ceph.com",
        modes: BLOCK_MODES,
    },
    Provider {
        name: "aws-ebs",
        provisioner: "ebs.csi.aws.com",
        modes: BLOCK_MODES,
    },
    Provider {
        name: "aws-efs",
        provisioner: "efs.csi.aws.com",
        modes: FILE_MODES,
    },
    Provider {
        name: "azure-file",
        provisioner: "file.csi.azure.com",
        modes: FILE_MODES,
    },
];

/// The CSI driver name to put in the StorageClass. Rook registers the Ceph drivers as
/// `<operator namespace>.<driver>` (`rook-ceph.cephfs.csi.ceph.com`), and Rook's clusterID is
/// that namespace; a standalone ceph-csi uses the Ceph fsid (a UUID) as clusterID and the plain
/// driver name.
pub fn provisioner(p: &Provider, v: &Volume<'_>) -> String {
    if p.name.starts_with("ceph") && !is_uuid(v.cluster_id) {
        format!("{}.{}", v.cluster_id, p.provisioner)
    } else {
        p.provisioner.to_string()
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Looks a provider up by its spec name.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// The names of the providers that can share a volume read-write across nodes.
pub fn rwx_names() -> Vec<&'static str> {
    PROVIDERS
        .iter()
        .filter(|p| p.modes.contains(&"ReadWriteMany"))
        .map(|p| p.name)
        .collect()
}

/// The facts a provider's parameters are built from.
pub struct Volume<'a> {
    pub kms_key_id: Option<&'a str>,
    pub file_system_id: Option<&'a str>,
    pub cluster_id: &'a str,
    pub fs_name: &'a str,
    pub pool: &'a str,
}

fn put(m: &mut Map<String, Value>, k: &str, v: &str) {
    m.insert(k.into(), json!(v));
}

/// The Rook secret parameters for a Ceph driver (`rbd` or `cephfs`), in the namespace
/// `cluster_id` (Rook's operator namespace, `rook-ceph` by default).
fn rook_secrets(m: &mut Map<String, Value>, driver: &str, cluster_id: &str) {
    for (role, secret) in [
        ("provisioner", "provisioner"),
        ("controller-expand", "provisioner"),
        ("node-stage", "node"),
    ] {
        put(
            m,
            &format!("csi.storage.k8s.io/{role}-secret-name"),
            &format!("rook-csi-{driver}-{secret}"),
        );
        put(
            m,
            &format!("csi.storage.k8s.io/{role}-secret-namespace"),
            cluster_id,
        );
    }
}

/// The StorageClass `parameters` for `provider`, all values strings.
pub fn parameters(provider: &Provider, v: &Volume<'_>) -> Value {
    let mut m = Map::new();
    match provider.name {
        "aws-ebs" => {
            put(&mut m, "type", "gp3");
            put(&mut m, "encrypted", "true");
            if let Some(k) = v.kms_key_id {
                put(&mut m, "kmsKeyId", k);
            }
        }
        "aws-efs" => {
            put(&mut m, "provisioningMode", "efs-ap");
            put(&mut m, "fileSystemId", v.file_system_id.unwrap_or_default());
            put(&mut m, "directoryPerms", "700");
        }
        "azure-file" => {
            put(&mut m, "skuName", "Premium_ZRS");
            put(&mut m, "protocol", "nfs");
        }
        "ceph-rbd" => {
            put(&mut m, "clusterID", v.cluster_id);
            put(&mut m, "pool", v.pool);
            put(&mut m, "imageFeatures", "layering");
            put(&mut m, "csi.storage.k8s.io/fstype", "ext4");
            put(&mut m, "encrypted", "true");
            put(&mut m, "encryptionType", "block");
            if let Some(k) = v.kms_key_id {
                put(&mut m, "encryptionKMSID", k);
            }
            rook_secrets(&mut m, "rbd", v.cluster_id);
        }
        _ => {
            put(&mut m, "clusterID", v.cluster_id);
            put(&mut m, "fsName", v.fs_name);
            put(&mut m, "pool", v.pool);
            put(&mut m, "encrypted", "true");
            if let Some(k) = v.kms_key_id {
                put(&mut m, "encryptionKMSID", k);
            }
            rook_secrets(&mut m, "cephfs", v.cluster_id);
        }
    }
    Value::Object(m)
}
