//! CORS for routes declared with `@cors` (or under `BoltAPI(cors=...)`), answered in
//! Rust: a preflight never reaches Python, auth or guards (browsers send it without
//! credentials), and every response of the route says which origin may read it.
//!
//! A preflight from an origin or for a method the route does not allow is refused with
//! 403 and a JSON `detail`; a browser treats it as a failed preflight either way, and
//! the body tells a developer why.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};

use super::description::CorsDescription;
use crate::body::ResponseBody;
use crate::errors;

/// The request headers a preflight allows.
#[derive(Debug)]
enum AllowHeaders {
    /// These (`None`: only the CORS-safelisted ones, which need no permission).
    Listed(Option<HeaderValue>),
    /// Whichever the preflight asks for (`headers=["*"]`).
    Requested,
}

/// One route's CORS policy.
#[derive(Debug)]
pub struct Cors {
    /// `None`: any origin (`*`); only without credentials, which Python checks.
    origins: Option<Vec<HeaderValue>>,
    methods: Vec<Method>,
    allow_methods: HeaderValue,
    allow_headers: AllowHeaders,
    expose_headers: Option<HeaderValue>,
    credentials: bool,
    max_age: Option<HeaderValue>,
}

impl Cors {
    /// Compile the route's `cors` description.
    pub fn from_description(desc: CorsDescription) -> Result<Cors, String> {
        let CorsDescription {
            origins,
            methods,
            headers,
            expose_headers,
            credentials,
            max_age,
        } = desc;
        let methods = methods
            .iter()
            .map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "cors methods must be HTTP methods".to_string())?;
        let max_age = max_age.map(HeaderValue::from);
        let origins = match origins.iter().any(|o| o == "*") {
            true => None,
            false => Some(
                origins
                    .iter()
                    .map(|o| header_value(o, "origin"))
                    .collect::<Result<_, _>>()?,
            ),
        };
        if origins.is_none() && credentials {
            return Err("cors: credentials cannot be allowed to any origin ('*')".into());
        }
        let allow_headers = match headers.iter().any(|h| h == "*") {
            true => AllowHeaders::Requested,
            false => AllowHeaders::Listed(joined(&headers, "headers")?),
        };
        let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
        Ok(Cors {
            origins,
            allow_methods: header_value(&names.join(", "), "methods")?,
            methods,
            allow_headers,
            expose_headers: joined(&expose_headers, "expose_headers")?,
            credentials,
            max_age,
        })
    }

    /// Whether `origin` may read this route's responses.
    fn allows(&self, origin: &HeaderValue) -> bool {
        match &self.origins {
            None => true,
            Some(origins) => origins
                .iter()
                .any(|o| o.as_bytes().eq_ignore_ascii_case(origin.as_bytes())),
        }
    }

    /// `Access-Control-Allow-Origin`: `*` for any origin, else the origin itself.
    fn allow_origin(&self, origin: &HeaderValue) -> HeaderValue {
        match self.origins {
            None => HeaderValue::from_static("*"),
            Some(_) => origin.clone(),
        }
    }

    /// The answer to a preflight (`headers` has `Origin` and
    /// `Access-Control-Request-Method`): 204 with what the route allows, or 403.
    pub fn preflight(&self, headers: &HeaderMap) -> Response<ResponseBody> {
        let origin = headers.get(header::ORIGIN);
        let requested = headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
        let refusal = match (origin, &requested) {
            (Some(origin), _) if !self.allows(origin) => Some("CORS: this origin is not allowed"),
            (_, Some(method)) if self.methods.contains(method) => None,
            _ => Some("CORS: this method is not allowed"),
        };
        let (Some(origin), None) = (origin, refusal) else {
            let mut response = errors::detail(StatusCode::FORBIDDEN, refusal.unwrap_or_default());
            vary_on_origin(response.headers_mut());
            return response;
        };
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let out = response.headers_mut();
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin(origin),
        );
        out.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            self.allow_methods.clone(),
        );
        let requested = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS);
        let allowed = match &self.allow_headers {
            AllowHeaders::Listed(listed) => listed.as_ref(),
            AllowHeaders::Requested => {
                // The answer depends on the request's headers, so caches must know.
                let asked = HeaderValue::from_static("Access-Control-Request-Headers");
                out.append(header::VARY, asked);
                requested
            }
        };
        if let Some(allowed) = allowed {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed.clone());
        }
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(max_age) = &self.max_age {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, max_age.clone());
        }
        vary_on_origin(out);
        response
    }

    /// Mark a response of the route (the handler's, or a refusal from Rust) for the
    /// request's origin, when it is allowed.
    pub fn decorate(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        vary_on_origin(out);
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            self.allow_origin(origin),
        );
        if self.credentials {
            out.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(exposed) = &self.expose_headers {
            out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed.clone());
        }
    }
}

