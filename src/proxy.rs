//! Trusting a reverse proxy's view of the client, from the addresses in
//! `--forwarded-allow-ips` only, and from one header family only (`--proxy-headers`):
//! `X-Forwarded-For/Proto[/Host]` or RFC 7239 `Forwarded`. The family the proxy does not
//! set is ignored, since a proxy passes a client's own copy of it through untouched.
//! The host is taken from the proxy only when asked (`--forwarded-host`).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use http::uri::{Authority, Uri};
use http::{header, HeaderMap, HeaderValue};
use ipnet::IpNet;

use crate::conn::{ConnInfo, Scheme};

/// Which headers the trusted proxy sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProxyHeaders {
    /// `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`.
    #[default]
    XForwarded,
    /// RFC 7239 `Forwarded: for=...;proto=...;host=...`.
    Forwarded,
}

impl FromStr for ProxyHeaders {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-forwarded" => Ok(ProxyHeaders::XForwarded),
            "forwarded" => Ok(ProxyHeaders::Forwarded),
            other => Err(format!("{other:?} is not x-forwarded or forwarded")),
        }
    }
}

/// The proxies whose forwarding headers are believed, and which of their headers.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    everyone: bool,
    headers: ProxyHeaders,
    /// `X-Forwarded-Host` / `Forwarded: host=` replace the request's host.
    replace_host: bool,
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

/// One hop of a forwarding chain: who it came from, as the proxy wrote it, and what
/// the proxy said about that hop's request.
#[derive(Debug, Default)]
struct Hop {
    from: String,
    proto: Option<String>,
    host: Option<String>,
}

impl TrustedProxies {
    /// The same proxies, read through `headers`, taking the host from them if
    /// `replace_host`.
    pub fn reading(self, headers: ProxyHeaders, replace_host: bool) -> Self {
        TrustedProxies {
            headers,
            replace_host,
            ..self
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && !self.everyone
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.everyone || self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The connection as the proxy saw it, if the peer is trusted and said anything.
    /// With `replace_host`, the forwarded host replaces `Host` (and the target's
    /// authority, which would otherwise win over it).
    pub fn apply(&self, conn: &ConnInfo, head: &mut http::request::Parts) -> Option<ConnInfo> {
        let peer = conn.client?.ip();
        if !self.trusts(peer) {
            return None;
        }
        let said = self.read(&head.headers);
        if said == Forwarded::default() {
            return None;
        }
        if let Some(host) = said.host.as_deref().filter(|_| self.replace_host) {
            replace_host(head, host);
        }
        let scheme = match said.proto.as_deref() {
            Some("https") | Some("wss") => Scheme::Https,
            Some("http") | Some("ws") => Scheme::Http,
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
        match self.headers {
            ProxyHeaders::XForwarded => self.read_x_forwarded(headers),
            ProxyHeaders::Forwarded => {
                let hops = header_text(headers, "forwarded")
                    .map(|value| rfc7239_hops(&value))
                    .unwrap_or_default();
                match self.client_hop(&hops) {
                    Some(hop) => Forwarded {
                        client: parse_ip(&hop.from),
                        proto: hop.proto.as_ref().map(|p| p.to_ascii_lowercase()),
                        host: hop.host.clone(),
                    },
                    None => Forwarded::default(),
                }
            }
        }
    }

    fn read_x_forwarded(&self, headers: &HeaderMap) -> Forwarded {
        let chain = header_text(headers, "x-forwarded-for").unwrap_or_default();
        let hops: Vec<Hop> = chain
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|from| Hop {
                from: from.to_owned(),
                ..Hop::default()
            })
            .collect();
        Forwarded {
            client: self.client_hop(&hops).and_then(|hop| parse_ip(&hop.from)),
            proto: header_text(headers, "x-forwarded-proto")
                .map(|p| last_item(&p).to_ascii_lowercase())
                .filter(|p| !p.is_empty()),
            host: header_text(headers, "x-forwarded-host")
                .map(|h| last_item(&h).to_owned())
                .filter(|h| !h.is_empty()),
        }
    }

    /// The hop the client made: walking back from the nearest hop (the only ones a
    /// client cannot have written), the first that is not a trusted proxy; the
    /// farthest when every hop is trusted. A hop that is not an address (`unknown`,
    /// an obfuscated name) ends the walk too: who is behind it is not known.
    fn client_hop<'h>(&self, hops: &'h [Hop]) -> Option<&'h Hop> {
        hops.iter()
            .rev()
            .find(|hop| parse_ip(&hop.from).is_none_or(|ip| !self.trusts(ip)))
            .or(hops.first())
    }
}

