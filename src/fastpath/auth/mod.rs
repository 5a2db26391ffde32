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
mod csrf;
mod decode;
mod guards;
mod identity;
mod jwks;
mod jwt;
mod keys;
mod session;
mod verdicts;

use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

use super::description::{AuthDescription, GuardDescription};
use crate::body::ResponseBody;
use crate::conn::ConnInfo;
use crate::errors;
use crate::fastpath::cookies;
use api_key::ApiKeyBackend;
use csrf::OriginCheck;
pub use decode::decode_jwt;
use guards::{Denial, Guard};
pub use identity::Identity;
pub use jwt::encode_jwt;
use jwt::{JwtBackend, JwtSettings, Keys};
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
    /// `JWTAuthentication(cookie=...)`: the cookie read when the header is absent.
    cookie: Option<Box<TokenCookie>>,
}

/// A cookie a token may come in, and the cross-site check of the requests it
/// authenticates (`None` with `csrf=False`).
struct TokenCookie {
    name: String,
    csrf: Option<OriginCheck>,
}

/// Credentials a request carries, and whether a browser attached them by itself.
struct Credentials<'h> {
    value: &'h [u8],
    from_cookie: bool,
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
    /// `Authorization: Bearer` header, or the whole value of any other header, else
    /// the backend's cookie.
    fn credentials<'h>(&self, headers: &'h HeaderMap) -> Option<Credentials<'h>> {
        if let Backend::Session(session) = &self.backend {
            let value = session.credentials(headers)?;
            return Some(Credentials {
                value,
                from_cookie: false, // Python makes Django's own CSRF check
            });
        }
        let from_header = self.header_credentials(headers).map(|value| Credentials {
            value,
            from_cookie: false,
        });
        from_header.or_else(|| {
            let cookie = self.cookie.as_ref()?;
            let value = cookies::raw(headers, &cookie.name).filter(|v| !v.is_empty())?;
            Some(Credentials {
                value,
                from_cookie: true,
            })
        })
    }

    fn header_credentials<'h>(&self, headers: &'h HeaderMap) -> Option<&'h [u8]> {
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

    /// The cross-site check of a request its cookie authenticated (a 403 if it fails).
    fn check_origin(&self, conn: &ConnInfo, head: &http::request::Parts) -> Result<(), Refusal> {
        let check = self.cookie.as_ref().and_then(|cookie| cookie.csrf.as_ref());
        check.map_or(Ok(()), |check| {
            check
                .check(conn, head)
                .map_err(|reason| Box::new(errors::detail(StatusCode::FORBIDDEN, &reason)))
        })
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

    /// Wait for the first fetch of the key sets its JWT backends fetch from a URL, so
    /// that the first requests find keys (a few seconds at most, when it fails).
    pub fn wait_for_keys(&self) {
        for authenticator in &self.authenticators {
            if let Backend::Jwt(jwt) = &authenticator.backend {
                jwt.wait_for_keys();
            }
        }
    }

    /// Who sent the request, or the 401/403 that keeps them out.
    pub fn check(
        &self,
        conn: &ConnInfo,
        head: &http::request::Parts,
    ) -> Result<Option<Identity>, Refusal> {
        let mut failure = None;
        let mut identity = None;
        for authenticator in &self.authenticators {
            let Some(credentials) = authenticator.credentials(&head.headers) else {
                continue;
            };
            if authenticator.is_session() && failure.is_some() {
                break; // a bad token is refused: whether the session is good is unknown
            }
            match authenticator.authenticate(credentials.value) {
                Ok(found) => {
                    if credentials.from_cookie {
                        authenticator.check_origin(conn, head)?;
                    }
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

fn authenticator(mut desc: AuthDescription) -> Result<Authenticator, String> {
    let kind = desc.kind;
    let header = HeaderName::from_bytes(desc.header.to_ascii_lowercase().as_bytes())
        .map_err(|_| format!("{kind}: header is not a valid header name"))?;
    let missing = |key: &str| format!("{kind}: auth description has no {key:?}");
    let mut cookie = None;
    let backend = match kind.as_str() {
        "jwt" => {
            cookie = token_cookie(desc.cookie.take(), desc.csrf, desc.trusted_origins.take())?;
            let keys = match (desc.secret, desc.jwks_url, desc.jwks) {
                (_, Some(url), _) => Keys::Fetched {
                    url,
                    refresh_every: desc.jwks_refresh_interval.unwrap_or(300),
                },
                (_, None, Some(document)) => Keys::Document(document),
                (Some(secret), None, None) => Keys::Secret(secret),
                (None, None, None) => return Err(missing("secret")),
            };
            Backend::Jwt(Box::new(JwtBackend::new(JwtSettings {
                keys,
                algorithms: desc.algorithms.unwrap_or_default(),
                audience: desc.audience.unwrap_or_default(),
                issuer: desc.issuer.unwrap_or_default(),
                leeway: desc.leeway.ok_or_else(|| missing("leeway"))?,
                required_claims: desc.required_claims.unwrap_or_default(),
                token_types: desc.token_types,
                load_user: desc.load_user.ok_or_else(|| missing("load_user"))?,
            })?))
        }
        "api_key" => Backend::ApiKey(ApiKeyBackend::new(
            desc.keys.ok_or_else(|| missing("keys"))?,
        )?),
        "session" => Backend::Session(SessionBackend::new(
            desc.cookie.ok_or_else(|| missing("cookie"))?,
        )?),
        other => return Err(format!("unknown auth backend kind {other:?}")),
    };
    Ok(Authenticator {
        backend,
        header,
        cookie,
    })
}

/// `JWTAuthentication(cookie=..., csrf=...)`, compiled.
fn token_cookie(
    name: Option<String>,
    csrf: Option<bool>,
    trusted_origins: Option<Vec<String>>,
) -> Result<Option<Box<TokenCookie>>, String> {
    let Some(name) = name else {
        return Ok(None);
    };
    if name.is_empty() || !name.bytes().all(session::is_cookie_name_byte) {
        return Err(format!("jwt: {name:?} is not a cookie name"));
    }
    let csrf = match csrf.unwrap_or(true) {
        true => Some(OriginCheck::new(trusted_origins.unwrap_or_default())?),
        false => None,
    };
    Ok(Some(Box::new(TokenCookie { name, csrf })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protection(guards: Vec<Guard>) -> Protection {
        let session = Authenticator {
            backend: Backend::Session(SessionBackend::new("sessionid".into()).unwrap()),
            header: header::COOKIE,
            cookie: None,
        };
        let keys = ApiKeyBackend::new(vec![("k1".into(), Vec::new())]).unwrap();
        let api_key = Authenticator {
            backend: Backend::ApiKey(keys),
            header: HeaderName::from_static("x-api-key"),
            cookie: None,
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

    fn check(protection: &Protection, headers: HeaderMap) -> Result<Option<Identity>, Refusal> {
        let mut head = http::Request::new(()).into_parts().0;
        head.headers = headers;
        let conn = ConnInfo::new(None, None, crate::conn::Scheme::Http, None);
        protection.check(&conn, &head)
    }

    fn status(checked: Result<Option<Identity>, Refusal>) -> StatusCode {
        checked
            .err()
            .map_or(StatusCode::OK, |refusal| refusal.status())
    }

    #[test]
    fn a_session_cookie_defers_the_guards_to_python() {
        let staff_only = protection(vec![Guard::IsStaff]);
        let Ok(Some(identity)) = check(&staff_only, headers(&[("cookie", "sessionid=abc")])) else {
            panic!("a session cookie is let through");
        };
        assert!(identity.deferred);
        assert_eq!(identity.backend, "session");
    }

    #[test]
    fn keys_are_checked_before_the_session_and_keep_their_guards() {
        let staff_only = protection(vec![Guard::IsStaff]);
        let both = headers(&[("cookie", "sessionid=abc"), ("x-api-key", "k1")]);
        assert_eq!(
            status(check(&staff_only, both.clone())),
            StatusCode::FORBIDDEN
        );
        let open = protection(vec![Guard::AllowAny]);
        let Ok(Some(identity)) = check(&open, both) else {
            panic!("a good key is let in");
        };
        assert_eq!(identity.backend, "api_key");
        // A bad key is refused, whatever the session would say.
        let bad = headers(&[("cookie", "sessionid=abc"), ("x-api-key", "k2")]);
        assert_eq!(status(check(&open, bad)), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn without_credentials_the_first_declared_backend_challenges() {
        let Err(refused) = check(&protection(Vec::new()), HeaderMap::new()) else {
            panic!("no credentials, no entry");
        };
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            refused.headers()[header::WWW_AUTHENTICATE],
            "Session cookie=\"sessionid\""
        );
    }
}
