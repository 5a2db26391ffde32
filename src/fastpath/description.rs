//! The route contract: the descriptions `django_bolt.routing` hands to `RouteTable`,
//! as typed structs read by pyo3's `FromPyObject` derive from Python dicts.
//!
//! Every dict is read through [`Strict`], which refuses a key its struct does not
//! declare: a misspelt optional key would otherwise read as absent and silently turn
//! its feature off. The structs say only what Python sends; what the values mean is
//! checked where they are compiled (`router.rs`, `params.rs`, `form.rs`, `auth/`,
//! `cors.rs`, `rate_limit.rs`, `compression/`). Python writes these dicts in
//! `django_bolt/routing/_description.py` and the `describe()` methods it calls.
//!
//! An optional key may be absent or `None`, as Python sends most of them.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// The keys a description struct reads, for [`Strict`] to refuse any other.
pub trait Keys {
    /// What the dict describes, for errors: "a parameter", "cors".
    const WHAT: &'static str;
    /// The field names, as `stringify!` spells them (`r#type` for `type`).
    const KEYS: &'static [&'static str];
}

/// Declares a description: a struct pyo3 reads item by item from a dict, and its
/// [`Keys`], taken from the same field list so that the two cannot drift apart.
macro_rules! description {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ($what:literal) {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(FromPyObject)]
        #[pyo3(from_item_all)]
        $vis struct $name {
            $( $(#[$field_meta])* pub $field: $ty ),*
        }

        impl Keys for $name {
            const WHAT: &'static str = $what;
            const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// `T`, read from a dict that has no key `T` does not declare.
pub struct Strict<T>(pub T);

impl<'a, 'py, T: Keys + FromPyObject<'a, 'py>> FromPyObject<'a, 'py> for Strict<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        check_keys(&obj, T::WHAT, &[T::KEYS])?;
        obj.extract::<T>().map(Strict).map_err(Into::into)
    }
}

/// Refuse the first key of `dict` that none of `known` lists, naming it and what the
/// dict describes (and its `name`, when it has one).
fn check_keys(dict: &Bound<'_, PyAny>, what: &str, known: &[&[&'static str]]) -> PyResult<()> {
    let dict = dict
        .cast::<PyDict>()
        .map_err(|_| PyValueError::new_err(format!("{what} must be a dict")))?;
    let known = || {
        known
            .iter()
            .flat_map(|keys| keys.iter())
            .map(|key| key.trim_start_matches("r#"))
    };
    for key in dict.keys() {
        let key = key.extract::<String>().unwrap_or_else(|_| key.to_string());
        if !known().any(|k| k == key) {
            let named = match dict.get_item("name").ok().flatten() {
                Some(name) if name.is_instance_of::<PyString>() => format!(" {name}"),
                _ => String::new(),
            };
            let keys = known().collect::<Vec<_>>().join(", ");
            return Err(PyValueError::new_err(format!(
                "{what}{named} has an unknown key {key:?} (known: {keys})"
            )));
        }
    }
    Ok(())
}

/// Python's truth value, for the flags Python may send as any object.
fn truthy(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    value.is_truthy()
}

/// The message of `err` and of each error that caused it, `: `-joined: pyo3's derive
/// wraps a field's error in one naming only the field.
pub fn explain(py: Python<'_>, err: &PyErr) -> String {
    let mut message = err.value(py).to_string();
    let mut cause = err.cause(py);
    while let Some(err) = cause {
        message.push_str(": ");
        message.push_str(&err.value(py).to_string());
        cause = err.cause(py);
    }
    message
}

description! {
    /// What both kinds of route describe: where they are and what they read.
    pub struct CommonDescription ("a route") {
        /// `module.function`, for errors and logs.
        pub name: String,
        pub path: String,
        /// Path, query, header, cookie and form parameters, and files.
        pub params: Vec<Strict<ParamDescription>>,
        #[pyo3(default)]
        pub structs: Vec<Strict<StructDescription>>,
        #[pyo3(default)]
        pub auth: Option<Vec<Strict<AuthDescription>>>,
        #[pyo3(default)]
        pub guards: Option<Vec<Strict<GuardDescription>>>,
        #[pyo3(default)]
        pub rate_limit: Option<Strict<RateLimitDescription>>,
    }
}

description! {
    /// What an HTTP route describes beyond [`CommonDescription`].
    pub struct HttpDescription ("a route") {
        pub method: String,
        pub handler: Py<PyAny>,
        #[pyo3(from_py_with = truthy)]
        pub is_async: bool,
        pub status_code: u16,
        pub finalize: Py<PyAny>,
        pub on_error: Py<PyAny>,
        #[pyo3(default)]
        pub body_loader: Option<Py<PyAny>>,
        #[pyo3(default, from_py_with = truthy)]
        pub body_loader_reads_query: bool,
        #[pyo3(default)]
        /// The keyword that receives the `Request`.
        pub request_param: Option<Py<PyString>>,
        #[pyo3(default)]
        pub encode: Option<Py<PyAny>>,
        #[pyo3(default)]
        pub compression: Option<Strict<CompressionDescription>>,
        #[pyo3(default)]
        pub cors: Option<Strict<CorsDescription>>,
    }
}

