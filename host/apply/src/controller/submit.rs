//! The command line's side of the controller: submit a spec as a SysSpec, read one back.

use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Map, Value, json};

use super::sysspec::SysSpec;
use crate::client::retry;
use crate::{Error, FIELD_MANAGER};

/// The SysSpec kind, as errors name it.
pub const KIND: &str = "SysSpec.sys.hms.io";

/// Creates or updates SysSpec `name` with `fields` (the spec file's fields), by server-side
/// apply as the field manager `hms-sys`; returns its `metadata.generation`.
pub async fn submit(
    client: &Client,
    name: &str,
    fields: &Map<String, Value>,
) -> Result<i64, Error> {
    let api: Api<SysSpec> = Api::all(client.clone());
    let body = json!({
        "apiVersion": format!("{}/{}", super::sysspec::GROUP, super::sysspec::VERSION),
        "kind": "SysSpec",
        "metadata": {"name": name},
        "spec": fields,
    });
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let patch = Patch::Apply(&body);
    let what = format!("{KIND} {name}");
    match retry(&what, || api.patch(name, &params, &patch)).await {
        Ok(s) => Ok(s.metadata.generation.unwrap_or(1)),
        Err(Error::Api { message, .. })
            if message.contains("404")
                || message.contains("could not find the requested resource") =>
        {
            Err(Error::UnknownKind(KIND.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// SysSpec `name`, or `None` when there is none or the cluster does not serve the kind.
pub async fn get(client: &Client, name: &str) -> Result<Option<SysSpec>, Error> {
    let api: Api<SysSpec> = Api::all(client.clone());
    retry(&format!("{KIND} {name}"), || api.get_opt(name)).await
}
