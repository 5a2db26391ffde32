//! The bounded queue of requests waiting for Python.
//!
//! A request takes a place only once it is ready for Python: its body read (Bolt
//! routes), the first part of its body in hand (ASGI apps, which read the rest while
//! they run), or its handshake accepted (WebSockets). So a client that announces a body
//! and sends nothing holds a socket, never a place. One client (an address, an IPv6
//! /64) may hold only so many places, so it cannot fill the queue for everyone.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::Response;
use parking_lot::Mutex;

use crate::body::ResponseBody;
use crate::client;
use crate::errors;

/// Shards of the per-client counts: a lock each, so busy threads rarely meet.
const SHARDS: usize = 16;

/// The places of one server (or test client).
#[derive(Debug)]
pub struct Queue {
    /// Places in all; past this, 503.
    capacity: usize,
    /// Places one client may hold; past this, 429. 0: no per-client cap.
    per_client: usize,
    taken: AtomicUsize,
    /// Places held per client; a client holding none has no entry.
    clients: Vec<Mutex<HashMap<IpAddr, usize, FoldState>>>,
    hasher: FoldState,
}

impl Queue {
    pub fn new(capacity: usize, per_client: usize) -> Arc<Queue> {
        let hasher = FoldState::new();
        Arc::new(Queue {
            capacity,
            per_client,
            taken: AtomicUsize::new(0),
            clients: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(hasher)))
                .collect(),
            hasher,
        })
    }

    /// A gate for a request from `client`, to pass once the request is ready.
    pub fn gate(self: &Arc<Self>, client: Option<IpAddr>) -> Gate {
        let client = client
            .filter(|_| self.per_client > 0)
            .map(|ip| client::network(ip, client::IPV6_PREFIX));
        Gate {
            queue: self.clone(),
            client,
        }
    }

    fn shard(&self, client: &IpAddr) -> &Mutex<HashMap<IpAddr, usize, FoldState>> {
        // The top bits: the map inside the shard indexes by the low ones.
        let hash = self.hasher.hash_one(client);
        &self.clients[(hash >> 60) as usize % SHARDS]
    }

    fn release(&self, client: Option<IpAddr>) {
        self.taken.fetch_sub(1, Ordering::AcqRel);
        if let Some(client) = client {
            let mut shard = self.shard(&client).lock();
            if let Some(held) = shard.get_mut(&client) {
                *held -= 1;
                if *held == 0 {
                    shard.remove(&client);
                }
            }
        }
    }
}

/// A hash of addresses that costs a few instructions, where SipHash cost hundreds on
/// every request: words folded into a per-process random seed and multiplied. Without
/// the seed a client cannot aim its addresses at one bucket, and a shard holds only
/// the clients with requests in flight, so a weaker hash is no flooding risk.
#[derive(Clone, Copy, Debug)]
struct FoldState(u64);

impl FoldState {
    fn new() -> Self {
        FoldState(RandomState::new().hash_one(0u8) | 1)
    }
}

impl BuildHasher for FoldState {
    type Hasher = Fold;

    fn build_hasher(&self) -> Fold {
        Fold(self.0)
    }
}

struct Fold(u64);

impl Hasher for Fold {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// Where a request waits to take its place.
pub struct Gate {
    queue: Arc<Queue>,
    client: Option<IpAddr>,
}

impl Gate {
    /// Take a place, unless the queue is full or the client holds its share.
    pub fn enter(self) -> Result<Place, Refusal> {
        let queue = self.queue;
        if let Some(client) = self.client {
            let mut shard = queue.shard(&client).lock();
            let held = shard.entry(client).or_insert(0);
            if *held >= queue.per_client {
                return Err(Refusal::ClientShare(queue.per_client));
            }
            *held += 1;
        }
        let before = queue.taken.fetch_add(1, Ordering::AcqRel);
        let place = Place {
            queue,
            client: self.client,
        };
        match before < place.queue.capacity {
            true => Ok(place),
            false => Err(Refusal::Full),
        }
    }
}

/// Why a request found no place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every place is taken.
    Full,
    /// The client already holds this many places.
    ClientShare(usize),
}

impl Refusal {
    /// What the client is told: 503, or 429 for its own share; both say when to retry.
    pub fn response(self) -> Response<ResponseBody> {
        match self {
            Refusal::Full => errors::overloaded(),
            Refusal::ClientShare(limit) => errors::too_many_waiting(limit),
        }
    }
}

/// A place in the queue, given back when dropped (the response head is ready).
#[derive(Debug)]
pub struct Place {
    queue: Arc<Queue>,
    client: Option<IpAddr>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.queue.release(self.client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn take(queue: &Arc<Queue>, client: &str) -> Place {
        queue.gate(ip(client)).enter().expect("a place")
    }

    /// The status a refused request gets.
    fn refusal(queue: &Arc<Queue>, client: &str) -> u16 {
        let refusal = queue.gate(ip(client)).enter().unwrap_err();
        refusal.response().status().as_u16()
    }

    #[test]
    fn the_queue_is_bounded_and_places_come_back() {
        let queue = Queue::new(2, 0);
        let first = take(&queue, "10.0.0.1");
        let _second = take(&queue, "10.0.0.2");
        assert_eq!(refusal(&queue, "10.0.0.3"), 503);
        drop(first);
        assert!(queue.gate(ip("10.0.0.3")).enter().is_ok());
    }

    #[test]
    fn one_client_holds_at_most_its_share() {
        let queue = Queue::new(100, 2);
        let held: Vec<Place> = (0..2).map(|_| take(&queue, "10.0.0.1")).collect();
        assert_eq!(refusal(&queue, "10.0.0.1"), 429);
        assert!(queue.gate(ip("10.0.0.2")).enter().is_ok());
        drop(held);
        assert!(queue.gate(ip("10.0.0.1")).enter().is_ok());
        assert!(queue.clients.iter().all(|shard| shard.lock().is_empty()));
    }

    #[test]
    fn a_refused_place_is_not_counted() {
        let queue = Queue::new(1, 1);
        let _held = take(&queue, "10.0.0.1");
        assert!(queue.gate(ip("10.0.0.1")).enter().is_err());
        assert!(queue.gate(ip("10.0.0.2")).enter().is_err());
        assert_eq!(queue.taken.load(Ordering::Acquire), 1);
        let counts: usize = queue.clients.iter().map(|s| s.lock().len()).sum();
        assert_eq!(counts, 1);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let queue = Queue::new(100, 1);
        let _held = take(&queue, "2001:db8:1:2::1");
        assert_eq!(refusal(&queue, "2001:db8:1:2:ffff::9"), 429);
        assert!(queue.gate(ip("2001:db8:1:3::1")).enter().is_ok());
        let _v4 = take(&queue, "10.0.0.1");
        assert_eq!(refusal(&queue, "::ffff:10.0.0.1"), 429);
    }
}
