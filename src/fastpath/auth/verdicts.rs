//! Tokens a JWT backend has already accepted, by their text.
//!
//! A client sends the same token with every request until it expires. Checking it
//! again each time costs a signature check and two JSON parses: a tenth of the server's
//! CPU on a JWT route with an HMAC key (its flame graph), and far more with RSA.
//! An accepted token is remembered with the identity it proved and its `exp`. It is
//! forgotten once it expires (the full check then gives the 401), and with its key when
//! a key set drops or replaces that key. Revocation is not affected: stores are asked
//! after auth, on every request of the routes that use them.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::identity::Identity;
use super::jwks::Key;

/// Tokens remembered at most; past it the whole memory starts again. Each entry holds
/// the token and its claims (about a kilobyte), so this bounds it near 4 MB per backend
/// configuration whatever tokens clients send: only valid ones are remembered, and the
/// routes of one configuration share one memory (see [`Accepted::shared`]).
const CAPACITY: usize = 4096;

pub struct Accepted {
    tokens: Mutex<HashMap<Box<str>, Remembered>>,
    /// Seconds a token stays valid past its `exp`, as when it was checked.
    leeway: u64,
}

#[derive(Clone)]
struct Remembered {
    identity: Identity,
    /// The `exp` claim, if the token has one.
    expires: Option<u64>,
    /// The key of a key set that verified it: remembered only while the set still
    /// gives that very key for the token's `kid`.
    key: Option<(Option<Box<str>>, Arc<Key>)>,
}

/// How a remembered token's key set is asked whether it still has the key.
pub type CurrentKey<'a> = &'a dyn Fn(Option<&str>) -> Option<Arc<Key>>;

impl Accepted {
    fn new(leeway: u64) -> Self {
        Accepted {
            tokens: Mutex::new(HashMap::new()),
            leeway,
        }
    }

    /// The memory of every backend whose settings have this `fingerprint` (every route
    /// compiles its own backend: one memory per route would verify a client's token
    /// once per route and multiply the bound by the number of routes).
    pub fn shared(fingerprint: Vec<u8>, leeway: u64) -> Arc<Accepted> {
        static SHARED: OnceLock<Mutex<HashMap<Vec<u8>, Weak<Accepted>>>> = OnceLock::new();
        let mut shared = SHARED.get_or_init(Default::default).lock();
        shared.retain(|_, accepted| accepted.strong_count() > 0);
        if let Some(accepted) = shared.get(&fingerprint).and_then(Weak::upgrade) {
            return accepted;
        }
        let accepted = Arc::new(Accepted::new(leeway));
        shared.insert(fingerprint, Arc::downgrade(&accepted));
        accepted
    }

    /// The identity `token` proved when it was accepted, if it is still valid.
    pub fn get(&self, token: &str, current_key: Option<CurrentKey<'_>>) -> Option<Identity> {
        let mut tokens = self.tokens.lock();
        let found = tokens.get(token)?;
        let expired = found
            .expires
            .is_some_and(|exp| exp.saturating_add(self.leeway) < now());
        let key_gone = match (&found.key, current_key) {
            (Some((kid, key)), Some(current)) => {
                !current(kid.as_deref()).is_some_and(|now| Arc::ptr_eq(&now, key))
            }
            _ => false,
        };
        if expired || key_gone {
            tokens.remove(token);
            return None;
        }
        Some(found.identity.clone())
    }

    /// Remember that `token` proved `identity`; `key`: the key set's key (and the
    /// token's `kid`) that verified it.
    pub fn remember(
        &self,
        token: &str,
        identity: &Identity,
        key: Option<(Option<&str>, Arc<Key>)>,
    ) {
        let expires = identity
            .claims
            .as_ref()
            .and_then(|claims| claims.get("exp"))
            .and_then(serde_json::Value::as_u64);
        let remembered = Remembered {
            identity: identity.clone(),
            expires,
            key: key.map(|(kid, key)| (kid.map(Box::from), key)),
        };
        let mut tokens = self.tokens.lock();
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.into(), remembered);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tokens.lock().len()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn identity(exp: u64) -> Identity {
        let claims = json!({"sub": "7", "exp": exp});
        Identity {
            user_id: Some("7".into()),
            claims: claims.as_object().cloned().map(Arc::new),
            ..Identity::default()
        }
    }

    #[test]
    fn a_remembered_token_gives_its_identity_until_it_expires() {
        let accepted = Accepted::new(0);
        accepted.remember("valid", &identity(now() + 60), None);
        accepted.remember("expired", &identity(now() - 1), None);
        assert_eq!(
            accepted.get("valid", None).unwrap().user_id.as_deref(),
            Some("7")
        );
        assert!(accepted.get("expired", None).is_none());
        assert!(accepted.get("never seen", None).is_none());
        assert_eq!(accepted.len(), 1, "the expired token is forgotten");
    }

    #[test]
    fn the_leeway_keeps_a_just_expired_token() {
        let accepted = Accepted::new(30);
        accepted.remember("token", &identity(now() - 5), None);
        assert!(accepted.get("token", None).is_some());
    }

    #[test]
    fn backends_of_one_configuration_share_their_memory() {
        let one = Accepted::shared(b"settings one".to_vec(), 0);
        let again = Accepted::shared(b"settings one".to_vec(), 0);
        let other = Accepted::shared(b"settings two".to_vec(), 0);
        one.remember("token", &identity(now() + 60), None);
        assert!(again.get("token", None).is_some());
        assert!(other.get("token", None).is_none());
    }

    #[test]
    fn memory_is_bounded() {
        let accepted = Accepted::new(0);
        for n in 0..CAPACITY + 10 {
            accepted.remember(&format!("token {n}"), &identity(now() + 60), None);
        }
        assert!(accepted.len() <= CAPACITY);
    }
}
