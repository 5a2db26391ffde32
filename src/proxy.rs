//! Trusting a reverse proxy's view of the client: `X-Forwarded-For/Proto/Host` and
//! `Forwarded` (RFC 7239), honoured only from the addresses in
//! `--forwarded-allow-ips`.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use http::{header, HeaderMap, HeaderValue};
use ipnet::IpNet;

use crate::asgi::ConnInfo;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    everyone: bool,
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses and networks, or `*`.
    fn from_str(list: &str) -> Result<Self, String> {
        let mut trusted = TrustedProxies::default();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item == "*" {
                trusted.everyone = true;
                continue;
            }
            let net = IpNet::from_str(item)
                .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or network"))?;
            trusted.nets.push(net);
        }
        Ok(trusted)
    }
}

/// What the proxy said about the original request.
#[derive(Debug, Default, PartialEq)]
struct Forwarded {
    client: Option<IpAddr>,
    proto: Option<String>,
    host: Option<String>,
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && !self.everyone
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.everyone || self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The connection as the proxy saw it, if the peer is trusted and said anything;
    /// `X-Forwarded-Host` / `Forwarded: host=` replace the `Host` header.
    pub fn apply(&self, conn: &ConnInfo, headers: &mut HeaderMap) -> Option<ConnInfo> {
        let peer = conn.client?.ip();
        if !self.trusts(peer) {
            return None;
        }
        let said = self.read(headers);
        if said == Forwarded::default() {
            return None;
        }
        if let Some(host) = said.host.and_then(|h| HeaderValue::from_str(&h).ok()) {
            headers.insert(header::HOST, host);
        }
        let scheme = match said.proto.as_deref() {
            Some("https") | Some("wss") => "https",
            Some("http") | Some("ws") => "http",
            _ => conn.scheme,
        };
        Some(ConnInfo::new(
            said.client.map(|ip| SocketAddr::new(ip, 0)).or(conn.client),
            conn.server,
            scheme,
            conn.tls.clone(),
        ))
    }

    fn read(&self, headers: &HeaderMap) -> Forwarded {
        if let Some(forwarded) = header_text(headers, "forwarded") {
            return self.read_rfc7239(&forwarded);
        }
        let chain = header_text(headers, "x-forwarded-for").unwrap_or_default();
        let hops: Vec<IpAddr> = chain
            .split(',')
            .filter_map(|h| parse_ip(h.trim()))
            .collect();
        Forwarded {
            client: self.original_client(&hops),
            proto: header_text(headers, "x-forwarded-proto")
                .map(|p| last_item(&p).to_ascii_lowercase()),
            host: header_text(headers, "x-forwarded-host").map(|h| last_item(&h).to_owned()),
        }
    }

    /// RFC 7239: `for=`, `proto=` and `host=` of the element the nearest untrusted hop made.
    fn read_rfc7239(&self, value: &str) -> Forwarded {
        let elements: Vec<Vec<(String, String)>> = value
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| {
                        (
                            k.trim().to_ascii_lowercase(),
                            v.trim().trim_matches('"').to_owned(),
                        )
                    })
                    .collect()
            })
            .collect();
        let get = |element: &[(String, String)], key: &str| {
            element
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let hops: Vec<IpAddr> = elements
            .iter()
            .filter_map(|e| get(e, "for"))
            .filter_map(|f| parse_ip(&f))
            .collect();
        let last = elements.last().map(Vec::as_slice).unwrap_or_default();
        Forwarded {
            client: self.original_client(&hops),
            proto: get(last, "proto").map(|p| p.to_ascii_lowercase()),
            host: get(last, "host"),
        }
    }

    /// Walking back from the nearest hop, the first address that is not a trusted proxy.
    fn original_client(&self, hops: &[IpAddr]) -> Option<IpAddr> {
        hops.iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .or(hops.first())
            .copied()
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn last_item(list: &str) -> &str {
    list.rsplit(',').next().unwrap_or(list).trim()
}

/// `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::1`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    IpAddr::from_str(text)
        .ok()
        .or_else(|| SocketAddr::from_str(text).ok().map(|a| a.ip()))
        .or_else(|| IpAddr::from_str(text.trim_start_matches('[').trim_end_matches(']')).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(peer: &str) -> ConnInfo {
        let peer = SocketAddr::new(peer.parse().unwrap(), 5000);
        ConnInfo::new(Some(peer), None, "http", None)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn untrusted_peers_are_ignored() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let mut map = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert!(trusted.apply(&conn("192.168.1.1"), &mut map).is_none());
    }

    #[test]
    fn x_forwarded_headers_from_a_trusted_proxy() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        let mut map = headers(&[
            ("x-forwarded-for", "203.0.113.7, 10.1.1.1"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "example.com"),
        ]);
        let seen = trusted.apply(&conn("127.0.0.1"), &mut map).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "203.0.113.7");
        assert_eq!(seen.scheme, "https");
        assert_eq!(map[header::HOST], "example.com");
    }

    #[test]
    fn rfc7239_forwarded() {
        let trusted: TrustedProxies = "*".parse().unwrap();
        let mut map = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https;host=api.example",
        )]);
        let seen = trusted.apply(&conn("10.0.0.1"), &mut map).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "2001:db8::1");
        assert_eq!(seen.scheme, "https");
        assert_eq!(map[header::HOST], "api.example");
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("nonsense".parse::<TrustedProxies>().is_err());
    }
}
