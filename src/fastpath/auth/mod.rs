//! Authentication and guards, decided in Rust from the request head before any handler
//! runs or any WebSocket is accepted: a refused request never reaches Python.
//!
//! A route's backends are tried in order; the first whose credentials are present
//! and valid sets the `Identity`. Credentials that are present but bad are a 401 even
//! on an `AllowAny` route (a client sending an expired token wants to know). Then
//! every guard must pass; a route with backends and no guard requires authentication.
//!
//! A Django session is the exception: only Python can read it, so a session backend
//! is tried after the others, and a request it would decide is passed on to Python
//! with a deferred `Identity` and the guards left to run there (`session.rs`). So is
//! a permission guard over a token without a `permissions` claim: every other guard
//! is decided here, and Python asks Django about that user's permissions.

mod api_key;
mod decode;
mod guards;
mod identity;
mod jwt;
mod session;

use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

use super::description::{AuthDescription, GuardDescription};
use crate::body::ResponseBody;
use crate::errors;
use api_key::ApiKeyBackend;
pub use decode::decode_jwt;
use guards::{Denial, Guard};
pub use identity::Identity;
pub use jwt::encode_jwt;
use jwt::{JwtBackend, JwtSettings};
use session::SessionBackend;

enum Backend {
    Jwt(Box<JwtBackend>),
    ApiKey(ApiKeyBackend),
    Session(SessionBackend),
}

/// A backend and the header its credentials come in.
struct Authenticator {
    backend: Backend,
    header: HeaderName,
}

/// A route's auth backends and guards.
pub struct Protection {
    /// In the order declared, except that session backends come last.
    authenticators: Vec<Authenticator>,
    /// Each guard with the `detail` of its 403.
    guards: Vec<(Guard, String)>,
    /// The 401's `WWW-Authenticate` when no credentials are sent: the first declared
    /// backend's.
    challenge: HeaderValue,
}

impl Authenticator {
    /// The credentials the request carries for this backend, if any: the token of an
    /// `Authorization: Bearer` header, or the whole value of any other header.
    fn credentials<'h>(&self, headers: &'h HeaderMap) -> Option<&'h [u8]> {
        if let Backend::Session(session) = &self.backend {
            return session.credentials(headers);
        }
        let value = headers.get(&self.header)?.as_bytes();
        if self.header != header::AUTHORIZATION {
            return Some(value.trim_ascii());
        }
        let (scheme, token) = value.split_at_checked(7)?;
        scheme
            .eq_ignore_ascii_case(b"bearer ")
            .then(|| token.trim_ascii())
    }

    fn authenticate(&self, credentials: &[u8]) -> Result<Identity, String> {
        let text = std::str::from_utf8(credentials).map_err(|_| "Credentials are not text")?;
        match &self.backend {
            Backend::Jwt(jwt) => jwt.authenticate(text),
            Backend::ApiKey(keys) => keys.authenticate(text),
            Backend::Session(_) => Ok(session::deferred()),
        }
    }

    /// The `WWW-Authenticate` challenge of a 401 (RFC 9110; RFC 6750 for bearer tokens).
    fn challenge(&self, invalid: bool) -> HeaderValue {
        match (&self.backend, invalid) {
            (Backend::Jwt(_), false) => HeaderValue::from_static("Bearer"),
            (Backend::Jwt(_), true) => HeaderValue::from_static("Bearer error=\"invalid_token\""),
            (Backend::ApiKey(_), _) => HeaderValue::from_static("ApiKey"),
            (Backend::Session(session), _) => session.challenge(),
        }
    }

    fn is_session(&self) -> bool {
        matches!(self.backend, Backend::Session(_))
    }
}

