//! API keys: a header compared against the configured keys, in constant time.

use std::sync::Arc;

use super::identity::Identity;

/// `APIKeyAuthentication(...)`, compiled: each key with the permissions it grants.
/// Without keys (none configured) it accepts none: its routes fail closed.
pub struct ApiKeyBackend {
    keys: Vec<(Arc<str>, Vec<String>)>,
}

impl ApiKeyBackend {
    pub fn new(keys: Vec<(String, Vec<String>)>) -> Result<Self, String> {
        if keys.iter().any(|(key, _)| key.is_empty()) {
            return Err("APIKeyAuthentication: an API key is empty".into());
        }
        let keys = keys
            .into_iter()
            .map(|(key, permissions)| (Arc::from(key), permissions))
            .collect();
        Ok(ApiKeyBackend { keys })
    }

    pub fn authenticate(&self, presented: &str) -> Result<Identity, String> {
        if self.keys.is_empty() {
            return Err(NOT_CONFIGURED.into());
        }
        // Every key is compared in full, so timing tells nothing about which is close.
        let mut found = None;
        for entry in &self.keys {
            if constant_time_eq(entry.0.as_bytes(), presented.as_bytes()) {
                found = Some(entry);
            }
        }
        let (key, permissions) = found.ok_or("API key is not valid")?;
        Ok(Identity {
            backend: "api_key",
            api_key: Some(key.clone()),
            permissions: permissions.clone(),
            ..Identity::default()
        })
    }
}

/// The 401 of a key sent to a backend without keys: the server's fault, not the key's.
const NOT_CONFIGURED: &str =
    "API keys are not configured on this server (BOLT_API_KEYS is empty): no key is accepted";

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let longest = a.len().max(b.len());
    let mut differ = a.len() ^ b.len();
    for i in 0..longest {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        differ |= usize::from(x ^ y);
    }
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_grant_their_permissions() {
        let backend = ApiKeyBackend::new(vec![
            ("k-one".into(), vec!["reports.view".into()]),
            ("k-two".into(), Vec::new()),
        ])
        .unwrap();
        assert_eq!(
            backend.authenticate("k-one").unwrap().permissions,
            ["reports.view"]
        );
        assert!(backend
            .authenticate("k-two")
            .unwrap()
            .permissions
            .is_empty());
        assert!(backend.authenticate("k-on").is_err());
        assert!(backend.authenticate("k-one2").is_err());
        assert!(backend.authenticate("").is_err());
    }

    #[test]
    fn without_keys_every_key_is_refused() {
        let backend = ApiKeyBackend::new(Vec::new()).unwrap();
        assert_eq!(
            backend.authenticate("anything").unwrap_err(),
            NOT_CONFIGURED
        );
        assert_eq!(backend.authenticate("").unwrap_err(), NOT_CONFIGURED);
    }
}
