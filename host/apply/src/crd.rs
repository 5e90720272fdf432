//! Custom resources whose CustomResourceDefinition is applied by the same apply: the object
//! cannot exist yet (its kind is not served), so preflight skips it; after the CRD step apply
//! waits for the CRD to be `Established` and runs discovery again for its group.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kube::Client;
use kube::api::Api;
use serde_json::Value;

use crate::client::{self, Kinds, api_for, retry};
use crate::events::Sink;
use crate::ops::{ApplyOptions, Bounded, Item, bounded};
use crate::{Error, ObjectRef};

pub const GROUP: &str = "apiextensions.k8s.io";
pub const KIND: &str = "CustomResourceDefinition";

/// Whether `r` is a CustomResourceDefinition.
pub fn is_crd(r: &ObjectRef) -> bool {
    r.group == GROUP && r.kind == KIND
}

/// The rendered CRD (its index in `items`) that defines the kind of `r`, a kind the cluster
/// does not serve: the CRD's `spec.group` and `spec.names.kind` are those of `r` and it serves
/// `r`'s version. Without one, the kind is unknown: the error says so before anything is written.
pub(crate) fn defining(items: &[Item<'_>], r: &ObjectRef, rank: u8) -> Result<usize, Error> {
    let found = items.iter().enumerate().find(|(_, i)| {
        let spec = &i.value["spec"];
        is_crd(&i.r)
            && spec["group"] == r.group.as_str()
            && spec["names"]["kind"] == r.kind.as_str()
    });
    let Some((n, crd)) = found else {
        return Err(Error::UnknownKind(format!(
            "{}/{} {}",
            r.group, r.version, r.kind
        )));
    };
    let served = crd.value["spec"]["versions"].as_array().is_some_and(|vs| {
        vs.iter()
            .any(|v| v["name"] == r.version.as_str() && v["served"] == true)
    });
    if !served {
        return Err(Error::Invalid(format!(
            "{r}: its {} does not serve version {}",
            crd.r, r.version
        )));
    }
    if crd.rank >= rank {
        return Err(Error::Invalid(format!(
            "{r}: must be applied in a later step than its {}",
            crd.r
        )));
    }
    Ok(n)
}

/// What a CRD's `status.conditions` say.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Established,
    /// `NamesAccepted=False`: it will never be established as it is (the message says why).
    NamesRejected(String),
    /// Not yet; what the conditions say, for a timeout message.
    Pending(String),
}

/// Reads a CRD's status (`Established=True`; `NamesAccepted=False` is final).
pub fn state(status: &Value) -> State {
    let conditions: &[Value] = status["conditions"].as_array().map_or(&[], Vec::as_slice);
    let find = |t: &str| conditions.iter().find(|c| c["type"] == t);
    if find("Established").is_some_and(|c| c["status"] == "True") {
        return State::Established;
    }
    if let Some(c) = find("NamesAccepted").filter(|c| c["status"] == "False") {
        let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
        return State::NamesRejected(format!("{}: {}", s("reason"), s("message")));
    }
    let seen: Vec<String> = conditions
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("");
            match s("reason") {
                "" => format!("{}={}", s("type"), s("status")),
                reason => format!("{}={} ({reason})", s("type"), s("status")),
            }
        })
        .collect();
    State::Pending(if seen.is_empty() {
        "no conditions yet".into()
    } else {
        seen.join(", ")
    })
}

/// How waiting for CRDs ended, short of success.
pub(crate) enum Stopped {
    Interrupted,
    Failed(Error),
}

