//! The liveness answer (`/health` by default): the process is up and serving. Answered
//! here, without Python, on a path no Bolt route takes, so a probe gets it even while
//! every Python route is busy, and whatever the request's Host (a probe often sends the
//! pod's address, which `ALLOWED_HOSTS` need not list).

use http::{header, HeaderValue, Method, Response, StatusCode};

use crate::body::ResponseBody;
use crate::errors::json_response;

/// Where the liveness answer is served; `None` turns it off.
#[derive(Clone, Debug, Default)]
pub struct Health {
    path: Option<Box<str>>,
}

impl Health {
    /// Served at `path`; an empty path turns it off.
    pub fn at(path: &str) -> Result<Self, String> {
        if path.is_empty() {
            return Ok(Health { path: None });
        }
        if !path.starts_with('/') {
            return Err(format!("health path {path:?} must start with '/'"));
        }
        Ok(Health {
            path: Some(path.into()),
        })
    }

    /// `{"status":"ok"}` for a GET or HEAD of the path (HEAD loses the body later).
    pub fn answer(&self, head: &http::request::Parts) -> Option<Response<ResponseBody>> {
        let path = self.path.as_deref()?;
        let method = &head.method;
        if (method != Method::GET && method != Method::HEAD) || head.uri.path() != path {
            return None;
        }
        let mut response = json_response(StatusCode::OK, "{\"status\":\"ok\"}".to_owned());
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, target: &str) -> http::request::Parts {
        let request = http::Request::builder().method(method).uri(target);
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn answers_get_and_head_of_its_path_only() {
        let health = Health::at("/health").unwrap();
        for method in ["GET", "HEAD"] {
            let response = health.answer(&head(method, "/health?probe=1")).unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert!(health.answer(&head("POST", "/health")).is_none());
        assert!(health.answer(&head("GET", "/health/")).is_none());
        assert!(health.answer(&head("GET", "/healthz")).is_none());
    }

    #[test]
    fn an_empty_path_turns_it_off_and_a_relative_one_is_refused() {
        let off = Health::at("").unwrap();
        assert!(off.answer(&head("GET", "/health")).is_none());
        assert!(Health::at("health").is_err());
    }
}
