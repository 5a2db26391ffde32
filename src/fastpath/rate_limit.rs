//! Rate limits for routes declared with `@rate_limit`: a token bucket per client,
//! checked in Rust before auth and before Python. Each server process keeps its own
//! buckets (with `--processes N` a client may get N times the rate).
//!
//! A bucket holds up to `burst` tokens and gains `rps` per second; a request takes one,
//! and one that finds none is answered 429 with `Retry-After`. Memory is bounded: each
//! route keeps at most `MAX_KEYS` buckets, and when a shard fills, the buckets that have
//! refilled (which are the same as new ones) are forgotten first.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors;
use crate::asgi::ConnInfo;
use crate::body::ResponseBody;

/// Buckets a route keeps at most, spread over `SHARDS` locks.
const MAX_KEYS: usize = 65_536;
const SHARDS: usize = 16;

/// Whose requests share a bucket.
#[derive(Debug)]
enum KeyKind {
    /// The client's IP address (after trusted proxy headers).
    Ip,
    /// The value of this header; requests without it are keyed by IP.
    Header(HeaderName),
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Value(Box<[u8]>),
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One route's limit and its buckets.
#[derive(Debug)]
pub struct RateLimit {
    rps: f64,
    burst: f64,
    key: KeyKind,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<Key, Bucket>>>,
}

impl RateLimit {
    /// The route description's `rate_limit` dict: `rps` (> 0), `burst` (>= 1) and
    /// `key` (`"ip"` or `"header:<name>"`).
    pub fn from_py(desc: &Bound<'_, PyDict>) -> Result<RateLimit, String> {
        let number = |key: &str| -> Result<f64, String> {
            desc.get_item(key)
                .ok()
                .flatten()
                .and_then(|v| v.extract::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("rate_limit {key} must be a positive number"))
        };
        let key: String = desc
            .get_item("key")
            .ok()
            .flatten()
            .and_then(|k| k.extract().ok())
            .unwrap_or_else(|| "ip".into());
        let key = if key == "ip" {
            KeyKind::Ip
        } else if let Some(name) = key.strip_prefix("header:") {
            KeyKind::Header(
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| format!("rate_limit key {key:?} names no valid header"))?,
            )
        } else {
            return Err(format!(
                "rate_limit key must be \"ip\" or \"header:<name>\", not {key:?}"
            ));
        };
        Ok(RateLimit::new(
            number("rps")?,
            number("burst")?.max(1.0),
            key,
        ))
    }

    fn new(rps: f64, burst: f64, key: KeyKind) -> RateLimit {
        RateLimit {
            rps,
            burst,
            key,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Take a token for this request's client, or answer 429.
    pub fn check(
        &self,
        conn: &ConnInfo,
        headers: &HeaderMap,
    ) -> Result<(), Box<Response<ResponseBody>>> {
        self.take(self.key_of(conn, headers), Instant::now())
            .map_err(|wait| Box::new(too_many_requests(wait)))
    }

    fn key_of(&self, conn: &ConnInfo, headers: &HeaderMap) -> Key {
        if let KeyKind::Header(name) = &self.key {
            if let Some(value) = headers.get(name) {
                return Key::Value(value.as_bytes().into());
            }
        }
        Key::Ip(
            conn.client
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.ip()),
        )
    }

    /// Take a token from `key`'s bucket at `now`, or say how long until one is there.
    fn take(&self, key: Key, now: Instant) -> Result<(), Duration> {
        let index = self.hasher.hash_one(&key) as usize % SHARDS;
        let mut shard = self.shards[index].lock();
        if shard.len() >= MAX_KEYS / SHARDS && !shard.contains_key(&key) {
            self.evict(&mut shard, now);
        }
        let bucket = shard.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rps).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rps))
    }

    /// Make room in a full shard: forget the buckets that have refilled; if most are
    /// still busy (a flood of distinct clients), forget them all rather than scan
    /// again on every new client.
    fn evict(&self, shard: &mut HashMap<Key, Bucket>, now: Instant) {
        let refill = Duration::from_secs_f64(self.burst / self.rps);
        shard.retain(|_, b| now.saturating_duration_since(b.updated) < refill);
        if shard.len() >= MAX_KEYS / SHARDS * 3 / 4 {
            shard.clear();
        }
    }
}

/// 429 with `Retry-After` in whole seconds (at least 1).
fn too_many_requests(wait: Duration) -> Response<ResponseBody> {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = errors::detail(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Rate limit exceeded; retry in {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Key {
        Key::Ip(text.parse().unwrap())
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limit = RateLimit::new(10.0, 3.0, KeyKind::Ip);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limit.take(ip("10.0.0.1"), start).is_ok());
        }
        let wait = limit.take(ip("10.0.0.1"), start).unwrap_err();
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100));
        // Another client has its own bucket.
        assert!(limit.take(ip("10.0.0.2"), start).is_ok());
        let later = start + Duration::from_millis(100);
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_err());
    }

    #[test]
    fn buckets_refill_to_the_burst_only() {
        let limit = RateLimit::new(100.0, 2.0, KeyKind::Ip);
        let start = Instant::now();
        assert!(limit.take(ip("10.0.0.1"), start).is_ok());
        let later = start + Duration::from_secs(60);
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_err());
    }

    #[test]
    fn keys_stay_bounded() {
        let limit = RateLimit::new(1.0, 5.0, KeyKind::Ip);
        let now = Instant::now();
        for n in 0..(MAX_KEYS as u32 * 2) {
            let _ = limit.take(Key::Ip(IpAddr::from(n.to_be_bytes())), now);
        }
        let held: usize = limit.shards.iter().map(|s| s.lock().len()).sum();
        assert!(held <= MAX_KEYS, "{held} buckets kept");
    }

    #[test]
    fn header_keys_fall_back_to_the_ip() {
        let limit = RateLimit::new(
            1.0,
            1.0,
            KeyKind::Header(HeaderName::from_static("x-api-key")),
        );
        let conn = ConnInfo::new("10.0.0.9:1234".parse().ok(), None, "http", None);
        let mut headers = HeaderMap::new();
        assert_eq!(limit.key_of(&conn, &headers), ip("10.0.0.9"));
        headers.insert("x-api-key", HeaderValue::from_static("k1"));
        assert_eq!(
            limit.key_of(&conn, &headers),
            Key::Value(b"k1".as_slice().into())
        );
    }

    #[test]
    fn refusals_say_when_to_retry() {
        let response = too_many_requests(Duration::from_millis(1500));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
