//! The plugin supply chain: everything between a plugin component and the OCI registries it
//! travels through. No wasmtime here, and nothing about Kubernetes.
//!
//! - [`artifact`]: the CNCF "Wasm OCI Artifact" layout a plugin is pushed in (config
//!   `application/vnd.wasm.config.v0+json`, one `application/wasm` layer), and cosign's
//!   signature manifests.
//! - [`store`]: the local content-addressed store (an OCI image layout directory) that keeps
//!   pulled plugins and their signatures; every blob is verified against its digest before it is
//!   renamed into place, so a half-written or tampered blob is never used.
//! - [`sign`]: cosign-compatible key-based signatures (ECDSA P-256 over the simple-signing
//!   payload), PEM keys.
//! - [`policy`]: the trust policy (which keys must have signed which plugins).
//! - [`registry`]: the OCI distribution client (oci-client over reqwest/rustls with ring),
//!   with timeouts, retries and docker credentials.
//! - [`layout`]: `plugin save`/`plugin load` tarballs (an OCI image layout).

pub mod artifact;
pub mod layout;
pub mod policy;
pub mod registry;
pub mod sign;
pub mod store;

pub use hms_spec::RegistryRef;

/// A supply-chain failure, said for people: what, where, and (in `hint`) what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub message: String,
    pub hint: Option<String>,
    /// Which check or step failed, for callers that map failures to codes.
    pub kind: ErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input (a reference, a key, a policy, a tarball) is wrong.
    Input,
    /// Reading or writing local files.
    Io,
    /// The registry could not be reached, timed out, or refused.
    Registry,
    /// Content does not match its digest.
    Digest,
    /// Not in the local store.
    Missing,
    /// A signature or trust check failed.
    Trust,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            kind,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn io(what: impl std::fmt::Display, e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("{what}: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// `sha256:<hex>` of `bytes` (the same definition as `hms_plugin::digest_of`).
pub fn digest_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The hex part of a `sha256:<hex>` digest, when it is one.
pub fn digest_hex(digest: &str) -> Option<&str> {
    digest.strip_prefix("sha256:").filter(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
