//! `Request`: the request itself, for a handler that asks for it (a parameter named
//! `request`, or annotated `Request`). Built only then; each attribute is made from the
//! head when it is read.

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict};

#[pyclass(frozen, module = "django_bolt._core")]
pub struct Request {
    head: http::request::Parts,
    body: Bytes,
    /// Made when first read: most handlers never touch it.
    state: PyOnceLock<Py<PyDict>>,
    /// Set by authentication; an anonymous user, made when first read, until then.
    user: Mutex<Option<Py<PyAny>>>,
    /// What authentication learnt (`Identity::to_py`); an empty dict without it.
    auth: Mutex<Option<Py<PyAny>>>,
}

impl Request {
    fn conn(&self) -> Option<&crate::conn::ConnInfo> {
        self.head
            .extensions
            .get::<std::sync::Arc<crate::conn::ConnInfo>>()
            .map(|c| &**c)
    }

    pub fn new(head: http::request::Parts, body: Bytes) -> Self {
        Request {
            head,
            body,
            state: PyOnceLock::new(),
            user: Mutex::new(None),
            auth: Mutex::new(None),
        }
    }
}

#[pymethods]
impl Request {
    /// `Request[User, Claims, State]`, as code written for the original django-bolt
    /// annotates a handler: the same class to the server, a generic alias to type
    /// checkers.
    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, pyo3::types::PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        py.import("types")?
            .getattr("GenericAlias")?
            .call1((cls, item))
    }

    #[getter]
    fn method(&self) -> &str {
        self.head.method.as_str()
    }

    /// The path, percent-decoded.
    #[getter]
    fn path(&self) -> String {
        percent_encoding::percent_decode_str(self.head.uri.path())
            .decode_utf8_lossy()
            .into_owned()
    }

    #[getter]
    fn query_string(&self) -> &str {
        self.head.uri.query().unwrap_or("")
    }

    /// `https` on a TLS connection (or one a trusted proxy said was), else `http`.
    #[getter]
    fn scheme(&self) -> &'static str {
        self.conn().map_or("http", |conn| conn.scheme.as_str())
    }

    /// The client's `(address, port)` (after a trusted proxy's word), or None when
    /// unknown (under the TestClient).
    #[getter]
    fn client(&self) -> Option<(String, u16)> {
        let addr = self.conn()?.client?;
        Some((addr.ip().to_string(), addr.port()))
    }

    /// The host the client asked for: HTTP/2's and HTTP/3's `:authority`, else `Host`.
    #[getter]
    fn host(&self) -> Option<&str> {
        let authority = self.head.uri.authority().map(|a| a.as_str());
        authority.or_else(|| self.head.headers.get(http::header::HOST)?.to_str().ok())
    }

    /// Headers by lower-case name; repeated headers joined with ", ".
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let headers = PyDict::new(py);
        for name in self.head.headers.keys() {
            let values: Vec<String> = self
                .head
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            headers.set_item(name.as_str(), values.join(", "))?;
        }
        Ok(headers)
    }

    /// Query parameters (the last value of a repeated one).
    #[getter]
    fn query<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let query = PyDict::new(py);
        for (key, value) in form_urlencoded::parse(self.query_string().as_bytes()) {
            query.set_item(key.as_ref(), value.as_ref())?;
        }
        Ok(query)
    }

    /// Cookies as Django's `request.COOKIES` has them (see `cookies.rs`).
    #[getter]
    fn cookies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let cookies = PyDict::new(py);
        for (name, value) in super::cookies::parse(&self.head.headers) {
            cookies.set_item(name, value)?;
        }
        Ok(cookies)
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body)
    }

    /// A dict for this request only: middleware and dependencies share data through it.
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyDict> {
        self.state
            .get_or_init(py, || PyDict::new(py).unbind())
            .clone_ref(py)
    }

    /// The authenticated user: set before the handler when it comes from the database
    /// or a session, made here from the token when it comes from the claims
    /// (`django_bolt.users.TokenUser`); without authentication an anonymous one
    /// (`django_bolt.users.anonymous_user`).
    #[getter]
    fn user(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        static ANONYMOUS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        static TOKEN_USER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let identity = self.head.extensions.get::<super::auth::Identity>();
        stored_or(py, &self.user, || match identity {
            Some(identity) if identity.user_from_claims => TOKEN_USER
                .import(py, "django_bolt.users", "TokenUser")?
                .call1((self.auth(py)?,)),
            _ => ANONYMOUS
                .import(py, "django_bolt.users", "anonymous_user")?
                .call0(),
        })
    }

    #[setter]
    fn set_user(&self, user: Py<PyAny>) {
        *self.user.lock() = Some(user);
    }

    #[getter]
    fn auth(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        stored_or(py, &self.auth, || {
            match self.head.extensions.get::<super::auth::Identity>() {
                Some(identity) => Ok(identity.to_py(py)?.into_any()),
                None => Ok(PyDict::new(py).into_any()),
            }
        })
    }

    #[setter]
    fn set_auth(&self, auth: Py<PyAny>) {
        *self.auth.lock() = Some(auth);
    }

    /// Any other attribute is read from `state`: what Django middleware sets on its
    /// request (`session`, `LANGUAGE_CODE`, a tenant, ...) reaches the handler as
    /// `request.<name>`, as it would on Django's request.
    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let value = match self.state.get(py) {
            Some(state) => state.bind(py).get_item(name)?,
            None => None,
        };
        match value {
            Some(value) => Ok(value.unbind()),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "'Request' object has no attribute '{name}'"
            ))),
        }
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.head.method, self.head.uri)
    }
}

/// The value in `slot`, or a new one from `make`, kept so later reads see the same object.
fn stored_or<'py>(
    py: Python<'py>,
    slot: &Mutex<Option<Py<PyAny>>>,
    make: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Py<PyAny>> {
    if let Some(value) = &*slot.lock() {
        return Ok(value.clone_ref(py));
    }
    let made = make()?.unbind();
    // Another thread may have set it while `make` ran Python: that value wins.
    Ok(slot.lock().get_or_insert(made).clone_ref(py))
}
