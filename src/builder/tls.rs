//! kojid's TLS: one connector, from `kojid.conf`'s `cert` (the host's client certificate and its key in one
//! PEM, as Koji's kojid reads it) and `serverca` (the CA bundle that signs the hub's certificate), shared by
//! the XML-RPC client (reqwest), the push stream (tungstenite) and downloads from `topurl`.
//!
//! As Koji's `requests` session with `verify=serverca`: when `serverca` is set, only it is trusted, not the
//! system's roots. Keys in any PEM form OpenSSL reads (PKCS#8, PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE
//! KEY`) are accepted; native-tls itself takes PKCS#8 only, so the key is re-encoded.

use openssl::pkey::PKey;
use openssl::x509::X509;
use std::error::Error;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("{key} = {path}: cannot read: {source}")]
    Read { key: &'static str, path: String, source: std::io::Error },
    #[error("{key} = {path}: {what}")]
    Invalid { key: &'static str, path: String, what: String },
    #[error("cannot set up TLS: {0}")]
    Build(native_tls::Error),
}

/// The connector for kojid's clients: presents `cert` when given, trusts only `serverca` when given.
pub fn connector(cert: Option<&Path>, serverca: Option<&Path>) -> Result<native_tls::TlsConnector, TlsConfigError> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = cert {
        builder.identity(identity(path)?);
    }
    if let Some(path) = serverca {
        for ca in certificates("serverca", path)? {
            let der = ca.to_der().map_err(|e| invalid("serverca", path, e))?;
            builder.add_root_certificate(
                native_tls::Certificate::from_der(&der).map_err(|e| invalid("serverca", path, e))?,
            );
        }
        builder.disable_built_in_roots(true);
    }
    builder.build().map_err(TlsConfigError::Build)
}

/// An HTTP client using [`connector`]'s TLS.
pub fn http_client(tls: native_tls::TlsConnector) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().tls_backend_preconfigured(tls).build()
}

/// The certificate (and its chain, if the file has one) and the key of a client PEM.
fn identity(path: &Path) -> Result<native_tls::Identity, TlsConfigError> {
    let pem = read("cert", path)?;
    let mut chain = Vec::new();
    for cert in certificates("cert", path)? {
        chain.extend(cert.to_pem().map_err(|e| invalid("cert", path, e))?);
    }
    let key = PKey::private_key_from_pem(&pem)
        .and_then(|k| k.private_key_to_pem_pkcs8())
        .map_err(|e| invalid("cert", path, format!("no usable private key in it ({e})")))?;
    native_tls::Identity::from_pkcs8(&chain, &key).map_err(|e| invalid("cert", path, e))
}

/// Every certificate in a PEM file (other blocks, such as a key, are skipped); at least one.
fn certificates(key: &'static str, path: &Path) -> Result<Vec<X509>, TlsConfigError> {
    let certs = X509::stack_from_pem(&read(key, path)?).map_err(|e| invalid(key, path, e))?;
    if certs.is_empty() {
        return Err(invalid(key, path, "no certificate in it"));
    }
    Ok(certs)
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::Read { key, path: path.display().to_string(), source })
}

fn invalid(key: &'static str, path: &Path, what: impl std::fmt::Display) -> TlsConfigError {
    TlsConfigError::Invalid { key, path: path.display().to_string(), what: what.to_string() }
}

/// Whether `error` (or what caused it) is a TLS failure: the handshake failed, a certificate was refused (by
/// us or, as an alert, by the hub). Such a failure is a configuration problem, unlike a refused or reset
/// connection, so it is not retried. A reset during the handshake is an I/O error, not a TLS one.
pub fn is_tls_failure(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(ssl) = e.downcast_ref::<openssl::ssl::Error>() {
            if ssl.ssl_error().is_some() {
                return true;
            }
        } else if e.is::<openssl::error::ErrorStack>() {
            return true;
        }
        // io::Error's `source` skips the error it wraps (tokio-native-tls wraps OpenSSL's in one).
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && is_tls_failure(inner)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// `error` and its causes, `: `-separated (reqwest's own message omits the OpenSSL reason).
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        let more = e.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_told_apart_from_network_ones() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!is_tls_failure(&refused));
        // tokio-native-tls hands OpenSSL's errors up inside an io::Error.
        let alert = std::io::Error::other(openssl::error::ErrorStack::get());
        assert!(is_tls_failure(&alert));
        let missing = connector(Some(Path::new("/nonexistent/client.pem")), None).unwrap_err();
        assert!(missing.to_string().starts_with("cert = /nonexistent/client.pem: cannot read: "), "{missing}");
    }
}
