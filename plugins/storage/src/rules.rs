//! The checks on a volume: access mode against the provider and the workload that mounts it,
//! and remarks on where each provider's encryption key lives.

use hms_plugin_sdk::{Ctx, Diagnostic};

use crate::providers::{self, Provider};

const MODE_PATH: &str = "/volume/accessMode";

/// How the workload (if any) uses this volume, read from the whole spec.
struct Mount {
    replicas: u64,
    read_only: bool,
}

/// The workload mounts this volume when its `volume` names it or, as the workload plugin's
/// default, is not given.
fn mount_of(ctx: &Ctx, volume: &str) -> Option<Mount> {
    let workload = ctx.spec_at("/workload").filter(|w| w.is_object())?;
    let mounted = match workload.get("volume").filter(|v| !v.is_null()) {
        None => true,
        Some(v) => v.as_str() == Some(volume),
    };
    mounted.then(|| Mount {
        replicas: ctx
            .spec_at("/workload/replicas")
            .and_then(|v| v.as_u64())
            .unwrap_or(1),
        read_only: ctx
            .spec_at("/workload/readOnly")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    })
}

/// Access-mode errors: the provider must support the mode, and a workload with more than one
/// replica needs ReadWriteMany, or ReadOnlyMany when it mounts read-only.
pub fn access_mode(p: &Provider, mode: &str, volume: &str, ctx: &Ctx) -> Vec<Diagnostic> {
    let rwx = providers::rwx_names().join(", ");
    let mut out = Vec::new();
    if !p.modes.contains(&mode) {
        out.push(
            Diagnostic::error(
                "STORAGE-PROVIDER-ACCESS-MODE",
                format!(
                    "provider {} does not support {mode}; it supports {}",
                    p.name,
                    p.modes.join(", ")
                ),
            )
            .at(MODE_PATH)
            .hint(format!(
                "choose one of {} or switch provider (shared volumes: {rwx})",
                p.modes.join(", ")
            )),
        );
    }
    let Some(m) = mount_of(ctx, volume) else {
        return out;
    };
    let shared = mode == "ReadWriteMany" || (mode == "ReadOnlyMany" && m.read_only);
    if m.replicas > 1 && !shared {
        let why = if mode == "ReadOnlyMany" {
            "ReadOnlyMany only fits a read-only mount and workload.readOnly is false".to_string()
        } else {
            format!("{mode} attaches the volume to one node (or pod) at a time")
        };
        out.push(
            Diagnostic::error(
                "STORAGE-ACCESS-MODE",
                format!(
                    "the workload runs {} replicas on volume {volume}, but {why}",
                    m.replicas
                ),
            )
            .at(MODE_PATH)
            .hint(format!(
                "use accessMode: ReadWriteMany with a shared file provider ({rwx}), or \
                 ReadOnlyMany with workload.readOnly: true, or run one replica"
            )),
        );
    } else if mode == "ReadOnlyMany" && !m.read_only {
        out.push(
            Diagnostic::warning(
                "STORAGE-READ-ONLY-MOUNT",
                "accessMode ReadOnlyMany but the workload mounts the volume read-write",
            )
            .at(MODE_PATH)
            .hint("set workload.readOnly: true, or use ReadWriteMany"),
        );
    }
    out
}

/// Remarks on where each provider's at-rest encryption and key live.
pub fn encryption(p: &Provider, kms_key_id: Option<&str>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ignored_key = || {
        Diagnostic::warning(
            "STORAGE-KMS-KEY-IGNORED",
            format!(
                "{} takes no key in the StorageClass: kmsKeyId is recorded only",
                p.name
            ),
        )
        .at("/volume/kmsKeyId")
    };
    match p.name {
        "aws-ebs" if kms_key_id.is_none() => out.push(
            Diagnostic::info(
                "STORAGE-DEFAULT-KEY",
                "EBS volumes are encrypted (AES-256) with the account's default aws/ebs key",
            )
            .at("/volume/kmsKeyId")
            .hint("set kmsKeyId to a customer-managed KMS key ARN to control the key"),
        ),
        "aws-efs" => {
            out.push(
                Diagnostic::info(
                    "STORAGE-FS-ENCRYPTION",
                    "EFS encryption at rest is a property of the file system, not the StorageClass; \
                     the PVC size is not enforced",
                )
                .at("/volume/fileSystemId")
                .hint("make sure the file system was created with encryption at rest (and your KMS key)"),
            );
            if kms_key_id.is_some() {
                out.push(ignored_key().hint("set the key on the EFS file system"));
            }
        }
        "azure-file" => {
            out.push(
                Diagnostic::info(
                    "STORAGE-PLATFORM-ENCRYPTION",
                    "Azure Storage encrypts file shares at rest with AES-256",
                )
                .at("/volume/encryption"),
            );
            if kms_key_id.is_some() {
                out.push(ignored_key().hint("set customer-managed keys on the storage account"));
            }
        }
        "ceph-rbd" | "cephfs" if kms_key_id.is_none() => out.push(
            Diagnostic::warning(
                "STORAGE-CEPH-PASSPHRASE",
                "without kmsKeyId, ceph-csi's default key store reads one LUKS passphrase \
                 (`encryptionPassphrase`) from the StorageClass secrets, which Rook's \
                 rook-csi-* secrets do not carry",
            )
            .at("/volume/kmsKeyId")
            .hint(
                "set kmsKeyId to an entry of the ceph-csi encryption KMS config (encryptionKMSID)",
            ),
        ),
        _ => {}
    }
    out
}
