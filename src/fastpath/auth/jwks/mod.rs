//! Keys from a JSON Web Key Set: given as a document, or fetched from a URL and kept
//! here, in Rust, for every request to read without Python.
//!
//! A fetched set is fetched when the routes are built (they wait for it a few seconds
//! at most), then again once it is `refresh_every` old and when a token names a `kid`
//! it lacks. Fetches run on a thread of their own, never on a request's: one at a time,
//! and at most one every `MIN_INTERVAL`, so a client sending random `kid`s costs the
//! key server nothing. A failed fetch keeps the keys already known and says why on
//! stderr. Routes whose backends name the same URL and check tokens alike share one
//! set.

mod fetch;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use http::Uri;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::{Condvar, Mutex, RwLock};

use super::keys::{family, KeyKind};

/// The least time between two fetches of one set.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);

/// A key of the set, with what a token it verifies must satisfy (the backend's rules,
/// its algorithms narrowed to the key's).
pub struct Key {
    pub key: DecodingKey,
    pub validation: Validation,
}

/// The keys by `kid` (a key without one is under "").
type Keys = HashMap<String, Arc<Key>>;

pub struct KeySet {
    keys: RwLock<Arc<Keys>>,
    /// `None` for a set given as a document.
    source: Option<Source>,
}

/// Where a fetched set comes from, and when it is fetched.
struct Source {
    url: Uri,
    refresh_every: Duration,
    /// What a key is checked with; the first route's (routes sharing a URL share it).
    validation: Validation,
    /// Milliseconds after `born` from which the keys are old enough to fetch again.
    stale_after: AtomicU64,
    born: Instant,
    state: Mutex<FetchState>,
    fetched: Condvar,
}

#[derive(Default)]
struct FetchState {
    /// When the last fetch started; one still running has no `finished`.
    started: Option<Instant>,
    finished: bool,
}

/// Why a token has no key.
pub enum Missing {
    /// The set has no key by that `kid`; a fetch may bring it.
    UnknownKid,
    /// No key could be fetched at all.
    Unavailable,
}

impl KeySet {
    /// A set given as a JWKS document.
    pub fn from_document(document: &str, validation: &Validation) -> Result<Arc<Self>, String> {
        let keys = parse(document.as_bytes(), validation)?;
        if keys.is_empty() {
            return Err("jwt: the JWKS has no key for the algorithms accepted".into());
        }
        Ok(Arc::new(KeySet {
            keys: RwLock::new(Arc::new(keys)),
            source: None,
        }))
    }

