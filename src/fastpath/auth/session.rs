//! Django sessions: the session lives in Django's session store and the user in its
//! database, so Rust only sees whether the session cookie is there. When it is, the
//! identity is *deferred*: Python loads the session and the user and runs the guards.

use http::{HeaderMap, HeaderValue};

use super::identity::Identity;
use crate::fastpath::cookies;

/// `SessionAuthentication()`, compiled: the name of Django's session cookie.
pub struct SessionBackend {
    cookie: String,
    challenge: HeaderValue,
}

impl SessionBackend {
    pub fn new(cookie: String) -> Result<Self, String> {
        let challenge = HeaderValue::try_from(format!("Session cookie=\"{cookie}\""))
            .ok()
            .filter(|_| !cookie.is_empty() && cookie.bytes().all(is_cookie_name_byte))
            .ok_or_else(|| format!("session: {cookie:?} is not a cookie name"))?;
        Ok(SessionBackend { cookie, challenge })
    }

    /// The session key the request's cookie holds, if any.
    pub fn credentials<'h>(&self, headers: &'h HeaderMap) -> Option<&'h [u8]> {
        cookies::raw(headers, &self.cookie).filter(|value| !value.is_empty())
    }

    pub fn challenge(&self) -> HeaderValue {
        self.challenge.clone()
    }
}

/// The identity of a request with a session cookie, for Python to decide.
pub fn deferred() -> Identity {
    Identity {
        backend: "session",
        deferred: true,
        ..Identity::default()
    }
}

/// RFC 6265's cookie-name: an RFC 9110 token.
pub(super) fn is_cookie_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.append(http::header::COOKIE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_session_cookie_is_the_credential() {
        let backend = SessionBackend::new("sessionid".into()).unwrap();
        let sent = cookies("csrftoken=a; sessionid=k1");
        assert_eq!(backend.credentials(&sent), Some(&b"k1"[..]));
        assert_eq!(backend.credentials(&cookies("sessionid=")), None);
        assert_eq!(backend.credentials(&cookies("xsessionid=k1")), None);
        assert_eq!(backend.credentials(&HeaderMap::new()), None);
    }

    #[test]
    fn cookie_names_must_be_tokens() {
        assert!(SessionBackend::new("".into()).is_err());
        assert!(SessionBackend::new("a b".into()).is_err());
        let backend = SessionBackend::new("my_session".into()).unwrap();
        assert_eq!(backend.challenge(), "Session cookie=\"my_session\"");
    }
}
