//! Rate limits for routes declared with `@rate_limit`: a token bucket per client,
//! checked in Rust before Python: before auth for a client told apart by address or
//! header, after it for one told apart by user or API key. By default each server
//! process keeps its own buckets here (with `--processes N` a client may get N times
//! the rate: `memory.rs`); with a Redis backend the processes share them (`redis.rs`).
//!
//! A bucket holds up to `burst` tokens and gains `rps` per second; a request takes one,
//! and one that finds none is answered 429 with `Retry-After`. This module tells clients
//! apart (the key) and answers; the two stores keep the buckets.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, Response, StatusCode};

use super::auth::Identity;
use super::description::RateLimitDescription;
use crate::body::ResponseBody;
use crate::client::{network, IPV6_PREFIX};
use crate::conn::ConnInfo;
use crate::errors;

mod memory;
mod redis;
pub use redis::Pending;

/// How long a request waits for Redis at most, unless the route says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);

/// Whose requests share a bucket.
#[derive(Debug)]
enum KeyKind {
    /// The client's IP address (after trusted proxy headers).
    Ip,
    /// The value of this header; requests without it are keyed by IP.
    Header(HeaderName),
    /// The authenticated user (`sub`); requests without one are keyed by IP.
    User,
    /// The API key that authenticated the request; requests without one are keyed
    /// by IP.
    ApiKey,
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Value(Box<[u8]>),
    User(Box<str>),
    Credential(Arc<str>),
}

/// One route's limit and its buckets.
#[derive(Debug)]
pub struct RateLimit {
    key: KeyKind,
    /// IPv6 addresses are keyed by their first `ipv6_prefix` bits.
    ipv6_prefix: u8,
    store: Store,
}

/// Where a route's buckets are kept.
#[derive(Debug)]
enum Store {
    /// In this process.
    Memory(memory::Buckets),
    /// In Redis, shared with other processes and machines.
    Shared(Arc<redis::Shared>),
}

/// Why a request gets no token.
#[derive(Debug, PartialEq)]
enum Refused {
    /// Its bucket is empty until then.
    Empty(Duration),
    /// Its client is new and every bucket is busy; one refills by then.
    Full(Duration),
}

impl RateLimit {
    /// Compile the route's `rate_limit` description: `rps` (> 0), `burst` (>= 1),
    /// `key` (`"ip"`, `"user"`, `"api_key"` or `"header:<name>"`), `ipv6_prefix` (1 to
    /// 128, default 64) and `max_clients` (the buckets kept, default 65536). With a
    /// `backend` (a Redis URL) the buckets are kept there, namespaced by the route's
    /// `name` and `path`, with the `failure` policy (`"open"`, the default, or
    /// `"closed"`) and `timeout` (seconds, default 0.1) of each round trip.
    pub fn from_description(
        desc: RateLimitDescription,
        name: &str,
        path: &str,
    ) -> Result<RateLimit, String> {
        let positive = |value: f64, key: &str| match value.is_finite() && value > 0.0 {
            true => Ok(value),
            false => Err(format!("rate_limit {key} must be a positive number")),
        };
        let key = desc.key.unwrap_or_else(|| "ip".into());
        let key = if key == "ip" {
            KeyKind::Ip
        } else if key == "user" {
            KeyKind::User
        } else if key == "api_key" {
            KeyKind::ApiKey
        } else if let Some(name) = key.strip_prefix("header:") {
            KeyKind::Header(
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| format!("rate_limit key {key:?} names no valid header"))?,
            )
        } else {
            return Err(format!(
                "rate_limit key must be \"ip\", \"user\", \"api_key\" or \"header:<name>\", \
                 not {key:?}"
            ));
        };
        let ipv6_prefix = match desc.ipv6_prefix {
            Some(bits) if !(1..=128).contains(&bits) => {
                return Err("rate_limit ipv6_prefix must be 1 to 128".into())
            }
            Some(bits) => bits,
            None => IPV6_PREFIX,
        };
        let max_clients = match desc.max_clients {
            Some(0) => return Err("rate_limit max_clients must be a whole number >= 1".into()),
            Some(n) => n,
            None => memory::MAX_KEYS,
        };
        let rps = positive(desc.rps, "rps")?;
        let burst = positive(desc.burst, "burst")?.max(1.0);
        let store = match desc.backend {
            Some(url) => {
                let fail_closed = match desc.failure.as_deref() {
                    None | Some("open") => false,
                    Some("closed") => true,
                    Some(other) => {
                        return Err(format!(
                            "rate_limit failure must be \"open\" or \"closed\", not {other:?}"
                        ))
                    }
                };
                let timeout = match desc.timeout {
                    None => DEFAULT_TIMEOUT,
                    Some(t) if t.is_finite() && t > 0.0 && t <= 60.0 => Duration::from_secs_f64(t),
                    Some(_) => return Err("rate_limit timeout must be 0 to 60 seconds".into()),
                };
                let shared =
                    redis::Shared::new(&url, timeout, fail_closed, name, path, rps, burst)?;
                Store::Shared(Arc::new(shared))
            }
            None => Store::Memory(memory::Buckets::new(rps, burst, max_clients, path)),
        };
        Ok(RateLimit {
            key,
            ipv6_prefix,
            store,
        })
    }

    /// A limit of `rps` and `burst` in this process, told apart by `key`.
    #[cfg(test)]
    fn new(rps: f64, burst: f64, key: KeyKind) -> RateLimit {
        RateLimit {
            key,
            ipv6_prefix: IPV6_PREFIX,
            store: Store::Memory(memory::Buckets::new(rps, burst, memory::MAX_KEYS, "/")),
        }
    }

    /// Whether clients are told apart by who authentication found: the limit is
    /// checked after auth, with the request's identity.
    pub fn after_auth(&self) -> bool {
        matches!(self.key, KeyKind::User | KeyKind::ApiKey)
    }

    /// Take a token for this request's client, or answer 429. A limit kept in Redis
    /// answers later: its check is returned, to be awaited before the route goes on.
    pub fn check(
        &self,
        conn: &ConnInfo,
        headers: &HeaderMap,
        identity: Option<&Identity>,
    ) -> Result<Option<Pending>, Box<Response<ResponseBody>>> {
        let key = self.key_of(conn, headers, identity);
        match &self.store {
            Store::Memory(buckets) => buckets
                .take(key, Instant::now())
                .map(|()| None)
                .map_err(|refused| Box::new(too_many_requests(refused))),
            Store::Shared(shared) => Ok(Some(shared.pending(&key))),
        }
    }

    fn key_of(&self, conn: &ConnInfo, headers: &HeaderMap, identity: Option<&Identity>) -> Key {
        match &self.key {
            KeyKind::Header(name) => {
                if let Some(value) = headers.get(name) {
                    return Key::Value(value.as_bytes().into());
                }
            }
            KeyKind::User => {
                if let Some(user) = identity.and_then(|found| found.user_id.as_deref()) {
                    return Key::User(user.into());
                }
            }
            KeyKind::ApiKey => {
                if let Some(key) = identity.and_then(|found| found.api_key.as_ref()) {
                    return Key::Credential(key.clone());
                }
            }
            KeyKind::Ip => {}
        }
        let ip = conn
            .client
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.ip());
        Key::Ip(network(ip, self.ipv6_prefix))
    }
}

