//! Buckets kept in this server process, the default. Memory is bounded: each route
//! keeps at most `max_clients` buckets (`MAX_KEYS` unless the route says), and when a
//! shard fills, the buckets that have refilled (which are the same as new ones) are
//! forgotten first.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{Key, Refused};
use crate::notice::Notice;

/// Buckets a route keeps at most unless `max_clients` says otherwise.
pub(super) const MAX_KEYS: usize = 65_536;
/// Locks the buckets are spread over, each holding at least `MIN_SHARD` of them.
const SHARDS: usize = 16;
const MIN_SHARD: usize = 256;

/// The buckets of one shard, and when the earliest of them will have refilled.
#[derive(Debug, Default)]
struct Shard {
    buckets: HashMap<Key, Bucket>,
    /// No bucket can be evicted before this, so a flood does not rescan a full shard.
    nothing_idle_before: Option<Instant>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// One route's buckets.
#[derive(Debug)]
pub(super) struct Buckets {
    rps: f64,
    burst: f64,
    /// Buckets one shard keeps at most.
    shard_capacity: usize,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
    /// The route's path, for the log line of a full table.
    path: String,
    /// That line, at most once a second.
    full: Notice,
}

impl Buckets {
    /// Buckets refilling at `rps` up to `burst`, about `max_clients` of them at most for
    /// the route at `path`: a small bound in fewer shards, so that each still holds a
    /// fair share.
    pub(super) fn new(rps: f64, burst: f64, max_clients: usize, path: &str) -> Buckets {
        let shards = (max_clients / MIN_SHARD).clamp(1, SHARDS);
        Buckets {
            rps,
            burst,
            shard_capacity: max_clients / shards,
            hasher: RandomState::new(),
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            path: path.to_owned(),
            full: Notice::new(),
        }
    }

    /// Take a token from `key`'s bucket at `now`, or say why there is none.
    pub(super) fn take(&self, key: Key, now: Instant) -> Result<(), Refused> {
        let index = self.hasher.hash_one(&key) as usize % self.shards.len();
        let mut guard = self.shards[index].lock();
        let shard = &mut *guard;
        if shard.buckets.len() >= self.shard_capacity && !shard.buckets.contains_key(&key) {
            self.evict(shard, now);
            if shard.buckets.len() >= self.shard_capacity {
                self.warn_full();
                let until = shard.nothing_idle_before.unwrap_or(now);
                return Err(Refused::Full(until.saturating_duration_since(now)));
            }
        }
        let bucket = shard.buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        bucket.tokens = self.tokens_at(bucket, now);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            // Keep the bound true for a bucket made (or drained) since the last scan.
            let refilled = self.refilled_at(bucket);
            if let Some(until) = &mut shard.nothing_idle_before {
                *until = (*until).min(refilled);
            }
            return Ok(());
        }
        Err(Refused::Empty(Duration::from_secs_f64(
            (1.0 - bucket.tokens) / self.rps,
        )))
    }

    /// Say on stderr (once a second at most) that new clients are being refused.
    fn warn_full(&self) {
        let clients = self.shard_capacity * self.shards.len();
        self.full.print(|| {
            format!(
                "rate limit of {}: its {clients} client buckets are all still limiting \
                 someone; new clients get 429 until one refills",
                self.path
            )
        });
    }

    /// The tokens `bucket` holds at `now`.
    fn tokens_at(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        (bucket.tokens + elapsed * self.rps).min(self.burst)
    }

    /// When `bucket` is full again, and so no different from a new one.
    fn refilled_at(&self, bucket: &Bucket) -> Instant {
        bucket.updated + Duration::from_secs_f64((self.burst - bucket.tokens).max(0.0) / self.rps)
    }

    /// Make room in a full shard by forgetting the buckets that have refilled, and
    /// only those. A shard found with none is not scanned again until one may be.
    fn evict(&self, shard: &mut Shard, now: Instant) {
        if shard.nothing_idle_before.is_some_and(|until| now < until) {
            return;
        }
        let mut earliest: Option<Instant> = None;
        shard.buckets.retain(|_, bucket| {
            let refilled = self.refilled_at(bucket);
            let busy = refilled > now;
            if busy {
                earliest = Some(earliest.map_or(refilled, |e| e.min(refilled)));
            }
            busy
        });
        shard.nothing_idle_before = earliest;
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn ip(text: &str) -> Key {
        Key::Ip(text.parse().unwrap())
    }

    #[test]
    fn a_burst_then_the_rate() {
        let limit = Buckets::new(10.0, 3.0, MAX_KEYS, "/");
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limit.take(ip("10.0.0.1"), start).is_ok());
        }
        let Err(Refused::Empty(wait)) = limit.take(ip("10.0.0.1"), start) else {
            panic!("the bucket is empty");
        };
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100));
        // Another client has its own bucket.
        assert!(limit.take(ip("10.0.0.2"), start).is_ok());
        let later = start + Duration::from_millis(100);
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_err());
    }

    #[test]
    fn buckets_refill_to_the_burst_only() {
        let limit = Buckets::new(100.0, 2.0, MAX_KEYS, "/");
        let start = Instant::now();
        assert!(limit.take(ip("10.0.0.1"), start).is_ok());
        let later = start + Duration::from_secs(60);
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_ok());
        assert!(limit.take(ip("10.0.0.1"), later).is_err());
    }

    #[test]
    fn keys_stay_bounded() {
        let limit = Buckets::new(1.0, 5.0, MAX_KEYS, "/");
        let now = Instant::now();
        for n in 0..(MAX_KEYS as u32 * 2) {
            let _ = limit.take(Key::Ip(IpAddr::from(n.to_be_bytes())), now);
        }
        let held: usize = limit.shards.iter().map(|s| s.lock().buckets.len()).sum();
        assert!(held <= MAX_KEYS, "{held} buckets kept");
    }

    #[test]
    fn a_flood_of_new_keys_never_resets_a_busy_bucket() {
        let limit = Buckets::new(1.0, 2.0, MAX_KEYS, "/");
        let start = Instant::now();
        let victim = || ip("192.0.2.1");
        assert!(limit.take(victim(), start).is_ok());
        assert!(limit.take(victim(), start).is_ok());
        assert!(limit.take(victim(), start).is_err());
        let mut refused_new = 0;
        for n in 0..(MAX_KEYS as u32 * 2) {
            let flood = Key::Ip(IpAddr::from((n | 0x0a00_0000).to_be_bytes()));
            if let Err(Refused::Full(wait)) = limit.take(flood, start) {
                assert!(wait > Duration::ZERO && wait <= Duration::from_secs(2));
                refused_new += 1;
            }
        }
        assert!(refused_new > 0, "the shards filled");
        assert!(limit.take(victim(), start).is_err(), "still limited");
        // Once the flood's buckets have refilled they make room for new clients.
        let later = start + Duration::from_secs(1);
        assert!(limit.take(ip("198.51.100.7"), later).is_ok());
        assert!(limit.take(victim(), later).is_ok());
    }
}
