//! The TLS configuration of the HTTPS examples and of their reference server on tokio, so
//! that both serve the same rustls setup.

use std::io;
use std::sync::Arc;

use futures_rustls::rustls::pki_types::pem::PemObject;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use futures_rustls::rustls::{self, ServerConfig};

/// A server configuration from the certificate chain and key in the PEM files `cert` and
/// `key`, or, given neither, a self-signed certificate made now; rustls's default provider
/// (aws-lc-rs) and protocol versions, ALPN offering HTTP/2, then HTTP/1.1.
pub fn server_config(cert: Option<String>, key: Option<String>) -> io::Result<ServerConfig> {
    let (chain, key) = match (cert, key) {
        (Some(cert), Some(key)) => (
            CertificateDer::pem_file_iter(&cert)
                .and_then(Iterator::collect)
                .map_err(|e| invalid(format!("{cert}: {e}")))?,
            PrivateKeyDer::from_pem_file(&key).map_err(|e| invalid(format!("{key}: {e}")))?,
        ),
        (None, None) => self_signed()?,
        _ => return Err(invalid("give both --cert and --key, or neither")),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| invalid(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A certificate for `localhost` and `127.0.0.1`, signed by its own key.
fn self_signed() -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| invalid(e.to_string()))?;
    eprintln!("note: serving a self-signed certificate (clients must skip verification)");
    let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    Ok((vec![certified.cert.der().clone()], key))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.into())
}

/// Makes a CA and a certificate for `localhost` signed by it, writes the certificate and its
/// key to `cert.pem` and `key.pem` in `dir`, and returns the CA's certificate: for the tests
/// and benchmarks, whose clients trust that CA.
pub fn write_test_certificate(dir: &std::path::Path) -> io::Result<CertificateDer<'static>> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let rcgen = |e: rcgen::Error| invalid(e.to_string());
    let ca_key = KeyPair::generate().map_err(rcgen)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).map_err(rcgen)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().map_err(rcgen)?;
    let params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(rcgen)?;
    let cert = params.signed_by(&key, &issuer).map_err(rcgen)?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("cert.pem"), cert.pem())?;
    std::fs::write(dir.join("key.pem"), key.serialize_pem())?;
    Ok(ca.der().clone())
}

/// A client configuration that trusts `ca` alone and offers `alpn`.
pub fn client_config(ca: CertificateDer<'static>, alpn: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("a CA certificate rustls accepts");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    config
}