description! {
    /// What a WebSocket route describes beyond [`CommonDescription`]; its `websocket`
    /// is what makes the table read it as one.
    pub struct WebSocketDescription ("a WebSocket route") {
        #[pyo3(from_py_with = truthy)]
        pub websocket: bool,
        /// `entry(channel, request, client, url, kwargs)`.
        pub handler: Py<PyAny>,
    }
}

/// A whole route description: the common part and its kind's, read from one dict
/// with the keys of both allowed.
pub struct Described<T> {
    pub common: CommonDescription,
    pub kind: T,
}

impl<'a, 'py, T: Keys + for<'b> FromPyObject<'b, 'py>> FromPyObject<'a, 'py> for Described<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        check_keys(&obj, T::WHAT, &[CommonDescription::KEYS, T::KEYS])?;
        Ok(Described {
            common: obj.extract()?,
            kind: obj.extract::<T>().map_err(Into::<PyErr>::into)?,
        })
    }
}

description! {
    /// One parameter (`Param.describe()`): a value read from the request, or a file
    /// (`source` `"file"`), whose keys are the file constraints.
    pub struct ParamDescription ("a parameter") {
        pub name: String,
        #[pyo3(default)]
        pub source: Option<String>,
        #[pyo3(default)]
        pub r#type: Option<String>,
        #[pyo3(default, from_py_with = truthy_or_required)]
        pub required: bool,
        #[pyo3(default)]
        pub default: Option<Py<PyAny>>,
        #[pyo3(default, from_py_with = truthy)]
        pub multi: bool,
        #[pyo3(default)]
        pub alias: Option<String>,
        /// The Struct parameter this is a field of.
        #[pyo3(default)]
        pub group: Option<usize>,
        /// Turns checked text into its object (or the parts of a file into an
        /// `UploadFile`).
        #[pyo3(default)]
        pub convert: Option<Py<PyAny>>,
        /// For a `choice`: each accepted text and the value it stands for.
        #[pyo3(default)]
        pub choices: Option<Vec<(String, Py<PyAny>)>>,
        #[pyo3(default)]
        pub ge: Option<f64>,
        #[pyo3(default)]
        pub gt: Option<f64>,
        #[pyo3(default)]
        pub le: Option<f64>,
        #[pyo3(default)]
        pub lt: Option<f64>,
        #[pyo3(default)]
        pub min_length: Option<usize>,
        #[pyo3(default)]
        pub max_length: Option<usize>,
        #[pyo3(default)]
        pub pattern: Option<String>,
        #[pyo3(default)]
        pub max_size: Option<u64>,
        #[pyo3(default)]
        pub allowed_types: Option<Vec<String>>,
        #[pyo3(default)]
        pub max_files: Option<usize>,
    }
}

/// `required`: true when absent; `None` counts as absent, as for every optional key.
fn truthy_or_required(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    match value.is_none() {
        true => Ok(true),
        false => value.is_truthy(),
    }
}

description! {
    /// A `msgspec.Struct` argument built from fields read as parameters.
    pub struct StructDescription ("a struct parameter") {
        pub name: Py<PyString>,
        /// `build(**fields) -> Struct`.
        pub build: Py<PyAny>,
    }
}

description! {
    /// An auth backend (`AuthBackend.describe()`): `kind` says which of the other keys
    /// it needs.
    pub struct AuthDescription ("an auth backend") {
        pub kind: String,
        pub header: String,
        #[pyo3(default)]
        pub secret: Option<Vec<u8>>,
        #[pyo3(default)]
        pub algorithms: Option<Vec<String>>,
        #[pyo3(default)]
        pub audience: Option<Vec<String>>,
        #[pyo3(default)]
        pub issuer: Option<Vec<String>>,
        #[pyo3(default)]
        pub leeway: Option<u64>,
        #[pyo3(default)]
        pub required_claims: Option<Vec<String>>,
        #[pyo3(default)]
        pub token_types: Option<Vec<String>>,
        #[pyo3(default, from_py_with = optional_truthy)]
        pub load_user: Option<bool>,
        #[pyo3(default)]
        pub keys: Option<Vec<(String, Vec<String>)>>,
        #[pyo3(default)]
        pub cookie: Option<String>,
        #[pyo3(default, from_py_with = optional_truthy)]
        pub csrf: Option<bool>,
        #[pyo3(default)]
        pub trusted_origins: Option<Vec<String>>,
        #[pyo3(default)]
        pub jwks_url: Option<String>,
        #[pyo3(default)]
        pub jwks: Option<String>,
        #[pyo3(default)]
        pub jwks_refresh_interval: Option<u64>,
    }
}

/// A flag that may be absent: `None` is absent, anything else its truth value.
fn optional_truthy(value: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    match value.is_none() {
        true => Ok(None),
        false => value.is_truthy().map(Some),
    }
}

description! {
    /// A guard (`Guard.describe()`) and the `detail` of its 403.
    pub struct GuardDescription ("a guard") {
        pub kind: String,
        pub requirement: String,
        #[pyo3(default)]
        pub permissions: Option<Vec<String>>,
    }
}