/// A CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. The
/// method it asks about is the route whose policy answers it.
pub fn preflight_method(head: &http::request::Parts) -> Option<Method> {
    if head.method != Method::OPTIONS || !head.headers.contains_key(header::ORIGIN) {
        return None;
    }
    let requested = head.headers.get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    Some(Method::from_bytes(requested.as_bytes()).unwrap_or(Method::OPTIONS))
}

/// Caches must keep one copy per origin: the headers depend on it.
fn vary_on_origin(out: &mut HeaderMap) {
    let already = out
        .get_all(header::VARY)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"));
    if !already {
        out.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn header_value(text: &str, what: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(text).map_err(|_| format!("cors {what}: {text:?} is not header text"))
}

fn joined(items: &[String], what: &str) -> Result<Option<HeaderValue>, String> {
    match items.is_empty() {
        true => Ok(None),
        false => header_value(&items.join(", "), what).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: Option<&[&str]>, credentials: bool) -> Cors {
        Cors {
            origins: origins.map(|o| {
                o.iter()
                    .map(|o| HeaderValue::from_str(o).unwrap())
                    .collect()
            }),
            methods: vec![Method::GET, Method::POST],
            allow_methods: HeaderValue::from_static("GET, POST"),
            allow_headers: AllowHeaders::Listed(Some(HeaderValue::from_static("Authorization"))),
            expose_headers: Some(HeaderValue::from_static("X-Total")),
            credentials,
            max_age: Some(HeaderValue::from(600u64)),
        }
    }

    fn preflight_headers(origin: &str, method: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        headers.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_str(method).unwrap(),
        );
        headers
    }

    #[test]
    fn preflight_from_a_listed_origin_gets_the_policy() {
        let cors = policy(Some(&["https://a.example"]), true);
        let response = cors.preflight(&preflight_headers("https://a.example", "POST"));
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let h = response.headers();
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "GET, POST");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "Authorization");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "600");
        assert_eq!(h[header::VARY], "Origin");
    }

    #[test]
    fn preflight_from_another_origin_or_for_another_method_is_refused() {
        let cors = policy(Some(&["https://a.example"]), false);
        for (origin, method) in [
            ("https://evil.example", "GET"),
            ("https://a.example", "PUT"),
        ] {
            let response = cors.preflight(&preflight_headers(origin, method));
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            assert!(!response
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        }
    }

    #[test]
    fn any_header_is_the_requested_ones() {
        let mut cors = policy(None, false);
        cors.allow_headers = AllowHeaders::Requested;
        let mut headers = preflight_headers("https://b.example", "GET");
        headers.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("content-type, x-trace"),
        );
        let response = cors.preflight(&headers);
        let h = response.headers();
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type, x-trace"
        );
        let vary: Vec<_> = h.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["Access-Control-Request-Headers", "Origin"]);
    }

    #[test]
    fn any_origin_is_a_star() {
        let cors = policy(None, false);
        let mut out = HeaderMap::new();
        cors.decorate(
            Some(&HeaderValue::from_static("https://b.example")),
            &mut out,
        );
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(!out.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }

    #[test]
    fn responses_name_an_allowed_origin_only() {
        let cors = policy(Some(&["https://a.example"]), true);
        let mut out = HeaderMap::new();
        out.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        cors.decorate(
            Some(&HeaderValue::from_static("https://a.example")),
            &mut out,
        );
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://a.example"
        );
        assert_eq!(out[header::ACCESS_CONTROL_EXPOSE_HEADERS], "X-Total");
        assert_eq!(out.get_all(header::VARY).iter().count(), 2);
        let mut other = HeaderMap::new();
        cors.decorate(
            Some(&HeaderValue::from_static("https://c.example")),
            &mut other,
        );
        assert!(!other.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        assert_eq!(other[header::VARY], "Origin");
    }
}
