//! Validation and defaults of the `storage`, `network` and `workload` sections.

use crate::Section;
use crate::check::Ctx;
use crate::model::{Ceph, CpuMemory, Resources, Storage, Volume, Workload, raw};
use crate::names::dns1123_label_reason;

const STORAGE_PROVIDERS: &[&str] = &["cephfs", "ceph-rbd", "aws-ebs", "aws-efs", "azure-file"];
const FILE_PROVIDERS: &[&str] = &["cephfs", "aws-efs", "azure-file"];
const CEPH_PROVIDERS: &[&str] = &["cephfs", "ceph-rbd"];
const ACCESS_MODES: &[&str] = &[
    "ReadWriteOnce",
    "ReadWriteMany",
    "ReadOnlyMany",
    "ReadWriteOncePod",
];
const ENCRYPTIONS: &[&str] = &["aes256"];

pub(crate) fn storage(cx: &mut Ctx<'_>, s: &raw::Storage) -> Option<Storage> {
    const S: Section = Section::Storage;
    let v = match &s.volume {
        Some(v) => v,
        None => {
            cx.required(S, "", "volume", None);
            return None;
        }
    };
    let name = cx.required(S, "/volume", "name", v.name.as_deref());
    let name_ok = name.is_some_and(|n| cx.label(S, "/volume/name", n));
    let size = cx.required(S, "/volume", "size", v.size.as_deref());
    let size_ok = size.is_some_and(|q| cx.quantity(S, "/volume/size", q));
    let enc = cx.required(S, "/volume", "encryption", v.encryption.as_deref());
    let enc_ok = enc.is_some_and(|e| cx.choice(S, "/volume/encryption", e, ENCRYPTIONS));
    let provider = v.provider.as_deref().unwrap_or("cephfs");
    let provider_ok = cx.choice(S, "/volume/provider", provider, STORAGE_PROVIDERS);
    let default_mode = if FILE_PROVIDERS.contains(&provider) {
        "ReadWriteMany"
    } else {
        "ReadWriteOnce"
    };
    let mode = v.access_mode.as_deref().unwrap_or(default_mode);
    let mode_ok = cx.choice(S, "/volume/accessMode", mode, ACCESS_MODES);
    if provider_ok {
        if v.file_system_id.is_some() && provider != "aws-efs" {
            cx.only_with(
                S,
                "/volume/fileSystemId",
                "fileSystemId",
                "aws-efs",
                provider,
            );
        }
        if v.file_system_id.is_none() && provider == "aws-efs" {
            let msg = "`provider: aws-efs` needs `storage.volume.fileSystemId`";
            let hint = "set `fileSystemId` to the EFS file system id (`fs-...`)";
            cx.err(S, "/volume/provider", msg, Some(hint.into()));
        }
        if v.ceph.is_some() && !CEPH_PROVIDERS.contains(&provider) {
            let msg = format!(
                "`ceph` is only allowed with `provider: cephfs` or `provider: ceph-rbd`, but the provider is `{provider}`"
            );
            let hint = "remove `ceph`, or use a Ceph provider".to_string();
            cx.err(S, "/volume/ceph", msg, Some(hint));
        }
    }
    for (field, value) in [
        ("kmsKeyId", &v.kms_key_id),
        ("fileSystemId", &v.file_system_id),
    ] {
        if value.as_deref().is_some_and(|x| x.trim().is_empty()) {
            let msg = format!("`storage.volume.{field}` is empty");
            cx.err(S, &format!("/volume/{field}"), msg, None);
        }
    }
    let ceph = CEPH_PROVIDERS.contains(&provider).then(|| {
        let c = v.ceph.as_ref();
        let fs_name = c
            .and_then(|c| c.fs_name.clone())
            .unwrap_or_else(|| "myfs".into());
        // Rook's quick start: CephFS data pool `<fsName>-replicated`, RBD pool `replicapool`.
        let default_pool = if provider == "cephfs" {
            format!("{fs_name}-replicated")
        } else {
            "replicapool".to_string()
        };
        Ceph {
            cluster_id: c
                .and_then(|c| c.cluster_id.clone())
                .unwrap_or_else(|| "rook-ceph".into()),
            pool: c.and_then(|c| c.pool.clone()).unwrap_or(default_pool),
            fs_name,
        }
    });
    if !(name_ok && size_ok && enc_ok && provider_ok && mode_ok) {
        return None;
    }
    Some(Storage {
        volume: Volume {
            name: name?.to_string(),
            size: size?.to_string(),
            encryption: enc?.to_string(),
            provider: provider.to_string(),
            access_mode: mode.to_string(),
            kms_key_id: v.kms_key_id.clone(),
            file_system_id: v.file_system_id.clone(),
            ceph,
        },
    })
}

/// The workload's name: `name`, else the last path part of the image repository.
pub(crate) fn workload_name(w: &raw::Workload) -> Option<String> {
    if let Some(n) = &w.name {
        return Some(n.clone());
    }
    let r = crate::image::parse(w.image.as_deref()?).ok()?;
    Some(r.last_part().to_string())
}

