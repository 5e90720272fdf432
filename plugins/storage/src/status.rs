//! The volume's status line: `Volume encrypted & mounted (/data/pdfs)`. The claim is Bound,
//! on the (encrypted) class this plugin rendered it on, and a workload mounts it.

use hms_plugin_sdk::status::{Live, StatusLine};
use serde_json::Value;

/// `rendered`: what this plugin renders for the section now (its claim names the class).
pub fn line(rendered: &[Value], live: &Live) -> StatusLine {
    let claim = rendered
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("PersistentVolumeClaim"));
    let Some(claim) = claim else {
        return StatusLine::ready("Volume encrypted (no claim)");
    };
    let name = claim
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let want_class = claim
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str);
    // The workload that mounts the claim, as the cluster has it.
    let pod = live
        .find_any("Deployment")
        .and_then(|d| d.live.as_ref())
        .and_then(|d| d.pointer("/spec/template/spec"));
    let mount = pod.and_then(|p| mount_path(p, name));
    let text = format!(
        "Volume encrypted & mounted ({})",
        mount.as_deref().unwrap_or("not mounted")
    );
    let Some(object) = live.find("storage", "PersistentVolumeClaim") else {
        return StatusLine::failed(
            text,
            format!("PersistentVolumeClaim {name} was not applied"),
        );
    };
    let Some(have) = &object.live else {
        return StatusLine::failed(text, format!("PersistentVolumeClaim {name} not found"));
    };
    let live_class = have
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str);
    if let Some(want) = want_class
        && live_class != Some(want)
    {
        return StatusLine::failed(
            text,
            format!(
                "claim {name} is on class {}, not the encrypted class {want}",
                live_class.unwrap_or("(none)")
            ),
        );
    }
    match have.pointer("/status/phase").and_then(Value::as_str) {
        Some("Bound") => {}
        Some("Lost") => return StatusLine::failed(text, format!("claim {name} lost its volume")),
        Some(p) => return StatusLine::in_progress(text, format!("claim {name} is {p}")),
        None => {
            return StatusLine::in_progress(text, format!("claim {name} has no status yet"));
        }
    }
    if mount.is_none() {
        return StatusLine::in_progress(text, format!("no workload mounts claim {name} yet"));
    }
    StatusLine::ready(text)
}

/// Where the pod template mounts `claim`, if it does.
fn mount_path(pod: &Value, claim: &str) -> Option<String> {
    let volume = pod.get("volumes")?.as_array()?.iter().find(|v| {
        v.pointer("/persistentVolumeClaim/claimName")
            .and_then(Value::as_str)
            == Some(claim)
    })?;
    let name = volume.get("name")?.as_str()?;
    pod.get("containers")?.as_array()?.iter().find_map(|c| {
        c.get("volumeMounts")?.as_array()?.iter().find_map(|m| {
            (m.get("name")?.as_str()? == name)
                .then(|| m.get("mountPath")?.as_str().map(String::from))?
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hms_plugin_sdk::status::{LiveObject, State};
    use serde_json::json;

    fn live(pvc: Option<Value>, deployment: Option<Value>) -> Live {
        let object = |kind: &str, section: &str, v: Option<Value>| LiveObject {
            group: String::new(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: "c".into(),
            section: section.into(),
            live: v,
        };
        Live {
            objects: vec![
                object("PersistentVolumeClaim", "storage", pvc),
                object("Deployment", "workload", deployment),
            ],
            nodes: Vec::new(),
        }
    }

    #[test]
    fn volume_bound_and_mounted() {
        let rendered = [
            json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
            "spec": {"storageClassName": "enc"}}),
        ];
        let dep = json!({"spec": {"template": {"spec": {
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}],
            "containers": [{"volumeMounts": [{"name": "data", "mountPath": "/data/pdfs"}]}]}}}});
        let bound = json!({"spec": {"storageClassName": "enc"}, "status": {"phase": "Bound"}});
        assert_eq!(
            line(&rendered, &live(Some(bound.clone()), Some(dep.clone()))),
            StatusLine::ready("Volume encrypted & mounted (/data/pdfs)")
        );
        let pending = json!({"spec": {"storageClassName": "enc"}, "status": {"phase": "Pending"}});
        assert_eq!(
            line(&rendered, &live(Some(pending), Some(dep.clone()))).state,
            State::InProgress
        );
        assert_eq!(line(&rendered, &live(None, None)).state, State::Failed);
        let plain = json!({"spec": {"storageClassName": "gp3"}, "status": {"phase": "Bound"}});
        let l = line(&rendered, &live(Some(plain), Some(dep)));
        assert_eq!(l.state, State::Failed);
        assert_eq!(
            l.reason,
            "claim c is on class gp3, not the encrypted class enc"
        );
        let unmounted = line(&rendered, &live(Some(bound), None));
        assert_eq!(unmounted.state, State::InProgress);
        assert_eq!(unmounted.line, "Volume encrypted & mounted (not mounted)");
    }
}
