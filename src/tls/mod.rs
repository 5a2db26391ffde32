//! TLS with rustls: certificates and keys from PEM files, ALPN, optional client
//! certificates, and reloading the certificate without dropping connections.

mod dev_cert;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub use dev_cert::development_certificate;

/// What the ASGI `tls` extension reports about a connection.
#[derive(Debug, Default)]
pub struct TlsInfo {
    /// TLS version as on the wire (0x0303 for 1.2, 0x0304 for 1.3).
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    pub client_chain: Vec<CertificateDer<'static>>,
    /// ALPN chose HTTP/2.
    pub h2: bool,
}

impl TlsInfo {
    pub fn of(connection: &rustls::ServerConnection) -> Self {
        TlsInfo {
            version: connection.protocol_version().map(u16::from),
            cipher_suite: connection
                .negotiated_cipher_suite()
                .map(|s| u16::from(s.suite())),
            client_chain: connection
                .peer_certificates()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            h2: connection.alpn_protocol() == Some(b"h2"),
        }
    }

    /// A QUIC connection: always TLS 1.3.
    pub fn of_quic(connection: &quinn::Connection) -> Self {
        let chain = connection
            .peer_identity()
            .and_then(|identity| identity.downcast::<Vec<CertificateDer<'static>>>().ok())
            .map(|chain| *chain)
            .unwrap_or_default();
        TlsInfo {
            version: Some(0x0304),
            cipher_suite: None,
            client_chain: chain,
            h2: false,
        }
    }
}

/// A TLS set-up problem, worded for one line naming the file.
#[derive(Debug)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// Where the server's certificate, key and (optionally) client CA come from.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Decrypts an encrypted PKCS#8 key ("ENCRYPTED PRIVATE KEY").
    pub key_password: Option<String>,
    pub client_ca: Option<PathBuf>,
}

/// The certificate in use: read at start-up, swapped on reload. New handshakes use
/// the current one; connections already open keep theirs.
#[derive(Debug)]
pub struct CertStore {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let current = RwLock::new(Arc::new(certified_key(&files)?));
        Ok(Arc::new(CertStore { files, current }))
    }

    /// Read the files again; on error the old certificate stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = certified_key(&self.files)?;
        *self.current.write() = Arc::new(fresh);
        Ok(())
    }

    /// A rustls config answering with this store's certificate and offering `alpn`.
    pub fn server_config(self: &Arc<Self>, alpn: &[&[u8]]) -> Result<ServerConfig, TlsError> {
        let builder = ServerConfig::builder_with_protocol_versions(&[
            &rustls::version::TLS13,
            &rustls::version::TLS12,
        ]);
        let builder = match &self.files.client_ca {
            Some(path) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(path)? {
                    roots.add(cert).map_err(|e| {
                        TlsError(format!(
                            "{}: not a usable CA certificate: {e}",
                            path.display()
                        ))
                    })?;
                }
                let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                    .build()
                    .map_err(|e| TlsError(format!("{}: {e}", path.display())))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(self.clone());
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().clone())
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| {
            TlsError(format!(
                "{}: cannot read: {}",
                path.display(),
                pem_problem(e)
            ))
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("{}: {}", path.display(), pem_problem(e))))?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "{}: no PEM certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

fn certified_key(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let (cert, key) = (&files.cert, &files.key);
    let chain = read_certs(cert)?;
    let der = match &files.key_password {
        Some(password) => decrypt_key(key, password)?,
        None => PrivateKeyDer::from_pem_file(key).map_err(|e| {
            let encrypted = std::fs::read_to_string(key)
                .is_ok_and(|text| text.contains("ENCRYPTED PRIVATE KEY"));
            match encrypted {
                true => TlsError(format!(
                    "{}: the key is encrypted; give its password",
                    key.display()
                )),
                false => TlsError(format!("{}: {}", key.display(), pem_problem(e))),
            }
        })?,
    };
    let signing_key = any_supported_type(&der)
        .map_err(|e| TlsError(format!("{}: unusable private key: {e}", key.display())))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|_| {
        TlsError(format!(
            "{}: the private key does not match the certificate {}",
            key.display(),
            cert.display()
        ))
    })?;
    Ok(certified)
}

/// An encrypted PKCS#8 key (PBES2: PBKDF2 or scrypt with AES), decrypted in memory.
fn decrypt_key(path: &Path, password: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let problem = |what: String| TlsError(format!("{}: {what}", path.display()));
    let pem = std::fs::read_to_string(path).map_err(|e| problem(format!("cannot read: {e}")))?;
    let (label, document) =
        pkcs8::Document::from_pem(&pem).map_err(|e| problem(format!("invalid PEM: {e}")))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(problem(format!(
            "a key password was given but the key is not encrypted ({label})"
        )));
    }
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(document.as_bytes())
        .map_err(|e| problem(format!("invalid encrypted key: {e}")))?;
    let decrypted = encrypted.decrypt(password).map_err(|_| {
        problem("cannot decrypt the key: wrong password or unsupported cipher".into())
    })?;
    Ok(PrivateKeyDer::Pkcs8(decrypted.as_bytes().to_vec().into()))
}

fn pem_problem(err: rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match err {
        Error::NoItemsFound => {
            "no PEM item of the expected kind (PKCS#8, PKCS#1 or SEC1 key; certificate)".into()
        }
        Error::Io(io) => io.to_string(),
        other => format!("invalid PEM: {other:?}"),
    }
}
