//! `Identity`: who authentication found behind a request, and how Python sees it.

use std::fmt;
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use serde_json::{Map, Value};

use crate::conn::Scheme;

/// What a backend learnt from valid credentials. Guards read it in Rust; the handler
/// reads it as `request.auth`. It travels in the request head's extensions.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    /// `"jwt"`, `"api_key"` or `"session"`.
    pub backend: &'static str,
    /// The token's `sub` (or `user_id`) claim: whose `request.user` Python loads.
    pub user_id: Option<String>,
    /// `request.user` is read from the claims (`JWTAuthentication(load_user=False)`),
    /// made by Rust when first read instead of by a Python wrapper on every request.
    pub user_from_claims: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub permissions: Vec<String>,
    /// The credentials name a database user but carry no permissions (a token without
    /// a `permissions` claim): what Rust cannot grant from `permissions`, Django may.
    pub permissions_in_database: bool,
    /// A permission guard Rust could not grant is left to Python, which asks Django
    /// about the user (`django_bolt.permissions`); every other guard passed.
    pub check_permissions: bool,
    /// The API key that authenticated the request (`@rate_limit(key="api_key")`
    /// counts by it); shared with the backend, never copied.
    pub api_key: Option<Arc<str>>,
    /// A JWT's whole payload; `None` for an API key.
    /// Shared: an accepted token's identity is handed out again for its next requests.
    pub claims: Option<Arc<Map<String, Value>>>,
    /// A session cookie Rust cannot verify: Python loads the session and runs the guards.
    pub deferred: bool,
    /// The request's scheme, which the CSRF check of a deferred identity reads.
    pub scheme: Scheme,
    /// For an identity many requests share (a JWT's, remembered with its token), its
    /// `request.auth` made once; see [`Identity::to_py`].
    pub auth_template: Option<Arc<AuthTemplate>>,
}

/// `request.auth` made once from an identity. Each request gets a copy, which reuses
/// the strings and numbers instead of converting the claims again.
pub struct AuthTemplate(PyOnceLock<Py<PyDict>>);

impl Default for AuthTemplate {
    fn default() -> Self {
        AuthTemplate(PyOnceLock::new())
    }
}

impl fmt::Debug for AuthTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthTemplate")
    }
}

impl Identity {
    /// Django's rule: a superuser has every permission.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.is_superuser || self.permissions.iter().any(|p| p == permission)
    }

    /// `{"backend", "user_id", "is_staff", "is_superuser", "permissions", "claims"}`, and
    /// `"deferred"` and `"scheme"` for a session Python has yet to load, and
    /// `"check_permissions"` when Python is to ask Django about the permission guards.
    pub fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let auth = match &self.auth_template {
            Some(template) => {
                let made = template
                    .0
                    .get_or_try_init(py, || Ok::<_, PyErr>(self.made(py)?.unbind()))?;
                fresh_copy(made.bind(py))?
            }
            None => self.made(py)?,
        };
        if self.deferred {
            auth.set_item(intern!(py, "deferred"), true)?;
            auth.set_item(intern!(py, "scheme"), self.scheme.as_str())?;
        }
        if self.check_permissions {
            auth.set_item(intern!(py, "check_permissions"), true)?;
        }
        Ok(auth)
    }

    /// The part of `request.auth` that is the same for every request of this identity.
    fn made<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let auth = PyDict::new(py);
        auth.set_item(intern!(py, "backend"), self.backend)?;
        auth.set_item(intern!(py, "user_id"), &self.user_id)?;
        auth.set_item(intern!(py, "is_staff"), self.is_staff)?;
        auth.set_item(intern!(py, "is_superuser"), self.is_superuser)?;
        auth.set_item(
            intern!(py, "permissions"),
            PyList::new(py, &self.permissions)?,
        )?;
        let claims = match &self.claims {
            Some(claims) => object_to_py(py, claims)?.into_any(),
            None => py.None().into_bound(py),
        };
        auth.set_item(intern!(py, "claims"), claims)?;
        Ok(auth)
    }
}

/// A copy of `dict` in which every dict and list, however deep, is new and only
/// immutable values (str, int, float, bool, None) are shared: what one handler does
/// to its `request.auth` reaches no other request.
fn fresh_copy<'py>(dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let copy = dict.copy()?;
    for (key, value) in dict.iter() {
        if let Some(fresh) = fresh_container(&value)? {
            copy.set_item(key, fresh)?;
        }
    }
    Ok(copy)
}

fn fresh_container<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(Some(fresh_copy(dict)?.into_any()));
    }
    let Ok(list) = value.cast::<PyList>() else {
        return Ok(None);
    };
    let items = list
        .iter()
        .map(|item| Ok(fresh_container(&item)?.unwrap_or(item)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some(PyList::new(value.py(), items)?.into_any()))
}

fn object_to_py<'py>(py: Python<'py>, object: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in object {
        dict.set_item(key, json_to_py(py, value)?)?;
    }
    Ok(dict)
}

fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| json_to_py(py, item))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(object) => object_to_py(py, object)?.into_any(),
    })
}
