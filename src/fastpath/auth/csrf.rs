//! The cross-site check of a JWT read from a cookie: a browser attaches cookies to
//! requests other sites' pages make, and Bolt routes run no Django CSRF middleware, so
//! an unsafe request authenticated by the cookie must show it comes from this site.
//!
//! A WebSocket handshake is checked too. Its `Origin` (else its `Referer`'s origin) must be the request's own scheme and host
//! (as a trusted proxy gives them) or one of Django's `CSRF_TRUSTED_ORIGINS`; without
//! either header, `Sec-Fetch-Site: same-origin` or `none` passes. Everything else is
//! refused, with the reason.

use http::{header, Method};

use crate::conn::ConnInfo;
use crate::fastpath::allowed_hosts::requested_host;

/// `CSRF_TRUSTED_ORIGINS`, compiled: `scheme://host[:port]`, the host maybe `*.domain`.
pub struct OriginCheck {
    trusted: Vec<Origin>,
}

/// An origin, lowercase, without the scheme's default port.
#[derive(Debug, PartialEq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl OriginCheck {
    pub fn new(trusted: Vec<String>) -> Result<Self, String> {
        let trusted = trusted
            .iter()
            .map(|text| {
                Origin::parse(text).ok_or_else(|| {
                    format!("CSRF_TRUSTED_ORIGINS entry {text:?} is not scheme://host[:port]")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(OriginCheck { trusted })
    }

    /// Whether a request authenticated by the cookie may go on; why not if it may not.
    pub fn check(&self, conn: &ConnInfo, head: &http::request::Parts) -> Result<(), String> {
        let safe = matches!(
            head.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        // A WebSocket handshake is a GET, yet it opens a channel for the page that made
        // it: another site's page must not open one with the user's cookie. (Over
        // HTTP/2 and HTTP/3 it is a CONNECT, unsafe anyway.)
        if safe && !head.headers.contains_key(header::UPGRADE) {
            return Ok(());
        }
        let header_text = |name| head.headers.get(name).map(|v| v.to_str().unwrap_or(""));
        let (sent, what) = match (header_text(header::ORIGIN), header_text(header::REFERER)) {
            (Some(origin), _) => (origin, "Origin"),
            (None, Some(referer)) => (referer, "Referer"),
            (None, None) => {
                let site = header_text(http::HeaderName::from_static("sec-fetch-site"));
                return match site {
                    Some("same-origin" | "none") => Ok(()),
                    _ => Err("CSRF Failed: a request authenticated by a cookie needs an \
                              Origin or Referer header (send the token in the \
                              Authorization header instead)"
                        .into()),
                };
            }
        };
        let own = format!("{}://{}", conn.scheme.as_str(), requested_host(conn, head));
        let allowed = match (Origin::parse(sent), Origin::parse(&own)) {
            (Some(origin), Some(own)) => origin == own || self.trusts(&origin),
            _ => false,
        };
        match allowed {
            true => Ok(()),
            false => Err(format!(
                "CSRF Failed: {what} {} is not {own} nor in CSRF_TRUSTED_ORIGINS",
                shown(sent)
            )),
        }
    }

    fn trusts(&self, origin: &Origin) -> bool {
        self.trusted.iter().any(|trusted| {
            let host = match trusted.host.strip_prefix('*') {
                Some(suffix) => origin.host.ends_with(suffix),
                None => origin.host == trusted.host,
            };
            host && trusted.scheme == origin.scheme && trusted.port == origin.port
        })
    }
}

impl Origin {
    /// The origin of a URL or of an `Origin` value (`null` has none).
    fn parse(text: &str) -> Option<Origin> {
        let (scheme, rest) = text.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port.parse().ok()?)),
            _ => (authority.as_str(), None),
        };
        let default = match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return None;
        }
        Some(Origin {
            port: port.filter(|p| Some(*p) != default),
            host: host.to_owned(),
            scheme,
        })
    }
}

/// A header value cut short for the 403's body.
fn shown(text: &str) -> &str {
    match text.char_indices().nth(100) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::Scheme;

    fn request(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder()
            .method(method)
            .uri("/x")
            .header("host", "api.example.com");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn check(method: &str, headers: &[(&str, &str)]) -> Result<(), String> {
        let conn = ConnInfo::new(None, None, Scheme::Https, None);
        let trusted = vec![
            "https://*.example.org".into(),
            "http://localhost:3000".into(),
        ];
        OriginCheck::new(trusted)
            .unwrap()
            .check(&conn, &request(method, headers))
    }

    #[test]
    fn safe_methods_pass_and_unsafe_ones_need_this_sites_origin() {
        assert!(check("GET", &[("origin", "https://evil.test")]).is_ok());
        assert!(check("POST", &[("origin", "https://api.example.com")]).is_ok());
        assert!(check("POST", &[("origin", "https://API.example.com:443")]).is_ok());
        let err = check("POST", &[("origin", "https://evil.test")]).unwrap_err();
        assert!(err.contains("Origin https://evil.test"), "{err}");
        // Another scheme is another origin.
        assert!(check("DELETE", &[("origin", "http://api.example.com")]).is_err());
        assert!(check("POST", &[("origin", "null")]).is_err());
        // A WebSocket handshake is a GET that needs the check.
        let handshake = [("upgrade", "websocket"), ("origin", "https://evil.test")];
        assert!(check("GET", &handshake).is_err());
        assert!(check("GET", &[("upgrade", "websocket")]).is_err());
    }

    #[test]
    fn the_referer_counts_when_there_is_no_origin() {
        let own = [("referer", "https://api.example.com/page?q=1")];
        assert!(check("PUT", &own).is_ok());
        assert!(check("PUT", &[("referer", "https://evil.test/api.example.com")]).is_err());
    }

    #[test]
    fn trusted_origins_and_their_wildcards() {
        assert!(check("POST", &[("origin", "https://app.example.org")]).is_ok());
        assert!(check("POST", &[("origin", "http://app.example.org")]).is_err());
        assert!(check("POST", &[("origin", "https://example.org.evil.test")]).is_err());
        assert!(check("POST", &[("origin", "http://localhost:3000")]).is_ok());
        assert!(check("POST", &[("origin", "http://localhost:3001")]).is_err());
    }

    #[test]
    fn without_origin_or_referer_only_the_fetch_metadata_vouches() {
        assert!(check("POST", &[("sec-fetch-site", "same-origin")]).is_ok());
        assert!(check("POST", &[("sec-fetch-site", "cross-site")]).is_err());
        let err = check("POST", &[]).unwrap_err();
        assert!(err.contains("needs an Origin or Referer"), "{err}");
    }
}