pub(crate) fn workload(
    cx: &mut Ctx<'_>,
    w: &raw::Workload,
    has_storage: bool,
    storage_volume: Option<&str>,
) -> Option<Workload> {
    const S: Section = Section::Workload;
    let mut ok = true;
    let image = cx.required(S, "", "image", w.image.as_deref());
    if let Some(img) = image
        && let Err(reason) = crate::image::parse(img)
    {
        let msg = format!("invalid image reference `{img}`: {reason}");
        let hint = "write `registry/repository:tag` or `registry/repository@sha256:<digest>`";
        cx.err(S, "/image", msg, Some(hint.into()));
        ok = false;
    }
    let replicas = w.replicas.map_or(Some(1), |r| cx.count(S, "/replicas", r));
    let name = workload_name(w);
    match (&w.name, &name) {
        (Some(n), _) => ok &= cx.label(S, "/name", n),
        (None, Some(n)) => {
            if let Some(reason) = dns1123_label_reason(n) {
                let msg = format!(
                    "the workload name taken from the image, `{n}`, is not valid: {reason}"
                );
                cx.err(S, "/image", msg, Some("set `workload.name`".into()));
                ok = false;
            }
        }
        (None, None) => ok = false,
    }
    let volume = match (w.volume.as_deref(), storage_volume) {
        (Some("none"), _) => Some("none"),
        (None, Some(v)) => Some(v),
        (Some(v), Some(sv)) if v == sv => Some(v),
        (Some(v), Some(sv)) => {
            let msg = format!("`workload.volume` `{v}` does not name the storage volume `{sv}`");
            cx.err(
                S,
                "/volume",
                msg,
                Some(format!("use `volume: {sv}` or `volume: none`")),
            );
            None
        }
        (given, None) if !has_storage => {
            let (ptr, msg) = match given {
                Some(v) => (
                    "/volume",
                    format!(
                        "the workload mounts volume `{v}` but the spec has no `storage` section"
                    ),
                ),
                None => (
                    "",
                    "the workload mounts a volume but the spec has no `storage` section"
                        .to_string(),
                ),
            };
            let hint = "add a `storage:` section (see examples/dcaa_cluster.yml) or set `workload.volume: none`";
            cx.err(S, ptr, msg, Some(hint.into()));
            None
        }
        // The storage section is there but broken; it reports its own errors.
        (_, None) => None,
    };
    let mount_path = match (volume, w.mount_path.as_deref()) {
        (Some("none"), Some(_)) => {
            let msg = "`workload.mountPath` needs a volume, but `workload.volume` is `none`";
            cx.err(S, "/mountPath", msg, Some("remove `mountPath`".into()));
            ok = false;
            None
        }
        (Some("none") | None, _) => None,
        (Some(_), Some(p)) if !p.starts_with('/') => {
            let msg = format!("`workload.mountPath` must be an absolute path, got `{p}`");
            cx.err(S, "/mountPath", msg, Some(format!("use `/{p}`")));
            ok = false;
            None
        }
        (Some(_), Some(p)) => Some(p.to_string()),
        (Some(v), None) => Some(format!("/data/{}", v.rsplit('-').next().unwrap_or(v))),
    };
    let port = match w.port {
        None => Some(None),
        Some(p) => cx
            .int_range(S, "/port", p, 1, 65535)
            .and_then(|p| u16::try_from(p).ok())
            .map(Some),
    };
    let run_as_user = match w.run_as_user {
        None => Some(10001),
        Some(u) => cx
            .int_range(S, "/runAsUser", u, 10000, i64::from(u32::MAX))
            .and_then(|u| u32::try_from(u).ok()),
    };
    let resources = resources(cx, w.resources.as_ref());
    if !ok {
        return None;
    }
    Some(Workload {
        image: image?.to_string(),
        replicas: replicas?,
        name: name?,
        volume: volume?.to_string(),
        mount_path,
        read_only: w.read_only.unwrap_or(false),
        port: port?,
        run_as_user: run_as_user?,
        resources: resources?,
    })
}

fn resources(cx: &mut Ctx<'_>, r: Option<&raw::Resources>) -> Option<Resources> {
    let empty = raw::CpuMemory::default();
    let mut pair = |which: &str, given: Option<&raw::CpuMemory>, cpu: &str, memory: &str| {
        let given = given.unwrap_or(&empty);
        let mut ok = true;
        for (field, value) in [("cpu", &given.cpu), ("memory", &given.memory)] {
            if let Some(q) = value {
                ok &= cx.quantity(Section::Workload, &format!("/resources/{which}/{field}"), q);
            }
        }
        ok.then(|| CpuMemory {
            cpu: given.cpu.clone().unwrap_or_else(|| cpu.to_string()),
            memory: given.memory.clone().unwrap_or_else(|| memory.to_string()),
        })
    };
    let requests = pair(
        "requests",
        r.and_then(|r| r.requests.as_ref()),
        "100m",
        "128Mi",
    );
    let limits = pair("limits", r.and_then(|r| r.limits.as_ref()), "500m", "256Mi");
    Some(Resources {
        requests: requests?,
        limits: limits?,
    })
}