impl Protection {
    /// Compile a route's `auth` and `guards`; `None` for a route with neither.
    pub fn from_description(
        auth: Vec<AuthDescription>,
        guards: Vec<GuardDescription>,
    ) -> Result<Option<Protection>, String> {
        let authenticators = auth
            .into_iter()
            .map(authenticator)
            .collect::<Result<Vec<_>, _>>()?;
        let guards = guards
            .into_iter()
            .map(|g| {
                let guard = Guard::from_kind(&g.kind, g.permissions.unwrap_or_default())?;
                Ok((guard, g.requirement))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if authenticators.is_empty() && guards.iter().any(|(g, _)| *g != Guard::AllowAny) {
            return Err(
                "guards need an auth backend to identify the client: add auth=[...]".into(),
            );
        }
        Ok(Protection::new(authenticators, guards))
    }

    /// `None` without backends; no guard means authentication is required.
    fn new(
        mut authenticators: Vec<Authenticator>,
        mut guards: Vec<(Guard, String)>,
    ) -> Option<Self> {
        if guards.is_empty() {
            // Never forbids: an identity passes it, and none is a 401.
            guards.push((Guard::IsAuthenticated, String::new()));
        }
        let challenge = authenticators.first()?.challenge(false);
        // Credentials Rust can check are tried before a session, which costs Python.
        authenticators.sort_by_key(Authenticator::is_session);
        Some(Protection {
            authenticators,
            guards,
            challenge,
        })
    }

    /// Who sent the request, or the 401/403 that keeps them out.
    pub fn check(&self, headers: &HeaderMap) -> Result<Option<Identity>, Refusal> {
        let mut failure = None;
        let mut identity = None;
        for authenticator in &self.authenticators {
            let Some(credentials) = authenticator.credentials(headers) else {
                continue;
            };
            if authenticator.is_session() && failure.is_some() {
                break; // a bad token is refused: whether the session is good is unknown
            }
            match authenticator.authenticate(credentials) {
                Ok(found) => {
                    identity = Some(found);
                    break;
                }
                Err(reason) => {
                    failure.get_or_insert((reason, authenticator));
                }
            }
        }
        if let (None, Some((reason, authenticator))) = (&identity, failure) {
            return Err(unauthorized(&reason, authenticator.challenge(true)));
        }
        if identity.as_ref().is_some_and(|found| found.deferred) {
            return Ok(identity); // Python runs the guards against the session's user
        }
        let mut check_permissions = false;
        for (guard, requirement) in &self.guards {
            match guard.check(identity.as_ref()) {
                Ok(()) => {}
                Err(Denial::Undecided) => check_permissions = true,
                Err(Denial::Unauthenticated) => {
                    return Err(unauthorized(
                        "Authentication credentials were not provided",
                        self.challenge.clone(),
                    ));
                }
                Err(Denial::Forbidden) => {
                    return Err(Box::new(errors::detail(StatusCode::FORBIDDEN, requirement)))
                }
            }
        }
        Ok(identity.map(|found| Identity {
            check_permissions,
            ..found
        }))
    }
}

/// The answer to a request auth or a guard keeps out (boxed: it is the rare case).
pub type Refusal = Box<Response<ResponseBody>>;

fn unauthorized(reason: &str, challenge: HeaderValue) -> Refusal {
    let mut response = errors::detail(StatusCode::UNAUTHORIZED, reason);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    Box::new(response)
}

fn authenticator(desc: AuthDescription) -> Result<Authenticator, String> {
    let kind = desc.kind;
    let header = HeaderName::from_bytes(desc.header.to_ascii_lowercase().as_bytes())
        .map_err(|_| format!("{kind}: header is not a valid header name"))?;
    let missing = |key: &str| format!("{kind}: auth description has no {key:?}");
    let backend = match kind.as_str() {
        "jwt" => Backend::Jwt(Box::new(JwtBackend::new(JwtSettings {
            secret: desc.secret.ok_or_else(|| missing("secret"))?,
            algorithms: desc.algorithms.unwrap_or_default(),
            audience: desc.audience.unwrap_or_default(),
            issuer: desc.issuer.unwrap_or_default(),
            leeway: desc.leeway.ok_or_else(|| missing("leeway"))?,
            required_claims: desc.required_claims.unwrap_or_default(),
            token_types: desc.token_types,
            load_user: desc.load_user.ok_or_else(|| missing("load_user"))?,
        })?)),
        "api_key" => Backend::ApiKey(ApiKeyBackend::new(
            desc.keys.ok_or_else(|| missing("keys"))?,
        )?),
        "session" => Backend::Session(SessionBackend::new(
            desc.cookie.ok_or_else(|| missing("cookie"))?,
        )?),
        other => return Err(format!("unknown auth backend kind {other:?}")),
    };
    Ok(Authenticator { backend, header })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protection(guards: Vec<Guard>) -> Protection {
        let session = Authenticator {
            backend: Backend::Session(SessionBackend::new("sessionid".into()).unwrap()),
            header: header::COOKIE,
        };
        let keys = ApiKeyBackend::new(vec![("k1".into(), Vec::new())]).unwrap();
        let api_key = Authenticator {
            backend: Backend::ApiKey(keys),
            header: HeaderName::from_static("x-api-key"),
        };
        let guards = guards.into_iter().map(|g| (g, "denied".into())).collect();
        Protection::new(vec![session, api_key], guards).unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    fn status(checked: Result<Option<Identity>, Refusal>) -> StatusCode {
        checked
            .err()
            .map_or(StatusCode::OK, |refusal| refusal.status())
    }

    #[test]
    fn a_session_cookie_defers_the_guards_to_python() {
        let staff_only = protection(vec![Guard::IsStaff]);
        let Ok(Some(identity)) = staff_only.check(&headers(&[("cookie", "sessionid=abc")])) else {
            panic!("a session cookie is let through");
        };
        assert!(identity.deferred);
        assert_eq!(identity.backend, "session");
    }

    #[test]
    fn keys_are_checked_before_the_session_and_keep_their_guards() {
        let staff_only = protection(vec![Guard::IsStaff]);
        let both = headers(&[("cookie", "sessionid=abc"), ("x-api-key", "k1")]);
        assert_eq!(status(staff_only.check(&both)), StatusCode::FORBIDDEN);
        let open = protection(vec![Guard::AllowAny]);
        let Ok(Some(identity)) = open.check(&both) else {
            panic!("a good key is let in");
        };
        assert_eq!(identity.backend, "api_key");
        // A bad key is refused, whatever the session would say.
        let bad = headers(&[("cookie", "sessionid=abc"), ("x-api-key", "k2")]);
        assert_eq!(status(open.check(&bad)), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn without_credentials_the_first_declared_backend_challenges() {
        let Err(refused) = protection(Vec::new()).check(&HeaderMap::new()) else {
            panic!("no credentials, no entry");
        };
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            refused.headers()[header::WWW_AUTHENTICATE],
            "Session cookie=\"sessionid\""
        );
    }
}