description! {
    /// `@cors` or the API's `CORSConfig.describe()`.
    pub struct CorsDescription ("cors") {
        pub origins: Vec<String>,
        #[pyo3(default)]
        pub methods: Vec<String>,
        #[pyo3(default)]
        pub headers: Vec<String>,
        #[pyo3(default)]
        pub expose_headers: Vec<String>,
        #[pyo3(default, from_py_with = truthy)]
        pub credentials: bool,
        #[pyo3(default)]
        pub max_age: Option<u64>,
    }
}

description! {
    /// `@rate_limit(...)`.
    pub struct RateLimitDescription ("rate_limit") {
        pub rps: f64,
        pub burst: f64,
        #[pyo3(default)]
        pub key: Option<String>,
        #[pyo3(default)]
        pub ipv6_prefix: Option<u8>,
        #[pyo3(default)]
        pub max_clients: Option<usize>,
        /// A Redis URL: the buckets are shared there. `None`: in this process.
        #[pyo3(default)]
        pub backend: Option<String>,
        /// `"open"` or `"closed"`: what requests get while that Redis is unreachable.
        #[pyo3(default)]
        pub failure: Option<String>,
        /// Seconds a request waits for Redis at most.
        #[pyo3(default)]
        pub timeout: Option<f64>,
    }
}

description! {
    /// The API's `CompressionConfig.describe()`.
    pub struct CompressionDescription ("compression") {
        /// Offered codings, most preferred first.
        pub encodings: Vec<String>,
        pub minimum_size: i64,
        pub gzip_level: i32,
        pub brotli_quality: i32,
        pub zstd_level: i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval<'py>(py: Python<'py>, code: &str) -> Bound<'py, PyAny> {
        let code = std::ffi::CString::new(code).expect("no NUL");
        py.eval(&code, None, None).expect("valid Python")
    }

    /// A route description as Python writes it, with `extra` keys added or replaced.
    fn route<'py>(py: Python<'py>, extra: &str) -> Bound<'py, PyAny> {
        eval(
            py,
            &format!(
                "{{'name': 'app.view', 'path': '/items/{{id}}', 'method': 'GET', \
                 'handler': len, 'is_async': False, 'status_code': 200, 'finalize': len, \
                 'on_error': len, 'structs': [], 'auth': [], 'guards': [], \
                 'params': [{{'name': 'id', 'source': 'path', 'type': 'int', 'required': True}}], \
                 {extra}}}"
            ),
        )
    }

    fn refusal(desc: &Bound<'_, PyAny>) -> String {
        let err = desc
            .extract::<Described<HttpDescription>>()
            .err()
            .expect("refused");
        explain(desc.py(), &err)
    }

    #[test]
    fn a_valid_description_is_read() {
        Python::initialize();
        Python::attach(|py| {
            let desc = route(py, "'rate_limit': {'rps': 5.0, 'burst': 10}, 'cors': None");
            let described = desc.extract::<Described<HttpDescription>>().expect("read");
            assert_eq!(described.common.name, "app.view");
            assert_eq!(described.common.params[0].0.r#type.as_deref(), Some("int"));
            assert_eq!(described.common.rate_limit.expect("a limit").0.rps, 5.0);
            assert!(described.kind.cors.is_none());
            assert!(!described.kind.body_loader_reads_query, "absent is false");
        });
    }

    /// A misspelt optional key used to read as absent: the route ran without its limit.
    #[test]
    fn a_misspelt_key_is_refused_by_name() {
        Python::initialize();
        Python::attach(|py| {
            let err = refusal(&route(py, "'rate_limt': {'rps': 5.0, 'burst': 10}"));
            assert!(
                err.contains("a route app.view has an unknown key \"rate_limt\""),
                "{err}"
            );
            let err = refusal(&route(py, "'rate_limit': {'rps': 5.0, 'burts': 10}"));
            assert!(
                err.contains("rate_limit has an unknown key \"burts\""),
                "{err}"
            );
            let err = refusal(&route(py, "'cors': {'origins': ['*'], 'maxage': 5}"));
            assert!(err.contains("cors has an unknown key \"maxage\""), "{err}");
            let desc = route(py, "'websocket': False");
            assert!(refusal(&desc).contains("unknown key \"websocket\""));
        });
    }

    #[test]
    fn a_misspelt_key_of_a_parameter_or_guard_is_refused() {
        Python::initialize();
        Python::attach(|py| {
            let param = "{'name': 'q', 'source': 'query', 'type': 'str', 'min_lenght': 3}";
            let err = refusal(&route(py, &format!("'params': [{param}]")));
            assert!(
                err.contains("a parameter q has an unknown key \"min_lenght\""),
                "{err}"
            );
            let guard = "{'kind': 'is_staff', 'requirement': 'staff', 'permission': ['a']}";
            let err = refusal(&route(py, &format!("'guards': [{guard}]")));
            assert!(
                err.contains("a guard has an unknown key \"permission\""),
                "{err}"
            );
        });
    }
}