/// Point the request at `host`: its `Host` header and, when the target carries one
/// (HTTP/2's `:authority`, an absolute-form target), its authority. A value that is
/// not an authority is ignored.
fn replace_host(head: &mut http::request::Parts, host: &str) {
    let (Ok(authority), Ok(value)) = (Authority::from_str(host), HeaderValue::from_str(host))
    else {
        return;
    };
    if head.uri.authority().is_some() {
        let mut parts = std::mem::take(&mut head.uri).into_parts();
        parts.authority = Some(authority);
        head.uri = Uri::from_parts(parts).unwrap_or_default();
    }
    head.headers.insert(header::HOST, value);
}

/// Every element of a `Forwarded` value, in order: its `for=`, `proto=` and `host=`.
fn rfc7239_hops(value: &str) -> Vec<Hop> {
    split_unquoted(value, ',')
        .into_iter()
        .map(|element| {
            let mut hop = Hop::default();
            for pair in split_unquoted(element, ';') {
                let Some((key, raw)) = pair.split_once('=') else {
                    continue;
                };
                let text = unquote(raw.trim());
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => hop.from = text,
                    "proto" => hop.proto = Some(text),
                    "host" => hop.host = Some(text),
                    _ => {}
                }
            }
            hop
        })
        .collect()
}

/// `text` split at each `separator` that is not inside a quoted-string.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// An RFC 9110 token as is, or a quoted-string's content with its escapes undone.
fn unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|_| value.len() >= 2)
    else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => chars.next().unwrap_or('\\'),
            c => c,
        });
    }
    out
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

