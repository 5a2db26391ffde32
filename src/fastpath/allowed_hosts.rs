//! Django's `ALLOWED_HOSTS` applied to Bolt routes, in Rust, by Django's rules
//! (`HttpRequest.get_host`, `split_domain_port`, `validate_host`): the host is
//! lower-cased and must match Django's host pattern; its port and one trailing dot are
//! dropped; a pattern `*` matches every host, `.example.com` matches `example.com` and
//! its subdomains, any other pattern matches itself. Python hands over the list at
//! start-up (with `DEBUG` and an empty list, Django's localhost variants).

use std::borrow::Cow;
use std::sync::Arc;

use http::{header, Response, StatusCode};

use crate::body::ResponseBody;
use crate::conn::{ConnInfo, Scheme};
use crate::notice::Notice;
use crate::python::BridgeInner;

use crate::errors;

/// Characters of a refused host echoed in the answer and the log.
const SHOWN_CHARS: usize = 100;

/// The hosts Bolt routes answer for.
#[derive(Clone, Debug)]
pub struct AllowedHosts {
    /// Lower-cased, as Django compares them.
    patterns: Vec<String>,
}

/// Why a host was refused.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// Well formed, and in none of the patterns: the domain.
    NotAllowed(String),
    /// Not a host name or an IPv6 literal (RFC 1034/1035).
    Malformed,
}

impl AllowedHosts {
    pub fn new(patterns: Vec<String>) -> Self {
        AllowedHosts {
            patterns: patterns.iter().map(|p| p.to_lowercase()).collect(),
        }
    }

    /// The 400 for a request whose host is not allowed (logged as Django logs a
    /// `DisallowedHost`, at most once a second); `None` lets the request through.
    pub fn refusal(
        &self,
        bridge: &Arc<BridgeInner>,
        conn: &ConnInfo,
        head: &http::request::Parts,
    ) -> Option<Response<ResponseBody>> {
        let host = requested_host(conn, head);
        let refused = self.allows(&host).err()?;
        let shown = shown(&host);
        let (detail, log) = match refused {
            Refused::NotAllowed(domain) => (
                format!("The host {shown:?} is not allowed (ALLOWED_HOSTS)"),
                format!(
                    "Invalid HTTP_HOST header: {shown:?}. You may need to add {:?} to ALLOWED_HOSTS.",
                    self::shown(&domain)
                ),
            ),
            Refused::Malformed => (
                format!("The host {shown:?} is not a valid host name"),
                format!(
                    "Invalid HTTP_HOST header: {shown:?}. The domain name provided is not \
                     valid according to RFC 1034/1035."
                ),
            ),
        };
        // A flood of bad hosts must not become a flood of Python log calls.
        static REFUSED: Notice = Notice::new();
        if let Some(held) = REFUSED.admit() {
            let log = match held {
                0 => log,
                held => format!("{log} ({held} more refused hosts in the last seconds)"),
            };
            bridge.submit(Box::new(move |py, _| {
                crate::python::log(py, crate::python::Level::Warning, &log, None)
            }));
        }
        Some(errors::detail(StatusCode::BAD_REQUEST, &detail))
    }

    /// Django's `get_host` check of a raw host (`Host`, with its port).
    pub fn allows(&self, host: &str) -> Result<(), Refused> {
        let domain = split_domain(host).ok_or(Refused::Malformed)?;
        // Patterns are lower-case; the domain is ASCII, lower-cased by the comparison.
        let ends_with = |suffix: &str| {
            domain.len() >= suffix.len()
                && domain.as_bytes()[domain.len() - suffix.len()..]
                    .eq_ignore_ascii_case(suffix.as_bytes())
        };
        let matches = |pattern: &String| match pattern.as_str() {
            "*" => true,
            "" => false,
            p if p.starts_with('.') => ends_with(p) || domain.eq_ignore_ascii_case(&p[1..]),
            p => domain.eq_ignore_ascii_case(p),
        };
        match self.patterns.iter().any(matches) {
            true => Ok(()),
            false => Err(Refused::NotAllowed(domain.to_ascii_lowercase())),
        }
    }
}

