//! Named string formats that plugin schemas can use (`"format": "k8s-quantity"`), each with
//! the reason and hint a person gets when a value does not fit. The host registers every
//! format here with its JSON Schema validator; the envelope uses the same name rules.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::check::LABEL_HINT;
use crate::names::{dns1123_label_reason, is_dns1123_subdomain};
use crate::{image, quantity};

/// Every named format, as schemas write it.
pub const NAMES: &[&str] = &[
    "dns1123-label",
    "dns1123-subdomain",
    "k8s-quantity",
    "cidr",
    "image-reference",
];

/// Why a value does not fit its format, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Completes "`field` `value` ...": for example "has host bits set".
    pub reason: String,
    pub hint: Option<String>,
}

fn invalid(reason: impl Into<String>, hint: Option<String>) -> Result<(), Invalid> {
    Err(Invalid {
        reason: reason.into(),
        hint,
    })
}

/// Checks `value` against the named format; `Ok` also for a format this module does not
/// know (the JSON Schema validator judges those).
pub fn check(format: &str, value: &str) -> Result<(), Invalid> {
    match format {
        "dns1123-label" => match dns1123_label_reason(value) {
            Some(r) => invalid(format!("is not a valid name: {r}"), Some(LABEL_HINT.into())),
            None => Ok(()),
        },
        "dns1123-subdomain" if !is_dns1123_subdomain(value) => invalid(
            "is not a DNS-1123 subdomain",
            Some("lowercase letters, digits, '-' and '.', at most 253 characters".into()),
        ),
        "k8s-quantity" => match quantity::parse(value) {
            Ok(q) if q.is_positive() => Ok(()),
            Ok(_) => invalid("must be greater than zero", None),
            Err(r) => invalid(
                format!("is not a valid quantity: {r}"),
                quantity::hint(value),
            ),
        },
        "cidr" => cidr(value),
        "image-reference" => match image::parse(value) {
            Ok(_) => Ok(()),
            Err(r) => invalid(
                format!("is not a valid image reference: {r}"),
                Some("write `registry/repository:tag` or `...@sha256:<digest>`".into()),
            ),
        },
        _ => Ok(()),
    }
}

/// A network in CIDR notation with no host bits set.
pub fn cidr(c: &str) -> Result<(), Invalid> {
    match c.parse::<IpNet>() {
        Ok(net) if net.trunc() == net => Ok(()),
        Ok(net) => invalid(
            "has host bits set",
            Some(format!("use the network address `{}`", net.trunc())),
        ),
        Err(e) => match c.parse::<IpAddr>() {
            Ok(ip) => invalid(
                "has no prefix length",
                Some(format!(
                    "add one, e.g. `{c}/{}`",
                    if ip.is_ipv4() { 32 } else { 128 }
                )),
            ),
            Err(_) => invalid(
                format!("is not a CIDR: {e}"),
                Some("write an IPv4 or IPv6 network such as `10.0.0.0/24` or `fd00::/64`".into()),
            ),
        },
    }
}
