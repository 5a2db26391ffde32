//! Rate limits shared through Redis, so that `--processes N` and several machines
//! enforce one limit together. Each request costs one round trip: an atomic Lua script
//! runs GCRA (the token bucket written as one timestamp per client, "the theoretical
//! arrival time") on Redis's own clock, and the key expires when the bucket would be
//! full again, so idle clients cost Redis nothing.
//!
//! The check runs on tokio's threads and never takes the GIL. Each process keeps one
//! multiplexed connection per Redis URL (the `redis` crate's `ConnectionManager`,
//! which reconnects by itself), made on the first request: a connection must not be
//! made before the server forks its workers.
//!
//! When Redis cannot answer within the timeout, the route's failure policy applies:
//! open (the request passes) or closed (503 with `Retry-After`). One line on stderr says
//! so when an outage starts and one when Redis answers again; while it is down, Redis
//! is asked again only every [`RETRY`], so that requests do not each wait the timeout.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use http::{HeaderMap, Response, StatusCode};
use parking_lot::Mutex;

use super::{too_many_requests, Key, Refused};
use crate::body::ResponseBody;
use crate::errors;

/// While Redis is unreachable, how long requests get the failure policy without
/// asking it; then one asks again.
const RETRY: Duration = Duration::from_secs(1);

/// GCRA. KEYS[1]: the client's key; ARGV[1]: milliseconds between requests at the
/// rate (1000 / rps); ARGV[2]: the burst. Returns 0 when the request may pass, else
/// the milliseconds until one may. The stored value is the time (on Redis's clock, in
/// ms) at which the client's bucket is full again, and it expires then.
const GCRA: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now_ms then tat = now_ms end
local new_tat = tat + interval
local wait = new_tat - tolerance - now_ms
if wait > 0 then return math.max(1, math.ceil(wait)) end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now_ms)))
return 0
";

static SCRIPT: LazyLock<::redis::Script> = LazyLock::new(|| ::redis::Script::new(GCRA));

/// Backends by Redis URL and timeout.
type Backends = HashMap<(String, Duration), Arc<Backend>>;

/// The process's connections, one per Redis URL and timeout, shared by every route.
static BACKENDS: LazyLock<Mutex<Backends>> = LazyLock::new(Default::default);

/// When this process started, for the millisecond clock of [`Backend::retry_at`].
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn millis_now() -> u64 {
    EPOCH.elapsed().as_millis() as u64
}

/// One Redis server as this process reaches it.
struct Backend {
    client: ::redis::Client,
    /// Made on the first request, inside the server's runtime.
    connection: OnceLock<Result<ConnectionManager, String>>,
    /// The URL without its password, for log lines.
    shown: String,
    timeout: Duration,
    /// Whether the last answer failed: an outage is logged once, and its end once.
    down: AtomicBool,
    /// While down: requests before this ([`millis_now`]) do not ask Redis.
    retry_at: AtomicU64,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("url", &self.shown).finish()
    }
}

impl Backend {
    /// The process's backend for `url`, made (without connecting) on first use.
    fn get(url: &str, timeout: Duration) -> Result<Arc<Backend>, String> {
        let mut backends = BACKENDS.lock();
        if let Some(backend) = backends.get(&(url.to_owned(), timeout)) {
            return Ok(backend.clone());
        }
        let shown = without_password(url);
        let client = ::redis::Client::open(url)
            .map_err(|err| format!("rate limit backend {shown:?} is not a Redis URL: {err}"))?;
        let backend = Arc::new(Backend {
            client,
            connection: OnceLock::new(),
            shown,
            timeout,
            down: AtomicBool::new(false),
            retry_at: AtomicU64::new(0),
        });
        backends.insert((url.to_owned(), timeout), backend.clone());
        Ok(backend)
    }

    fn connection(&self) -> Result<ConnectionManager, String> {
        let made = self.connection.get_or_init(|| {
            // Few retries of its own: the failure policy answers meanwhile, and the
            // next request after `RETRY` reconnects.
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.timeout))
                .set_response_timeout(Some(self.timeout))
                .set_number_of_retries(1)
                .set_max_delay(RETRY);
            ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                .map_err(|err| err.to_string())
        });
        made.clone()
    }

    /// Run the script for `key`: the milliseconds to wait (0: pass), or why Redis did
    /// not answer.
    async fn ask(&self, key: &str, interval_ms: f64, burst: f64) -> Result<u64, String> {
        let mut connection = self.connection()?;
        let mut invocation = SCRIPT.prepare_invoke();
        invocation.key(key).arg(interval_ms).arg(burst);
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(wait)) => Ok(wait),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }

    /// Whether Redis is known to be down and not due to be asked again yet.
    fn resting(&self) -> bool {
        self.down.load(Ordering::Relaxed) && millis_now() < self.retry_at.load(Ordering::Relaxed)
    }

    fn failed(&self, why: &str, fail_closed: bool) {
        let retry = millis_now() + RETRY.as_millis() as u64;
        self.retry_at.store(retry, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            let policy = match fail_closed {
                true => "refused (503)",
                false => "let through unlimited",
            };
            eprintln!(
                "django-bolt: rate limit backend {} is unreachable ({why}); requests to \
                 its routes are {policy} until it answers again",
                self.shown
            );
        }
    }

    fn answered(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            eprintln!(
                "django-bolt: rate limit backend {} answers again; limits apply",
                self.shown
            );
        }
    }
}