/// 429 with `Retry-After` in whole seconds (at least 1).
fn too_many_requests(refused: Refused) -> Response<ResponseBody> {
    let (wait, reason) = match refused {
        Refused::Empty(wait) => (wait, "Rate limit exceeded"),
        Refused::Full(wait) => (wait, "Too many clients are being rate limited at once"),
    };
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let message = format!("{reason}; retry in {seconds} s");
    errors::retry_after(StatusCode::TOO_MANY_REQUESTS, &message, seconds)
}

#[cfg(test)]
mod tests {
    use http::{header, HeaderValue};

    use super::*;
    use crate::conn::Scheme;

    fn ip(text: &str) -> Key {
        Key::Ip(text.parse().unwrap())
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_network() {
        let mut limit = RateLimit::new(1.0, 1.0, KeyKind::Ip);
        let conn = |addr: &str| ConnInfo::new(addr.parse().ok(), None, Scheme::Http, None);
        let key =
            |limit: &RateLimit, addr: &str| limit.key_of(&conn(addr), &HeaderMap::new(), None);
        assert_eq!(
            key(&limit, "[2001:db8:1:2:aaaa::1]:80"),
            key(&limit, "[2001:db8:1:2:bbbb::9]:80")
        );
        assert_ne!(
            key(&limit, "[2001:db8:1:2::1]:80"),
            key(&limit, "[2001:db8:1:3::1]:80")
        );
        assert_eq!(key(&limit, "[::ffff:10.0.0.9]:80"), ip("10.0.0.9"));
        limit.ipv6_prefix = 128;
        assert_ne!(
            key(&limit, "[2001:db8:1:2:aaaa::1]:80"),
            key(&limit, "[2001:db8:1:2:bbbb::9]:80")
        );
    }

    #[test]
    fn header_keys_fall_back_to_the_ip() {
        let limit = RateLimit::new(
            1.0,
            1.0,
            KeyKind::Header(HeaderName::from_static("x-api-key")),
        );
        let conn = ConnInfo::new("10.0.0.9:1234".parse().ok(), None, Scheme::Http, None);
        let mut headers = HeaderMap::new();
        assert_eq!(limit.key_of(&conn, &headers, None), ip("10.0.0.9"));
        headers.insert("x-api-key", HeaderValue::from_static("k1"));
        assert_eq!(
            limit.key_of(&conn, &headers, None),
            Key::Value(b"k1".as_slice().into())
        );
    }

    #[test]
    fn users_and_api_keys_are_keyed_by_identity_else_by_ip() {
        let conn = ConnInfo::new("10.0.0.9:1234".parse().ok(), None, Scheme::Http, None);
        let headers = HeaderMap::new();
        let user = Identity {
            user_id: Some("7".into()),
            ..Identity::default()
        };
        let key: Arc<str> = Arc::from("k1");
        let api_key = Identity {
            api_key: Some(key.clone()),
            ..Identity::default()
        };
        let per_user = RateLimit::new(1.0, 1.0, KeyKind::User);
        assert!(per_user.after_auth());
        assert_eq!(
            per_user.key_of(&conn, &headers, Some(&user)),
            Key::User("7".into())
        );
        assert_eq!(
            per_user.key_of(&conn, &headers, Some(&api_key)),
            ip("10.0.0.9")
        );
        assert_eq!(per_user.key_of(&conn, &headers, None), ip("10.0.0.9"));
        let per_key = RateLimit::new(1.0, 1.0, KeyKind::ApiKey);
        assert_eq!(
            per_key.key_of(&conn, &headers, Some(&api_key)),
            Key::Credential(key)
        );
        assert_eq!(per_key.key_of(&conn, &headers, Some(&user)), ip("10.0.0.9"));
        assert!(!RateLimit::new(1.0, 1.0, KeyKind::Ip).after_auth());
    }

    #[test]
    fn refusals_say_when_to_retry() {
        let response = too_many_requests(Refused::Empty(Duration::from_millis(1500)));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
