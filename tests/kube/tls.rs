//! TLS for the test server, as a real API server has: a fresh cluster CA per server, a serving
//! certificate for `127.0.0.1` and `localhost` signed by it, and the CA in the kubeconfig's
//! `certificate-authority-data`, so clients verify the server exactly as they verify a cluster.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server's TLS configuration and the CA certificate (PEM) clients trust.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
}

impl Tls {
    /// A new CA and serving certificate (ECDSA P-256; generating them takes about a millisecond).
    pub fn generate() -> Tls {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "hms-sys test cluster CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let mut leaf = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "kubernetes.default.svc".to_string(),
        ])
        .expect("serving params");
        leaf.distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        let key = KeyPair::generate().expect("serving key");
        let cert = leaf.signed_by(&key, &ca).expect("serving certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), ca.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("TLS server config");
        Tls {
            config: Arc::new(config),
            ca_pem: ca.pem(),
        }
    }
}
