//! What each code this plugin emits means (`hms-sys explain CODE`), published in its schema.

use hms_plugin_sdk::Explanation;

const SC28: &str = "NIST SP 800-53 SC-28 (protection of information at rest)";

/// Every code this plugin emits, explained (a host test checks none is missing).
pub const EXPLANATIONS: &[Explanation] = &[
    Explanation {
        code: "STORAGE-SECTION",
        summary: "The `storage` section could not be read: a field is missing or has the wrong type.",
        why: "The plugin renders no volume from a section it cannot read; the run stops.",
        control: "",
        fix: "Correct the field the message names (docs/spec.md, `storage`).",
    },
    Explanation {
        code: "STORAGE-BLOCK-PROVIDER",
        summary: "A provider-specific field (`ceph`, `fileSystemId`) was given for a provider that does not use it.",
        why: "The setting would be silently ignored; the spec would not say what the cluster gets.",
        control: "",
        fix: "Set `provider:` to the driver the field is for, or remove the field.",
    },
    Explanation {
        code: "STORAGE-EFS-FILE-SYSTEM",
        summary: "`provider: aws-efs` needs `fileSystemId`: the EFS file system to create access points in.",
        why: "The EFS CSI driver cannot provision a volume without it.",
        control: "",
        fix: "Set `storage.volume.fileSystemId: fs-...`.",
    },
    Explanation {
        code: "STORAGE-PROVIDER-ACCESS-MODE",
        summary: "The CSI driver does not support the requested access mode.",
        why: "The PersistentVolumeClaim would stay Pending and the workload would never start.",
        control: "",
        fix: "Choose an access mode the message lists, or a provider that supports the one you need (a file provider such as cephfs for ReadWriteMany).",
    },
    Explanation {
        code: "STORAGE-ACCESS-MODE",
        summary: "The access mode does not fit the workload: more than one replica needs ReadWriteMany or ReadOnlyMany.",
        why: "With ReadWriteOnce only pods on one node can mount the volume; the other replicas stay Pending.",
        control: "",
        fix: "Use `accessMode: ReadWriteMany` with a file provider (cephfs, aws-efs, azure-file), or run one replica.",
    },
    Explanation {
        code: "STORAGE-READ-ONLY-MOUNT",
        summary: "The volume is ReadOnlyMany but the workload mounts it read-write.",
        why: "Writes would fail at run time.",
        control: "",
        fix: "Set `workload.readOnly: true`, or choose a read-write access mode.",
    },
    Explanation {
        code: "STORAGE-KMS-KEY-IGNORED",
        summary: "This provider takes no key in its StorageClass: `kmsKeyId` is recorded only.",
        why: "The data is encrypted by the platform's own key management; the key you named is not used by the driver.",
        control: SC28,
        fix: "Configure the key on the file system or storage account itself, or remove `kmsKeyId`.",
    },
    Explanation {
        code: "STORAGE-DEFAULT-KEY",
        summary: "EBS volumes are encrypted (AES-256) with the account's default `aws/ebs` key.",
        why: "The data is encrypted at rest, but a customer-managed key gives you control of rotation, access and revocation.",
        control: SC28,
        fix: "Nothing, if the default key is acceptable; otherwise set `kmsKeyId` to your KMS key ARN.",
    },
    Explanation {
        code: "STORAGE-FS-ENCRYPTION",
        summary: "EFS encryption at rest is a property of the file system, not the StorageClass; the PVC size is not enforced.",
        why: "hms-sys cannot make an existing EFS file system encrypted; it must have been created so.",
        control: SC28,
        fix: "Use an EFS file system created with encryption at rest.",
    },
    Explanation {
        code: "STORAGE-PLATFORM-ENCRYPTION",
        summary: "Azure Storage encrypts file shares at rest with AES-256.",
        why: "The encryption requirement is met by the platform, not by the StorageClass.",
        control: SC28,
        fix: "Nothing to fix.",
    },
    Explanation {
        code: "STORAGE-CEPH-PASSPHRASE",
        summary: "Without `kmsKeyId`, ceph-csi reads one LUKS passphrase (`encryptionPassphrase`) from the StorageClass secrets, which Rook's rook-csi-* secrets do not carry.",
        why: "An encrypted Ceph volume cannot be provisioned without its passphrase: the PVC would stay Pending; and one passphrase for every volume is weaker than a KMS.",
        control: SC28,
        fix: "Set `storage.volume.kmsKeyId` to a ceph-csi KMS configuration (Vault, for example), or add `encryptionPassphrase` to the provisioner secret.",
    },
];