/// `url` without the password of its user part.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            let hidden = if user.is_empty() { "***" } else { ":***" };
            format!("{}{user}{hidden}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// One route's limit kept in Redis.
#[derive(Debug)]
pub struct Shared {
    backend: Arc<Backend>,
    /// `bolt:rl:<route>:` – the route's namespace; the client's part follows.
    prefix: String,
    interval_ms: f64,
    burst: f64,
    fail_closed: bool,
}

impl Shared {
    /// The limit of the route `name` at `path`, in the Redis at `url`. Only the URL is
    /// checked here; the connection is made by the first request.
    pub fn new(
        url: &str,
        timeout: Duration,
        fail_closed: bool,
        name: &str,
        path: &str,
        rps: f64,
        burst: f64,
    ) -> Result<Shared, String> {
        Ok(Shared {
            backend: Backend::get(url, timeout)?,
            prefix: format!("bolt:rl:{name}:{path}:"),
            interval_ms: 1000.0 / rps,
            burst,
            fail_closed,
        })
    }

    /// What to ask Redis for this request's client.
    pub(super) fn pending(self: &Arc<Self>, key: &Key) -> Pending {
        let mut redis_key = self.prefix.clone();
        match key {
            Key::Ip(ip) => write!(redis_key, "ip:{ip}").expect("a String takes writes"),
            Key::User(user) => write!(redis_key, "user:{user}").expect("a String takes writes"),
            // Header values and API keys are secrets: Redis sees only their digest.
            Key::Value(value) => digest(&mut redis_key, "h:", value),
            Key::Credential(key) => digest(&mut redis_key, "key:", key.as_bytes()),
        }
        Pending {
            limit: self.clone(),
            key: redis_key,
            cors: None,
        }
    }
}

/// Append `kind` and the first 128 bits of the SHA-256 of `secret`, in hex.
fn digest(redis_key: &mut String, kind: &str, secret: &[u8]) {
    redis_key.push_str(kind);
    let digest = ring::digest::digest(&ring::digest::SHA256, secret);
    for byte in &digest.as_ref()[..16] {
        write!(redis_key, "{byte:02x}").expect("a String takes writes");
    }
}

/// A request's check against its route's shared limit, to be awaited before anything
/// else of the route is answered.
#[derive(Debug)]
pub struct Pending {
    limit: Arc<Shared>,
    key: String,
    /// The route's CORS headers for this request's origin, for a refusal the page may
    /// read.
    cors: Option<HeaderMap>,
}

impl Pending {
    /// Mark a refusal with these headers (the route's CORS for the request's origin).
    pub fn with_headers(mut self, headers: HeaderMap) -> Pending {
        self.cors = Some(headers);
        self
    }

    /// Ask Redis: `Ok` to go on, or the refusal (429, or 503 while Redis is down and
    /// the route fails closed).
    pub async fn check(self) -> Result<(), Box<Response<ResponseBody>>> {
        let limit = &self.limit;
        let backend = &limit.backend;
        // None: Redis did not answer (or is known to be down and not due to be asked).
        let answer = match backend.resting() {
            true => None,
            false => backend
                .ask(&self.key, limit.interval_ms, limit.burst)
                .await
                .inspect(|_| backend.answered())
                .inspect_err(|why| backend.failed(why, limit.fail_closed))
                .ok(),
        };
        let mut refusal = match answer {
            Some(0) => return Ok(()),
            Some(wait) => too_many_requests(Refused::Empty(Duration::from_millis(wait))),
            None if !limit.fail_closed => return Ok(()),
            None => unavailable(),
        };
        if let Some(cors) = self.cors {
            refusal.headers_mut().extend(cors);
        }
        Err(Box::new(refusal))
    }
}

/// 503 for a route that fails closed while its Redis is unreachable.
fn unavailable() -> Response<ResponseBody> {
    let seconds = RETRY.as_secs().max(1);
    let message = format!("Rate limit backend unavailable; retry in {seconds} s");
    errors::retry_after(StatusCode::SERVICE_UNAVAILABLE, &message, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            without_password("redis://:secret@db:6379/0"),
            "redis://***@db:6379/0"
        );
        assert_eq!(
            without_password("redis://app:secret@db/1"),
            "redis://app:***@db/1"
        );
        assert_eq!(without_password("redis://db:6379"), "redis://db:6379");
    }

    #[test]
    fn a_bad_url_is_refused_when_routes_are_built() {
        let err = Shared::new("http://db", RETRY, false, "app.view", "/", 1.0, 1.0)
            .expect_err("not Redis");
        assert!(err.contains("is not a Redis URL"), "{err}");
    }

    #[test]
    fn keys_are_namespaced_and_secrets_digested() {
        let limit = Arc::new(
            Shared::new(
                "redis://127.0.0.1:1/0",
                RETRY,
                false,
                "app.view",
                "/x",
                2.0,
                3.0,
            )
            .expect("a URL"),
        );
        let by_ip = limit.pending(&Key::Ip("10.0.0.1".parse().unwrap()));
        assert_eq!(by_ip.key, "bolt:rl:app.view:/x:ip:10.0.0.1");
        let by_header = limit.pending(&Key::Value(b"secret-key".as_slice().into()));
        assert!(by_header.key.starts_with("bolt:rl:app.view:/x:h:"));
        assert!(!by_header.key.contains("secret"));
        assert_eq!(by_header.key.len(), "bolt:rl:app.view:/x:h:".len() + 32);
    }
}
