//! One GET of a JSON Web Key Set: HTTP/1.1 over rustls (or plain HTTP to a loopback
//! host), trusting the system's certificate authorities (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` name others), bounded in time and size. A key set is fetched a few
//! times an hour, so each fetch has a connection of its own.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The longest a fetch may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest key set read (providers' are a few KiB).
const MAX_BYTES: usize = 1 << 20;

/// The body of a 200 answer to `GET url`, or why there is none.
pub async fn get(url: &Uri) -> Result<Bytes, String> {
    tokio::time::timeout(TIMEOUT, fetch(url))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

async fn fetch(url: &Uri) -> Result<Bytes, String> {
    let host = url.host().ok_or("the URL has no host")?;
    let https = url.scheme_str() == Some("https");
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare_host, port))
        .await
        .map_err(|err| format!("cannot connect: {err}"))?;
    if !https {
        return exchange(tcp, url).await;
    }
    let name = ServerName::try_from(bare_host.to_owned())
        .map_err(|_| format!("{host} is not a TLS server name"))?;
    let tls = TlsConnector::from(Arc::new(client_config()?))
        .connect(name, tcp)
        .await
        .map_err(|err| format!("TLS: {err}"))?;
    exchange(tls, url).await
}

async fn exchange<S>(stream: S, url: &Uri) -> Result<Bytes, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| format!("HTTP: {err}"))?;
    tokio::spawn(connection);
    let target = url.path_and_query().map_or("/", |p| p.as_str());
    let authority = url.authority().map_or("", |a| a.as_str());
    let request = Request::get(target)
        .header(header::HOST, authority)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, "django-bolt")
        .body(Empty::<Bytes>::new())
        .map_err(|err| format!("bad request: {err}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| format!("HTTP: {err}"))?;
    if response.status() != StatusCode::OK {
        return Err(format!("the server answered {}", response.status()));
    }
    let body = Limited::new(response.into_body(), MAX_BYTES)
        .collect()
        .await
        .map_err(|err| format!("reading the key set: {err}"))?;
    Ok(body.to_bytes())
}

/// A client configuration trusting the system's authorities, read at each fetch so
/// that a renewed bundle counts without a restart.
fn client_config() -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err("no trusted certificate authority found (set SSL_CERT_FILE)".into());
    }
    let mut config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
