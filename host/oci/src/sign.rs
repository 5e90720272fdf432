//! cosign-compatible key-based signatures: ECDSA P-256 with SHA-256 over the simple-signing
//! payload, the DER signature base64-encoded in the layer annotation
//! `dev.cosignproject.cosign/signature`. Keys are PEM files: a public key is a
//! SubjectPublicKeyInfo (`PUBLIC KEY`, what `cosign generate-key-pair` writes as `cosign.pub`
//! and `openssl pkey -pubout` writes), a private key PKCS#8 (`PRIVATE KEY`, what
//! `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and
//! `hms-sys plugin keygen` write). cosign's encrypted private keys are not read.

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use serde::{Deserialize, Serialize};

use crate::artifact::{Descriptor, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
use crate::{Error, ErrorKind, Result};

/// The type string of a cosign image signature payload.
pub const PAYLOAD_TYPE: &str = "cosign container image signature";

/// DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1), before the
/// 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The simple-signing payload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Payload {
    pub critical: Critical,
    pub optional: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Critical {
    pub identity: Identity,
    pub image: Image,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

/// The payload cosign signs for `digest` in repository `docker_reference`.
pub fn payload(docker_reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&Payload {
        critical: Critical {
            identity: Identity {
                docker_reference: docker_reference.to_string(),
            },
            image: Image {
                docker_manifest_digest: digest.to_string(),
            },
            kind: PAYLOAD_TYPE.to_string(),
        },
        optional: None,
    })
    .unwrap_or_default()
}

/// A public key that may verify signatures, with the name the policy (or the file) gives it.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub name: String,
    point: Vec<u8>,
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (P-256); `name` says where it came from.
    pub fn from_pem(name: &str, text: &[u8]) -> Result<Self> {
        let bad = |why: String| {
            Error::new(ErrorKind::Input, format!("{name}: {why}")).hint(
                "give an ECDSA P-256 public key in PEM (`-----BEGIN PUBLIC KEY-----`), such as cosign.pub or `openssl pkey -in KEY -pubout`",
            )
        };
        let pem = pem::parse(text).map_err(|e| bad(format!("not a PEM file ({e})")))?;
        if pem.tag() != "PUBLIC KEY" {
            return Err(bad(format!("a PEM `{}`, not a `PUBLIC KEY`", pem.tag())));
        }
        let der = pem.contents();
        match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            Some(point) if point.len() == 65 && point[0] == 4 => Ok(PublicKey {
                name: name.to_string(),
                point: point.to_vec(),
            }),
            _ => Err(bad("not an ECDSA P-256 public key".into())),
        }
    }

    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read(path)
            .map_err(|e| Error::io(format!("cannot read the key {}", path.display()), e))?;
        Self::from_pem(&path.display().to_string(), &text)
    }

    /// Whether `signature` (DER) over `payload` is this key's.
    pub fn verifies(&self, payload: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.point)
            .verify(payload, signature)
            .is_ok()
    }

    pub fn to_pem(&self) -> String {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.point);
        pem::encode(&pem::Pem::new("PUBLIC KEY", der))
    }
}

/// A private key that signs.
pub struct PrivateKey {
    pair: EcdsaKeyPair,
}