    /// The set at `url`, shared with the routes already naming it with the same checks,
    /// fetched once first.
    pub fn fetched(
        url: &str,
        refresh_every: Duration,
        validation: &Validation,
    ) -> Result<Arc<Self>, String> {
        let uri: Uri = url
            .parse()
            .map_err(|_| format!("jwt: jwks_url {url:?} is not a URL"))?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
            return Err(format!("jwt: jwks_url {url:?} is not an http(s) URL"));
        }
        static SHARED: Mutex<Vec<(String, Weak<KeySet>)>> = Mutex::new(Vec::new());
        let mut shared = SHARED.lock();
        shared.retain(|(_, set)| set.strong_count() > 0);
        // Keys carry their backend's checks (audience, issuer...): only backends that
        // check alike may share them.
        let same = |set: &Arc<KeySet>| {
            set.source
                .as_ref()
                .is_some_and(|source| source.validation == *validation)
        };
        let found = shared
            .iter()
            .filter(|(u, _)| u == url)
            .filter_map(|(_, set)| set.upgrade())
            .find(same);
        if let Some(set) = found {
            return Ok(set);
        }
        let set = Arc::new(KeySet {
            keys: RwLock::new(Arc::new(Keys::new())),
            source: Some(Source {
                url: uri,
                refresh_every: refresh_every.max(MIN_INTERVAL),
                validation: validation.clone(),
                stale_after: AtomicU64::new(0),
                born: Instant::now(),
                state: Mutex::new(FetchState::default()),
                fetched: Condvar::new(),
            }),
        });
        shared.push((url.to_owned(), Arc::downgrade(&set)));
        set.refresh();
        Ok(set)
    }

    /// Wait (at most a fetch's timeout) for the first fetch to end, so that the first
    /// requests find keys; it need not succeed.
    pub fn wait_for_first_fetch(&self) {
        let Some(source) = &self.source else { return };
        let deadline = Instant::now() + fetch::TIMEOUT + Duration::from_secs(1);
        let mut state = source.state.lock();
        while !state.finished && state.started.is_some() {
            if source.fetched.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
    }

    /// The key for a token's `kid`. A set old enough is fetched again (in the
    /// background: this request uses the keys known now), and so is one lacking `kid`.
    pub fn key(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<Key>, Missing> {
        if let Some(source) = &self.source {
            let age = source.born.elapsed().as_millis() as u64;
            if age >= source.stale_after.load(Ordering::Relaxed) {
                self.refresh();
            }
        }
        let keys = self.keys.read().clone();
        if let Some(key) = keys.get(kid.unwrap_or("")) {
            return Ok(key.clone());
        }
        if self.source.is_some() {
            self.refresh();
        }
        match keys.is_empty() {
            true => Err(Missing::Unavailable),
            false => Err(Missing::UnknownKid),
        }
    }

    /// Start a fetch, unless one is running or one started less than `MIN_INTERVAL`
    /// ago.
    fn refresh(self: &Arc<Self>) {
        let Some(source) = &self.source else { return };
        let now = Instant::now();
        {
            let mut state = source.state.lock();
            let running = state.started.is_some_and(|started| {
                // A fetch outlives its timeout only when the process forked under it.
                !state.finished && now.duration_since(started) < fetch::TIMEOUT * 2
            });
            let recent = state
                .started
                .is_some_and(|started| now.duration_since(started) < MIN_INTERVAL);
            if running || recent {
                return;
            }
            state.started = Some(now);
            state.finished = false;
        }
        let set = Arc::clone(self);
        runtime().spawn(async move {
            let source = set.source.as_ref().expect("a fetched set");
            let fetched = fetch::get(&source.url)
                .await
                .and_then(|body| parse(&body, &source.validation));
            set.store(fetched);
        });
    }

    /// Keep what a fetch brought, or say why it brought nothing.
    fn store(&self, fetched: Result<Keys, String>) {
        let source = self.source.as_ref().expect("a fetched set");
        let wait = match fetched {
            Ok(keys) if !keys.is_empty() => {
                *self.keys.write() = Arc::new(keys);
                source.refresh_every
            }
            Ok(_) => {
                self.failed(source, "it has no key for the algorithms accepted");
                MIN_INTERVAL
            }
            Err(reason) => {
                self.failed(source, &reason);
                MIN_INTERVAL
            }
        };
        let stale_after = source.born.elapsed() + wait;
        source
            .stale_after
            .store(stale_after.as_millis() as u64, Ordering::Relaxed);
        let mut state = source.state.lock();
        state.finished = true;
        source.fetched.notify_all();
    }

    fn failed(&self, source: &Source, reason: &str) {
        let kept = self.keys.read().len();
        eprintln!(
            "django-bolt: cannot fetch the JWKS at {}: {reason}; keeping the {kept} keys \
             known, next try in {} s at the earliest",
            source.url,
            MIN_INTERVAL.as_secs()
        );
    }
}

/// The keys of a JWKS document usable with `validation`'s algorithms, each with them
/// narrowed to its own (and to its `alg`, when it names one). Encryption keys and keys
/// of other types are left out.
fn parse(document: &[u8], validation: &Validation) -> Result<Keys, String> {
    let set: JwkSet =
        serde_json::from_slice(document).map_err(|err| format!("not a JWKS document: {err}"))?;
    let mut keys = Keys::new();
    for jwk in &set.keys {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        if let Some(key) = key(jwk, validation) {
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            keys.insert(kid, Arc::new(key));
        }
    }
    Ok(keys)
}

fn key(jwk: &Jwk, validation: &Validation) -> Option<Key> {
    let decoding = DecodingKey::from_jwk(jwk).ok()?;
    let named = jwk
        .common
        .key_algorithm
        .and_then(|alg| Algorithm::from_str(&alg.to_string()).ok());
    let algorithms: Vec<Algorithm> = validation
        .algorithms
        .iter()
        .copied()
        .filter(|alg| named.is_none_or(|named| named == *alg))
        .filter(|alg| fits(jwk, *alg))
        .collect();
    if algorithms.is_empty() {
        return None;
    }
    let mut validation = validation.clone();
    validation.algorithms = algorithms;
    Some(Key {
        key: decoding,
        validation,
    })
}

/// Whether `jwk` is a key of `algorithm`'s kind (and curve).
fn fits(jwk: &Jwk, algorithm: Algorithm) -> bool {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve};
    match (&jwk.algorithm, algorithm) {
        (AlgorithmParameters::RSA(_), alg) => family(alg) == KeyKind::Rsa,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA) => true,
        // A shared secret has no place in a published set.
        _ => false,
    }
}

/// The runtime fetches run on: a thread of its own, made again in a process forked
/// from the one that made it (a fork keeps no thread but its caller's).
fn runtime() -> tokio::runtime::Handle {
    static RUNTIME: Mutex<Option<(u32, tokio::runtime::Handle)>> = Mutex::new(None);
    let mut current = RUNTIME.lock();
    let pid = std::process::id();
    if let Some((_, handle)) = current.as_ref().filter(|(owner, _)| *owner == pid) {
        return handle.clone();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bolt-jwks")
        .enable_all()
        .build()
        .expect("a runtime for JWKS fetches");
    let handle = runtime.handle().clone();
    // Lives as long as the process: its thread waits for the next fetch.
    std::mem::forget(runtime);
    *current = Some((pid, handle.clone()));
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validation(algorithms: &[Algorithm]) -> Validation {
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms.to_vec();
        validation
    }

    const DOCUMENT: &str = r#"{"keys": [
        {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "rsa-enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "rsa-ps", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "kid": "p256", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AQAB", "y": "AQAB"},
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}
    ]}"#;

    #[test]
    fn each_key_keeps_the_accepted_algorithms_of_its_kind() {
        let accepted = validation(&[Algorithm::RS256, Algorithm::ES256]);
        let keys = parse(DOCUMENT.as_bytes(), &accepted).unwrap();
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort();
        // No encryption key, no key whose `alg` is not accepted, no other curve, no
        // shared secret.
        assert_eq!(kids, ["p256", "rsa"]);
        assert_eq!(keys["rsa"].validation.algorithms, [Algorithm::RS256]);
        assert_eq!(keys["p256"].validation.algorithms, [Algorithm::ES256]);
    }

    #[test]
    fn a_document_is_a_key_set_or_an_error() {
        let accepted = validation(&[Algorithm::RS256]);
        assert!(parse(b"[]", &accepted).is_err());
        assert!(KeySet::from_document(r#"{"keys": []}"#, &accepted).is_err());
        let set = KeySet::from_document(DOCUMENT, &accepted).unwrap();
        assert!(set.key(Some("rsa")).is_ok());
        assert!(matches!(set.key(Some("p256")), Err(Missing::UnknownKid)));
        assert!(matches!(set.key(None), Err(Missing::UnknownKid)));
    }
}