/// Waits until every CRD in `crds` (indices in `items`) is `Established` (each bounded by
/// `--object-timeout`, every GET retried as usual, interruptible), then runs discovery again for
/// the groups of the objects that waited for them until each of them resolves (bounded the same).
pub(crate) async fn establish(
    client: &Client,
    items: &[Item<'_>],
    kinds: &mut Kinds,
    crds: &[usize],
    opts: &ApplyOptions,
    events: &Sink,
) -> Result<(), Stopped> {
    let limit = opts.object_timeout;
    let timed_out = |what: &str, last: &str| Error::Api {
        object: what.to_string(),
        message: format!(
            "not Established within {limit:?} (--object-timeout; last seen: {last}); run apply \
             again or raise --object-timeout"
        ),
    };
    for &n in crds {
        let item = &items[n];
        let what = item.r.to_string();
        let start = Instant::now();
        tracing::info!("waiting for {what} to be established");
        let (ar, caps) = kinds.resolve(&item.r).map_err(Stopped::Failed)?;
        let api = api_for(client, &ar, &caps, "");
        let mut last = String::from("not read yet");
        let outcome = bounded(opts, until_established(&api, &item.r, &mut last)).await;
        let (result, error) = match outcome {
            Bounded::Done(Ok(())) => ("established", None),
            Bounded::Done(Err(e)) => ("failed", Some(e)),
            Bounded::TimedOut(_) => ("failed", Some(timed_out(&what, &last))),
            Bounded::Interrupted => ("interrupted", None),
        };
        let message = error.as_ref().map(ToString::to_string);
        events.emit("crd", Some(what), result, start.elapsed(), message);
        match (result, error) {
            (_, Some(e)) => return Err(Stopped::Failed(e)),
            ("interrupted", _) => return Err(Stopped::Interrupted),
            _ => {}
        }
    }
    let waiting: Vec<&ObjectRef> = items
        .iter()
        .filter(|i| i.awaits.is_some())
        .map(|i| &i.r)
        .collect();
    let mut last = String::new();
    match bounded(opts, rediscover(client, kinds, &waiting, &mut last)).await {
        Bounded::Done(Ok(())) => Ok(()),
        Bounded::Done(Err(e)) => Err(Stopped::Failed(e)),
        Bounded::TimedOut(_) => Err(Stopped::Failed(Error::Api {
            object: "discovery".into(),
            message: format!(
                "{last} within {limit:?} of their CRDs being established (--object-timeout); \
                 run apply again or raise --object-timeout"
            ),
        })),
        Bounded::Interrupted => Err(Stopped::Interrupted),
    }
}

/// Polls one CRD (50 ms, doubling to 1 s) until it is established; `last` says what it saw.
async fn until_established(
    api: &Api<kube::api::DynamicObject>,
    r: &ObjectRef,
    last: &mut String,
) -> Result<(), Error> {
    let what = r.to_string();
    let mut delay = Duration::from_millis(50);
    loop {
        match retry(&what, || api.get_opt(&r.name)).await? {
            None => *last = "not found".into(),
            Some(o) => match state(&o.data["status"]) {
                State::Established => return Ok(()),
                State::NamesRejected(why) => {
                    return Err(Error::Api {
                        object: what,
                        message: format!("its names were not accepted ({why})"),
                    });
                }
                State::Pending(seen) => *last = seen,
            },
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

/// Runs discovery for the groups of `waiting` until every one of them resolves (a server may
/// list a new kind a moment after its CRD is established); `last` names those still missing.
async fn rediscover(
    client: &Client,
    kinds: &mut Kinds,
    waiting: &[&ObjectRef],
    last: &mut String,
) -> Result<(), Error> {
    let group_kinds: BTreeSet<String> = client::group_kinds(waiting.iter().copied());
    let mut delay = Duration::from_millis(50);
    loop {
        kinds.refresh(client, &group_kinds).await?;
        let missing: BTreeSet<String> = waiting
            .iter()
            .filter(|r| kinds.resolve(r).is_err())
            .map(|r| format!("{}/{} {}", r.group, r.version, r.kind))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let missing: Vec<String> = missing.into_iter().collect();
        *last = format!("discovery did not list {}", missing.join(", "));
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_kind_not_served_is_defined_only_by_a_rendered_crd_that_serves_its_version() {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": KIND,
            "metadata": {"name": "widgets.example.hms.io"},
            "spec": {"group": "example.hms.io", "names": {"kind": "Widget", "plural": "widgets"},
                "scope": "Namespaced",
                "versions": [{"name": "v1", "served": true, "storage": true},
                             {"name": "v0", "served": false, "storage": false}]}});
        let widget = |version: &str, kind: &str| {
            json!({"apiVersion": format!("example.hms.io/{version}"), "kind": kind,
                "metadata": {"name": "w1", "namespace": "n"}})
        };
        let values = [
            crd,
            widget("v1", "Widget"),
            widget("v0", "Widget"),
            widget("v1", "Gadget"),
        ];
        let id: std::sync::Arc<str> = std::sync::Arc::from("set");
        let items: Vec<Item<'_>> = values
            .iter()
            .map(|v| Item::new(0, v, id.clone()).expect("an item"))
            .collect();
        assert_eq!(defining(&items, &items[1].r, 7).ok(), Some(0));
        let text = |n: usize, rank: u8| match defining(&items, &items[n].r, rank) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            text(2, 7),
            "invalid object: Widget.example.hms.io n/w1: its CustomResourceDefinition.\
             apiextensions.k8s.io widgets.example.hms.io does not serve version v0"
        );
        assert_eq!(
            text(3, 7),
            "the cluster does not serve example.hms.io/v1 Gadget (is its CRD installed?)"
        );
        assert!(
            text(1, 0).contains("in a later step than its"),
            "{}",
            text(1, 0)
        );
    }

    #[test]
    fn established_needs_the_condition_and_rejected_names_are_final() {
        assert_eq!(
            state(&Value::Null),
            State::Pending("no conditions yet".into())
        );
        let installing = json!({"conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
            {"type": "Established", "status": "False", "reason": "Installing"},
        ]});
        assert_eq!(
            state(&installing),
            State::Pending(
                "NamesAccepted=True (NoConflicts), Established=False (Installing)".into()
            )
        );
        let done = json!({"conditions": [
            {"type": "NamesAccepted", "status": "True"},
            {"type": "Established", "status": "True"},
        ]});
        assert_eq!(state(&done), State::Established);
        let clash = json!({"conditions": [{"type": "NamesAccepted", "status": "False",
            "reason": "PluralConflict", "message": "\"widgets\" is already in use"}]});
        assert_eq!(
            state(&clash),
            State::NamesRejected("PluralConflict: \"widgets\" is already in use".into())
        );
    }
}