/// `split_domain_port`'s domain (not yet lower-cased), without its port and one
/// trailing dot; `None` when the host does not match Django's `host_validation_re`,
/// `^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$` of the lower-cased host,
/// or leaves an empty domain. By hand: no allocation on every request.
fn split_domain(host: &str) -> Option<&str> {
    let bytes = host.as_bytes();
    let end = match bytes.first() {
        Some(b'[') => {
            let close = bytes.iter().position(|&b| b == b']')?;
            let inner = &bytes[1..close];
            // Hex digits, then a colon, then at least one of hex digits, dots and colons.
            let colon = inner.iter().position(|b| !b.is_ascii_hexdigit())?;
            let rest = &inner[colon + 1..];
            let v6 = |b: &u8| b.is_ascii_hexdigit() || matches!(b, b'.' | b':');
            (inner[colon] == b':' && !rest.is_empty() && rest.iter().all(v6))
                .then_some(close + 1)?
        }
        _ => {
            let name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
            bytes.iter().position(|b| !name(b)).unwrap_or(bytes.len())
        }
    };
    let port_ok = match &bytes[end..] {
        [] => true,
        [b':', digits @ ..] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let domain = &host[..end];
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    (port_ok && !domain.is_empty()).then_some(domain)
}

/// The host Bolt sees (`request.host`): the target's authority (HTTP/2 and HTTP/3's
/// `:authority`, an absolute-form target), else `Host`; without either, the server's
/// address and port, as Django makes it from `SERVER_NAME` and `SERVER_PORT`. Bytes
/// that are not text stay in (as Latin-1) so that the check refuses them.
pub fn requested_host<'h>(conn: &ConnInfo, head: &'h http::request::Parts) -> Cow<'h, str> {
    if let Some(authority) = head.uri.authority() {
        return Cow::Borrowed(authority.as_str());
    }
    if let Some(host) = head.headers.get(header::HOST) {
        return match host.to_str() {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(host.as_bytes().iter().map(|&b| char::from(b)).collect()),
        };
    }
    let default_port = match conn.scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    Cow::Owned(match conn.server {
        Some(server) if server.port() == default_port => server.ip().to_string(),
        Some(server) => format!("{}:{}", server.ip(), server.port()),
        None => "unknown:0".to_owned(),
    })
}

/// `text` cut to [`SHOWN_CHARS`] characters.
fn shown(text: &str) -> &str {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(patterns: &[&str]) -> AllowedHosts {
        AllowedHosts::new(patterns.iter().map(|p| p.to_string()).collect())
    }

    fn allowed(list: &AllowedHosts, host: &str) -> bool {
        list.allows(host).is_ok()
    }

    #[test]
    fn patterns_as_django_reads_them() {
        let list = hosts(&[".Example.com", "api.test", "[::1]", "127.0.0.1"]);
        for good in [
            "example.com",
            "EXAMPLE.com:8000",
            "www.example.com",
            "a.b.example.com.",
            "api.test:443",
            "api.test.",
            "[::1]:8000",
            "127.0.0.1",
        ] {
            assert!(allowed(&list, good), "{good}");
        }
        for bad in [
            "evil.example",
            "example.com.evil.example",
            "badexample.com",
            "www.api.test",
            "[::2]",
            "127.0.0.2",
        ] {
            let domain = split_domain(bad).unwrap().to_ascii_lowercase();
            assert_eq!(list.allows(bad), Err(Refused::NotAllowed(domain)), "{bad}");
        }
    }

    #[test]
    fn malformed_hosts_are_refused_even_with_a_star() {
        let list = hosts(&["*"]);
        assert!(allowed(&list, "anything.example:1"));
        for bad in [
            "",
            ".",
            "exa mple.com",
            "example.com:port",
            "example.com:",
            "ex@mple.com",
            "[::1",
            "::1",
            "[1.2.3.4]",
            "caf\u{e9}.example",
            "example.com\n",
            "user@example.com",
        ] {
            assert_eq!(list.allows(bad), Err(Refused::Malformed), "{bad:?}");
        }
    }

    /// Django's own pattern, as the oracle the hand-written matcher is checked against.
    fn django_split(pattern: &regex::Regex, host: &str) -> Option<String> {
        let lower = host.to_lowercase();
        let domain = pattern.captures(&lower)?.get(1)?.as_str().to_owned();
        let domain = domain.strip_suffix('.').unwrap_or(&domain).to_owned();
        (!domain.is_empty()).then_some(domain)
    }

    #[test]
    fn the_matcher_agrees_with_django_s_pattern() {
        let pattern =
            regex::Regex::new(r"^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?$").unwrap();
        let alphabet = [
            "a", "F", "z", "0", "9", ".", "-", ":", "[", "]", "@", " ", "_", "\u{e9}",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let fixed = [
            "[::1]:80", "[a.:b]", "[:]", "[::]", "[0:.]", "[F:f]:0", "[:a]x", "a..", "-",
        ];
        for host in fixed {
            let ours = split_domain(host).map(str::to_ascii_lowercase);
            assert_eq!(ours, django_split(&pattern, host), "{host:?}");
        }
        for _ in 0..200_000 {
            let len = next() % 12;
            let host: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let ours = split_domain(&host).map(str::to_ascii_lowercase);
            assert_eq!(ours, django_split(&pattern, &host), "{host:?}");
        }
    }

    #[test]
    fn an_empty_list_allows_nothing() {
        assert!(!allowed(&hosts(&[]), "localhost"));
        assert!(!allowed(&hosts(&[""]), "localhost"));
    }

    #[test]
    fn the_host_comes_from_the_authority_then_host_then_the_server() {
        let conn = ConnInfo::new(None, "10.0.0.1:8000".parse().ok(), Scheme::Http, None);
        let head = |target: &str, host: Option<&str>| {
            let mut builder = http::Request::builder().uri(target);
            if let Some(host) = host {
                builder = builder.header("host", host);
            }
            builder.body(()).unwrap().into_parts().0
        };
        let absolute = head("http://evil.example/x", Some("api.test"));
        assert_eq!(requested_host(&conn, &absolute), "evil.example");
        assert_eq!(
            requested_host(&conn, &head("/x", Some("api.test"))),
            "api.test"
        );
        assert_eq!(requested_host(&conn, &head("/x", None)), "10.0.0.1:8000");
    }
}