impl PrivateKey {
    pub fn from_pem(name: &str, text: &[u8]) -> Result<Self> {
        let bad = |why: String| {
            Error::new(ErrorKind::Input, format!("{name}: {why}")).hint(
                "give an unencrypted ECDSA P-256 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): `hms-sys plugin keygen`, or `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem`",
            )
        };
        let pem = pem::parse(text).map_err(|e| bad(format!("not a PEM file ({e})")))?;
        if pem.tag() != "PRIVATE KEY" {
            return Err(bad(format!("a PEM `{}`, not a `PRIVATE KEY`", pem.tag())));
        }
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            pem.contents(),
            &SystemRandom::new(),
        )
        .map_err(|e| bad(format!("not an ECDSA P-256 PKCS#8 key ({e})")))?;
        Ok(PrivateKey { pair })
    }

    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read(path)
            .map_err(|e| Error::io(format!("cannot read the key {}", path.display()), e))?;
        Self::from_pem(&path.display().to_string(), &text)
    }

    /// A new key pair: the private key as PKCS#8 PEM, and the key.
    pub fn generate() -> Result<(String, Self)> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot generate a key: {e}")))?;
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()));
        let key = Self::from_pem("the new key", pem.as_bytes())?;
        Ok((pem, key))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            name: "the signing key".into(),
            point: self.pair.public_key().as_ref().to_vec(),
        }
    }

    /// Signs `payload`: the DER signature.
    pub fn sign(&self, payload: &[u8]) -> Result<Vec<u8>> {
        self.pair
            .sign(&SystemRandom::new(), payload)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot sign: {e}")))
    }
}

/// The signature layer for `payload`: its descriptor, annotated with the signature.
pub fn signature_layer(payload: &[u8], signature: &[u8]) -> Descriptor {
    let mut d = Descriptor::of(SIMPLE_SIGNING, payload);
    d.annotations.insert(
        SIGNATURE_ANNOTATION.into(),
        base64::engine::general_purpose::STANDARD.encode(signature),
    );
    d
}

/// Why signatures did not verify, for the error a person reads.
#[derive(Debug, Default)]
pub struct Findings {
    /// Signature layers looked at.
    pub signatures: usize,
    /// Payloads that are for another digest (or not cosign image payloads).
    pub other_subject: usize,
    /// Signatures that no trusted key verified.
    pub unverified: usize,
}

/// Checks one signature layer (its payload read and digest-checked by the caller) for
/// `digest`: the name of the key that verifies it.
pub fn verify_layer<'k>(
    layer: &Descriptor,
    payload: &[u8],
    digest: &str,
    keys: &'k [PublicKey],
    findings: &mut Findings,
) -> Option<&'k PublicKey> {
    if layer.media_type != SIMPLE_SIGNING {
        return None;
    }
    findings.signatures += 1;
    let subject_ok = serde_json::from_slice::<Payload>(payload).is_ok_and(|p| {
        p.critical.kind == PAYLOAD_TYPE && p.critical.image.docker_manifest_digest == digest
    });
    if !subject_ok {
        findings.other_subject += 1;
        return None;
    }
    let sig = layer.annotations.get(SIGNATURE_ANNOTATION).and_then(|s| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
    });
    let found = sig.and_then(|sig| keys.iter().find(|k| k.verifies(payload, &sig)));
    if found.is_none() {
        findings.unverified += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip() {
        let (pem, key) = PrivateKey::generate().expect("key");
        let key2 = PrivateKey::from_pem("k", pem.as_bytes()).expect("reads back");
        let public = PublicKey::from_pem("p", key.public().to_pem().as_bytes()).expect("pub");
        let digest = format!("sha256:{}", "ab".repeat(32));
        let payload = payload("localhost:5000/p", &digest);
        let sig = key2.sign(&payload).expect("sign");
        let layer = signature_layer(&payload, &sig);
        let mut f = Findings::default();
        let keys = [public];
        assert!(verify_layer(&layer, &payload, &digest, &keys, &mut f).is_some());
        let other = format!("sha256:{}", "cd".repeat(32));
        assert!(verify_layer(&layer, &payload, &other, &keys, &mut f).is_none());
        assert_eq!(f.other_subject, 1);
        let (_, stranger) = PrivateKey::generate().expect("key");
        let keys = [stranger.public()];
        assert!(verify_layer(&layer, &payload, &digest, &keys, &mut f).is_none());
        assert_eq!(f.unverified, 1);
        assert!(PublicKey::from_pem("x", pem.as_bytes()).is_err());
        assert!(PrivateKey::from_pem("x", b"junk").is_err());
    }
}
