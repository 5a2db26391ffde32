//! Tokens a JWT backend has already judged, by their text.
//!
//! A client sends the same token with every request until it expires. Checking it
//! again each time costs a signature check and two JSON parses: a tenth of the server's
//! CPU on a JWT route with an HMAC key (its flame graph), and far more with RSA.
//! An accepted token is remembered with the identity it proved and its `exp`. It is
//! forgotten once it expires (the full check then gives the 401), and with its key when
//! a key set drops or replaces that key. Revocation is not affected: stores are asked
//! after auth, on every request of the routes that use them.
//!
//! A refused token is remembered with its 401's reason when no later check could
//! accept it (a bad signature under a fixed key, an expired token, a missing claim): a
//! client retrying a stale token then costs a lookup. Tokens of unique text (an
//! attacker's) each still get the full check, and cannot push accepted ones out.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::identity::Identity;
use super::jwks::Key;

/// Tokens remembered at most, of each verdict; past it that memory starts again. An
/// accepted entry holds the token and its claims (about a kilobyte), so this bounds it
/// near 4 MB per backend configuration whatever tokens clients send: only valid ones
/// are accepted, and the routes of one configuration share one memory (see
/// [`Verdicts::shared`]).
const CAPACITY: usize = 4096;

/// Refused tokens longer than this are not remembered, which bounds that memory near
/// 8 MB per configuration whatever clients send.
const LONGEST_REFUSED: usize = 2048;

pub struct Verdicts {
    tokens: Mutex<HashMap<Box<str>, Remembered>>,
    /// Tokens no later check could accept, with the reason of their 401.
    refused: Mutex<HashMap<Box<str>, Box<str>>>,
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

impl Verdicts {
    fn new(leeway: u64) -> Self {
        Verdicts {
            tokens: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            leeway,
        }
    }

    /// The memory of every backend whose settings have this `fingerprint` (every route
    /// compiles its own backend: one memory per route would verify a client's token
    /// once per route and multiply the bound by the number of routes).
    pub fn shared(fingerprint: Vec<u8>, leeway: u64) -> Arc<Verdicts> {
        static SHARED: OnceLock<Mutex<HashMap<Vec<u8>, Weak<Verdicts>>>> = OnceLock::new();
        let mut shared = SHARED.get_or_init(Default::default).lock();
        shared.retain(|_, verdicts| verdicts.strong_count() > 0);
        if let Some(verdicts) = shared.get(&fingerprint).and_then(Weak::upgrade) {
            return verdicts;
        }
        let verdicts = Arc::new(Verdicts::new(leeway));
        shared.insert(fingerprint, Arc::downgrade(&verdicts));
        verdicts
    }

    /// The identity `token` proved when it was accepted, if it is still valid.
    pub fn accepted(&self, token: &str, current_key: Option<CurrentKey<'_>>) -> Option<Identity> {
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
    pub fn remember_accepted(
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

    /// Why `token` was refused, if no later check could accept it.
    pub fn refused(&self, token: &str) -> Option<String> {
        self.refused
            .lock()
            .get(token)
            .map(|reason| reason.to_string())
    }

    /// Remember that no later check could accept `token`, for `reason`.
    pub fn remember_refused(&self, token: &str, reason: &str) {
        if token.len() > LONGEST_REFUSED {
            return;
        }
        let mut refused = self.refused.lock();
        if refused.len() >= CAPACITY {
            refused.clear();
        }
        refused.insert(token.into(), reason.into());
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
        let verdicts = Verdicts::new(0);
        verdicts.remember_accepted("valid", &identity(now() + 60), None);
        verdicts.remember_accepted("expired", &identity(now() - 1), None);
        assert_eq!(
            verdicts.accepted("valid", None).unwrap().user_id.as_deref(),
            Some("7")
        );
        assert!(verdicts.accepted("expired", None).is_none());
        assert!(verdicts.accepted("never seen", None).is_none());
        assert_eq!(verdicts.len(), 1, "the expired token is forgotten");
    }

    #[test]
    fn the_leeway_keeps_a_just_expired_token() {
        let verdicts = Verdicts::new(30);
        verdicts.remember_accepted("token", &identity(now() - 5), None);
        assert!(verdicts.accepted("token", None).is_some());
    }

    #[test]
    fn backends_of_one_configuration_share_their_memory() {
        let one = Verdicts::shared(b"settings one".to_vec(), 0);
        let again = Verdicts::shared(b"settings one".to_vec(), 0);
        let other = Verdicts::shared(b"settings two".to_vec(), 0);
        one.remember_accepted("token", &identity(now() + 60), None);
        assert!(again.accepted("token", None).is_some());
        assert!(other.accepted("token", None).is_none());
    }

    #[test]
    fn a_refused_token_keeps_its_reason_and_long_ones_are_not_kept() {
        let verdicts = Verdicts::new(0);
        verdicts.remember_refused("forged", "Token signature is invalid");
        verdicts.remember_refused(&"x".repeat(LONGEST_REFUSED + 1), "Token is malformed");
        assert_eq!(
            verdicts.refused("forged").as_deref(),
            Some("Token signature is invalid")
        );
        assert!(verdicts.refused(&"x".repeat(LONGEST_REFUSED + 1)).is_none());
        assert!(verdicts.accepted("forged", None).is_none());
        for n in 0..CAPACITY + 10 {
            verdicts.remember_refused(&format!("token {n}"), "Token is malformed");
        }
        assert!(verdicts.refused.lock().len() <= CAPACITY);
    }

    #[test]
    fn memory_is_bounded() {
        let verdicts = Verdicts::new(0);
        for n in 0..CAPACITY + 10 {
            verdicts.remember_accepted(&format!("token {n}"), &identity(now() + 60), None);
        }
        assert!(verdicts.len() <= CAPACITY);
    }
}
