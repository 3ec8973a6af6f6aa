//! Test PKI made with the `openssl` CLI: a CA, a server certificate for
//! 127.0.0.1/localhost, and client certificates whose CN is the Koji user
//! name that `sslLogin` takes.
//!
//! Keys are P-256 EC: generating them is instant, where RSA keys would cost
//! a noticeable share of a short test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::run_ok;

/// Subject organisation of every certificate made here.
const ORG: &str = "koji-rs tests";

#[derive(Debug)]
pub struct TestCerts {
    dir: PathBuf,
    /// The CA certificate: the hub's `TLSClientCAFile`, the CLI's `serverca`.
    pub ca_cert: PathBuf,
    ca_key: PathBuf,
    /// Server certificate (SAN `IP:127.0.0.1,DNS:localhost`), signed by the CA.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl TestCerts {
    /// Makes the CA and the server certificate in `dir`, which must exist.
    pub fn generate(dir: &Path) -> TestCerts {
        let certs = TestCerts {
            dir: dir.to_owned(),
            ca_cert: dir.join("ca.crt"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
        };
        run_ok(
            openssl_req(&certs.ca_key, &subject("koji-rs test CA"))
                .args(["-x509", "-days", "3650", "-out"])
                .arg(&certs.ca_cert)
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        );
        certs.signed(
            &subject("localhost"),
            &certs.server_key,
            &certs.server_cert,
            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        );
        certs
    }

    /// A client certificate for `CN=<cn>` signed by the CA, as one PEM file
    /// holding the certificate and then its unencrypted key: the koji CLI
    /// hands `cert` to requests as a single path, which needs both in it.
    pub fn client(&self, cn: &str) -> PathBuf {
        let (key, crt, pem) = self.client_paths("client", cn);
        self.signed(&subject(cn), &key, &crt, "extendedKeyUsage=clientAuth\n");
        concat_pem(&crt, &key, &pem);
        pem
    }

    /// Like [`TestCerts::client`], but self-signed, so no CA the hub trusts
    /// vouches for it: the hub must refuse to log it in.
    pub fn rogue_client(&self, cn: &str) -> PathBuf {
        let (key, crt, pem) = self.client_paths("rogue", cn);
        run_ok(
            openssl_req(&key, &subject(cn))
                .args(["-x509", "-days", "3650", "-out"])
                .arg(&crt)
                .args(["-addext", "extendedKeyUsage=clientAuth"]),
        );
        concat_pem(&crt, &key, &pem);
        pem
    }

    /// File names for a client certificate: the CN made file-safe plus a
    /// serial, so two certificates for one CN do not overwrite each other.
    fn client_paths(&self, kind: &str, cn: &str) -> (PathBuf, PathBuf, PathBuf) {
        let safe: String =
            cn.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let stem = format!("{kind}-{safe}-{}", serial());
        (
            self.dir.join(format!("{stem}.key")),
            self.dir.join(format!("{stem}.crt")),
            self.dir.join(format!("{stem}.pem")),
        )
    }

    /// Makes a key and a certificate for `subject` signed by the CA, with
    /// the extensions in `ext` (an `openssl x509 -extfile` body).
    fn signed(&self, subject: &str, key: &Path, crt: &Path, ext: &str) {
        let csr = crt.with_extension("csr");
        let extfile = crt.with_extension("ext");
        let ext = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n{ext}"
        );
        std::fs::write(&extfile, ext).expect("write extfile");
        run_ok(openssl_req(key, subject).arg("-out").arg(&csr));
        // An explicit serial instead of -CAcreateserial: that one rewrites a
        // shared serial file, which parallel tests would race on.
        run_ok(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "3650", "-in"])
                .arg(&csr)
                .arg("-CA")
                .arg(&self.ca_cert)
                .arg("-CAkey")
                .arg(&self.ca_key)
                .args(["-set_serial", &serial().to_string(), "-extfile"])
                .arg(&extfile)
                .arg("-out")
                .arg(crt),
        );
        let _ = std::fs::remove_file(csr);
        let _ = std::fs::remove_file(extfile);
    }
}

/// `openssl req` making a new unencrypted EC key in `key` for `subject`;
/// the caller adds the output (a CSR, or with `-x509` a certificate).
fn openssl_req(key: &Path, subject: &str) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout"])
        .arg(key)
        .args(["-subj", subject]);
    cmd
}

/// `/O=koji-rs tests/CN=<cn>`, escaping the characters `-subj` treats
/// specially so any user name can be a CN.
fn subject(cn: &str) -> String {
    let mut escaped = String::new();
    for c in cn.chars() {
        if matches!(c, '/' | '\\' | '+' | '=') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("/O={ORG}/CN={escaped}")
}

/// A certificate serial unique within this process and, through the clock,
/// across processes sharing a CA directory.
fn serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    (nanos & !0xffff) | (NEXT.fetch_add(1, Ordering::Relaxed) & 0xffff)
}

fn concat_pem(crt: &Path, key: &Path, pem: &Path) {
    let mut both = std::fs::read(crt).expect("read certificate");
    both.extend(std::fs::read(key).expect("read key"));
    std::fs::write(pem, both).expect("write client PEM");
}