/// `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `[::1]`, `::1`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    IpAddr::from_str(text)
        .ok()
        .or_else(|| SocketAddr::from_str(text).ok().map(|a| a.ip()))
        .or_else(|| {
            let bracketed = text.strip_prefix('[')?.strip_suffix(']')?;
            IpAddr::from_str(bracketed).ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(peer: &str) -> ConnInfo {
        let peer = SocketAddr::new(peer.parse().unwrap(), 5000);
        ConnInfo::new(Some(peer), None, Scheme::Http, None)
    }

    fn request(target: &str, pairs: &[(&'static str, &'static str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().uri(target);
        for (name, value) in pairs {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn proxies(list: &str, headers: ProxyHeaders, host: bool) -> TrustedProxies {
        list.parse::<TrustedProxies>()
            .unwrap()
            .reading(headers, host)
    }

    fn client_of(seen: Option<ConnInfo>) -> String {
        seen.unwrap().client.unwrap().ip().to_string()
    }

    #[test]
    fn untrusted_peers_are_ignored() {
        let trusted = proxies("10.0.0.0/8", ProxyHeaders::XForwarded, true);
        let mut head = request("/", &[("x-forwarded-for", "1.2.3.4")]);
        assert!(trusted.apply(&conn("192.168.1.1"), &mut head).is_none());
    }

    #[test]
    fn x_forwarded_headers_from_a_trusted_proxy() {
        let trusted = proxies("127.0.0.1, 10.0.0.0/8", ProxyHeaders::XForwarded, true);
        let mut head = request(
            "/",
            &[
                ("host", "internal:8000"),
                ("x-forwarded-for", "203.0.113.7, 10.1.1.1"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "example.com"),
            ],
        );
        let seen = trusted.apply(&conn("127.0.0.1"), &mut head).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "203.0.113.7");
        assert_eq!(seen.scheme, Scheme::Https);
        assert_eq!(head.headers[header::HOST], "example.com");
    }

    #[test]
    fn the_host_is_kept_unless_asked_for() {
        let trusted = proxies("127.0.0.1", ProxyHeaders::XForwarded, false);
        let pairs = [
            ("host", "api.example"),
            ("x-forwarded-host", "evil.example"),
        ];
        let mut head = request("/", &pairs);
        head.headers
            .insert("x-forwarded-for", "1.2.3.4".parse().unwrap());
        assert_eq!(
            client_of(trusted.apply(&conn("127.0.0.1"), &mut head)),
            "1.2.3.4"
        );
        assert_eq!(head.headers[header::HOST], "api.example");
    }

    #[test]
    fn a_forwarded_host_replaces_the_authority_of_the_target() {
        let trusted = proxies("127.0.0.1", ProxyHeaders::XForwarded, true);
        let mut head = request(
            "https://internal:8443/a?b=1",
            &[("x-forwarded-host", "shop.example")],
        );
        trusted.apply(&conn("127.0.0.1"), &mut head).unwrap();
        assert_eq!(head.uri.to_string(), "https://shop.example/a?b=1");
        assert_eq!(head.headers[header::HOST], "shop.example");
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop() {
        let trusted = proxies("127.0.0.1, 10.0.0.0/8", ProxyHeaders::XForwarded, false);
        // A client that sends its own X-Forwarded-For gets its claims to the left.
        let mut head = request(
            "/",
            &[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2")],
        );
        assert_eq!(
            client_of(trusted.apply(&conn("127.0.0.1"), &mut head)),
            "203.0.113.7"
        );
        let mut all_trusted = request("/", &[("x-forwarded-for", "10.0.0.9, 10.0.0.2")]);
        let seen = trusted.apply(&conn("127.0.0.1"), &mut all_trusted);
        assert_eq!(client_of(seen), "10.0.0.9");
        let mut unknown = request("/", &[("x-forwarded-for", "6.6.6.6, unknown, 10.0.0.2")]);
        let seen = trusted.apply(&conn("127.0.0.1"), &mut unknown);
        assert!(
            seen.is_none(),
            "no client past an unknown hop: the peer stays"
        );
    }

    #[test]
    fn the_family_not_chosen_is_ignored() {
        let x_forwarded = proxies("127.0.0.1", ProxyHeaders::XForwarded, true);
        let spoofed = [
            ("forwarded", "for=6.6.6.6;proto=https;host=evil.example"),
            ("x-forwarded-for", "203.0.113.7"),
            ("host", "api.example"),
        ];
        let mut head = request("/", &spoofed);
        let seen = x_forwarded.apply(&conn("127.0.0.1"), &mut head).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "203.0.113.7");
        assert_eq!(seen.scheme, Scheme::Http);
        assert_eq!(head.headers[header::HOST], "api.example");

        let forwarded = proxies("127.0.0.1", ProxyHeaders::Forwarded, true);
        let spoofed = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-host", "evil.example"),
        ];
        let mut head = request("/", &spoofed);
        assert!(forwarded.apply(&conn("127.0.0.1"), &mut head).is_none());
    }

    #[test]
    fn rfc7239_forwarded() {
        let trusted = proxies("*", ProxyHeaders::Forwarded, true);
        let mut head = request(
            "/",
            &[(
                "forwarded",
                "for=\"[2001:db8::1]:4711\";proto=https;host=api.example",
            )],
        );
        let seen = trusted.apply(&conn("10.0.0.1"), &mut head).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "2001:db8::1");
        assert_eq!(seen.scheme, Scheme::Https);
        assert_eq!(head.headers[header::HOST], "api.example");
    }

    #[test]
    fn rfc7239_reads_the_element_of_the_client_hop() {
        let trusted = proxies("10.0.0.0/8", ProxyHeaders::Forwarded, true);
        let mut head = request(
            "/",
            &[
                ("forwarded", "for=6.6.6.6;host=evil.example"),
                (
                    "forwarded",
                    "for=203.0.113.7;proto=https;host=\"shop.example\", for=10.0.0.3;proto=http",
                ),
            ],
        );
        let seen = trusted.apply(&conn("10.0.0.1"), &mut head).unwrap();
        assert_eq!(seen.client.unwrap().ip().to_string(), "203.0.113.7");
        assert_eq!(seen.scheme, Scheme::Https);
        assert_eq!(head.headers[header::HOST], "shop.example");
    }

    #[test]
    fn quoted_strings_keep_their_separators() {
        let hops = rfc7239_hops("for=\"a,b;c\";host=x, for=\"[::1]\"");
        assert_eq!(hops.len(), 2);
        assert_eq!(hops[0].from, "a,b;c");
        assert_eq!(hops[0].host.as_deref(), Some("x"));
        assert_eq!(parse_ip(&hops[1].from), "::1".parse().ok());
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("nonsense".parse::<TrustedProxies>().is_err());
        assert!("xff".parse::<ProxyHeaders>().is_err());
        assert_eq!("Forwarded".parse(), Ok(ProxyHeaders::Forwarded));
    }
}
