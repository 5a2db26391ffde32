//! Parameters a route declares, read from the request and coerced to their types in
//! Rust, so a wrong value is answered with 422 without touching Python.

use std::borrow::Cow;
use std::num::IntErrorKind;

use http::HeaderMap;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::description::{ParamDescription, StructDescription};
use super::formats;
use crate::errors::FieldError;

/// Where a parameter's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Path,
    Query,
    Header,
    Cookie,
    /// A field of an urlencoded or multipart form body.
    Form,
}

impl Source {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "path" => Source::Path,
            "query" => Source::Query,
            "header" => Source::Header,
            "cookie" => Source::Cookie,
            "form" => Source::Form,
            other => return Err(format!("unknown parameter source {other:?}")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Form => "form",
        }
    }
}

/// The scalar types coerced in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    Bool,
    /// Checked here, turned into `decimal.Decimal` by the param's converter.
    Decimal,
    Uuid,
    Date,
    DateTime,
    Time,
    /// One of a fixed set of values (an Enum or a Literal).
    Choice,
}

impl Kind {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "str" => Kind::Str,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "bool" => Kind::Bool,
            "decimal" => Kind::Decimal,
            "uuid" => Kind::Uuid,
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            "time" => Kind::Time,
            "choice" => Kind::Choice,
            other => {
                return Err(format!(
                    "type {other:?} cannot be read from the request in Rust"
                ))
            }
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Str => "str",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::Decimal => "decimal",
            Kind::Uuid => "uuid",
            Kind::Date => "date",
            Kind::DateTime => "datetime",
            Kind::Time => "time",
            Kind::Choice => "choice",
        }
    }
}

/// Bounds checked after coercion: numeric for numbers, length for strings.
#[derive(Clone, Debug, Default)]
pub struct Constraints {
    pub ge: Option<f64>,
    pub gt: Option<f64>,
    pub le: Option<f64>,
    pub lt: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// A regular expression the whole string must match.
    pub pattern: Option<regex::Regex>,
}

impl Constraints {
    fn check_number(&self, n: f64) -> Result<(), String> {
        let failed = [
            (self.ge.filter(|b| n < *b), "greater than or equal to"),
            (self.gt.filter(|b| n <= *b), "greater than"),
            (self.le.filter(|b| n > *b), "less than or equal to"),
            (self.lt.filter(|b| n >= *b), "less than"),
        ];
        match failed
            .into_iter()
            .find_map(|(bound, what)| bound.map(|b| (b, what)))
        {
            Some((bound, what)) => Err(format!("Expected a value {what} {bound}")),
            None => Ok(()),
        }
    }

    fn check_length(&self, s: &str) -> Result<(), String> {
        let len = s.chars().count();
        if let Some(min) = self.min_length.filter(|m| len < *m) {
            return Err(format!("Expected a string of length >= {min}"));
        }
        if let Some(max) = self.max_length.filter(|m| len > *m) {
            return Err(format!("Expected a string of length <= {max}"));
        }
        match &self.pattern {
            Some(pattern) if !pattern.is_match(s) => Err(format!(
                "Expected a string matching the pattern `{}`",
                pattern.as_str()
            )),
            _ => Ok(()),
        }
    }
}

/// One declared parameter, validated at registration.
pub struct ParamSpec {
    /// The handler's keyword.
    pub name: Py<PyString>,
    /// The name in the request (alias, or the name; lower-case for headers).
    pub key: String,
    pub source: Source,
    pub kind: Kind,
    /// Used when the value is absent; a required parameter has none.
    pub default: Option<Py<PyAny>>,
    pub constraints: Constraints,
    /// Every occurrence is read (`list[int]` from `?id=1&id=2`), not only the first.
    pub multi: bool,
    /// Turns checked text into the Python object (Decimal, UUID, dates and times).
    pub convert: Option<Py<PyAny>>,
    /// For [`Kind::Choice`]: each accepted text and the value it stands for.
    pub choices: Vec<(String, Py<PyAny>)>,
    /// The Struct parameter (index into the route's structs) this is a field of.
    pub group: Option<usize>,
}

/// A value read and coerced, not yet a Python object.
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Text in a checked format, converted in Python.
    Text(String),
    /// The index of a choice.
    Choice(usize),
    List(Vec<Value>),
    Default,
}

impl ParamSpec {
    /// Compile a parameter's description, checking that it can be read as declared.
    pub fn from_description(py: Python<'_>, desc: ParamDescription) -> Result<Self, String> {
        let ParamDescription {
            name,
            source,
            r#type,
            required,
            default,
            multi,
            alias,
            group,
            convert,
            choices,
            ge,
            gt,
            le,
            lt,
            min_length,
            max_length,
            pattern,
            ..
        } = desc;
        let source = Source::parse(&source.unwrap_or_default())?;
        let kind = Kind::parse(&r#type.unwrap_or_default())
            .map_err(|e| format!("parameter {name:?}: {e}"))?;
        let mut key = alias.unwrap_or_else(|| name.clone());
        if source == Source::Header {
            key = key.to_ascii_lowercase().replace('_', "-");
        }
        if multi && !matches!(source, Source::Query | Source::Form) {
            return Err(format!(
                "parameter {name:?}: only query and form parameters can take several values"
            ));
        }
        let choices = choices.unwrap_or_default();
        let needs_convert = matches!(
            kind,
            Kind::Decimal | Kind::Uuid | Kind::Date | Kind::DateTime | Kind::Time
        );
        if needs_convert && convert.is_none() {
            return Err(format!(
                "parameter {name:?}: a {} needs a converter",
                kind.as_str()
            ));
        }
        if kind == Kind::Choice && choices.is_empty() {
            return Err(format!("parameter {name:?}: a choice needs its choices"));
        }
        let default = (!required).then(|| default.unwrap_or_else(|| py.None()));
        Ok(ParamSpec {
            name: PyString::intern(py, &name).unbind(),
            key,
            source,
            kind,
            default,
            multi,
            convert,
            choices,
            group,
            constraints: Constraints {
                ge,
                gt,
                le,
                lt,
                min_length,
                max_length,
                pattern: pattern
                    // Search semantics, as msgspec.Meta(pattern=): anchor with ^ and $.
                    .map(|source| regex::Regex::new(&source))
                    .transpose()
                    .map_err(|e| format!("parameter {name:?}: pattern: {e}"))?,
            },
        })
    }

    fn error(&self, msg: impl Into<String>, kind: &'static str) -> FieldError {
        FieldError {
            location: self.source.as_str(),
            name: self.key.clone(),
            message: msg.into(),
            kind,
        }
    }

    /// Coerce one raw value (already percent-decoded) and check its constraints.
    pub fn coerce(&self, raw: &str) -> Result<Value, FieldError> {
        let invalid = || {
            self.error(
                format!("Expected `{}`, got `{}`", self.kind.as_str(), shown(raw)),
                "type_error",
            )
        };
        let out_of_range = |bounds: String| self.error(bounds, "value_error");
        let value = match self.kind {
            Kind::Str => Value::Str(raw.to_owned()),
            Kind::Int => match raw.trim().parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(err)
                    if matches!(
                        err.kind(),
                        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
                    ) =>
                {
                    return Err(out_of_range(format!(
                        "Expected an integer from {} to {}",
                        i64::MIN,
                        i64::MAX
                    )))
                }
                Err(_) => return Err(invalid()),
            },
            Kind::Float => match raw.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Float(n),
                // `inf`, `nan`, or a number past f64's range (`1e400`).
                Ok(_) => {
                    return Err(out_of_range(format!(
                        "Expected a finite float, got `{}`",
                        shown(raw)
                    )))
                }
                Err(_) => return Err(invalid()),
            },
            Kind::Decimal
                if formats::is_decimal(raw.trim()) && !formats::is_bounded_decimal(raw.trim()) =>
            {
                return Err(out_of_range(format!(
                    "Expected a decimal of at most {} digits and an exponent from -{1} to {1}",
                    formats::MAX_DECIMAL_DIGITS,
                    formats::MAX_DECIMAL_EXPONENT,
                )))
            }
            Kind::Bool => Value::Bool(parse_bool(raw).ok_or_else(invalid)?),
            Kind::Decimal | Kind::Uuid | Kind::Date | Kind::DateTime | Kind::Time => {
                let text = raw.trim();
                let valid = match self.kind {
                    Kind::Decimal => formats::is_decimal(text),
                    Kind::Uuid => formats::is_uuid(text),
                    Kind::Date => formats::is_date(text),
                    Kind::DateTime => formats::is_datetime(text),
                    _ => formats::is_time(text),
                };
                if !valid {
                    return Err(invalid());
                }
                Value::Text(text.to_owned())
            }
            Kind::Choice => match self.choices.iter().position(|(text, _)| text == raw) {
                Some(index) => Value::Choice(index),
                None => {
                    let allowed: Vec<&str> = self.choices.iter().map(|(t, _)| t.as_str()).collect();
                    return Err(self.error(
                        format!(
                            "Expected one of `{}`, got `{}`",
                            allowed.join("`, `"),
                            shown(raw)
                        ),
                        "enum",
                    ));
                }
            },
        };
        let checked = match &value {
            Value::Str(s) => self.constraints.check_length(s),
            Value::Int(n) => self.constraints.check_number(*n as f64),
            Value::Float(n) => self.constraints.check_number(*n),
            Value::Text(t) if self.kind == Kind::Decimal => match t.parse::<f64>() {
                Ok(n) => self.constraints.check_number(n),
                Err(_) => Ok(()),
            },
            _ => Ok(()),
        };
        checked.map_err(|msg| self.error(msg, "constraint_error"))?;
        Ok(value)
    }

    /// The value for an absent parameter: its default, or a "missing" error.
    pub fn absent(&self) -> Result<Value, FieldError> {
        match self.default {
            Some(_) => Ok(Value::Default),
            None => Err(self.error("Field required", "missing")),
        }
    }

    pub fn to_py<'py>(&self, py: Python<'py>, value: Value) -> PyResult<Bound<'py, PyAny>> {
        use pyo3::IntoPyObjectExt;
        match value {
            Value::Str(s) => s.into_bound_py_any(py),
            Value::Int(n) => n.into_bound_py_any(py),
            Value::Float(n) => n.into_bound_py_any(py),
            Value::Bool(b) => b.into_bound_py_any(py),
            Value::Text(text) => match &self.convert {
                Some(convert) => convert.bind(py).call1((text,)),
                None => text.into_bound_py_any(py),
            },
            Value::Choice(index) => Ok(self.choices[index].1.bind(py).clone()),
            Value::List(items) => {
                let list = pyo3::types::PyList::empty(py);
                for item in items {
                    list.append(self.to_py(py, item)?)?;
                }
                Ok(list.into_any())
            }
            Value::Default => Ok(self
                .default
                .as_ref()
                .map_or_else(|| py.None().into_bound(py), |d| d.bind(py).clone())),
        }
    }
}

/// Characters of a bad value echoed in its error: enough to recognise it, not a copy
/// of a value as long as the request allows.
const SHOWN_CHARS: usize = 64;

/// `raw`, cut to [`SHOWN_CHARS`] characters (marked with `…` when it was longer).
fn shown(raw: &str) -> Cow<'_, str> {
    match raw.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => Cow::Owned(format!("{}…", &raw[..at])),
        None => Cow::Borrowed(raw),
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The request's parts that parameters are read from, parsed once per request.
pub struct RequestParts<'a> {
    pub path_params: Vec<(&'a str, Cow<'a, str>)>,
    pub query: Pairs<'a>,
    pub headers: &'a HeaderMap,
    /// The text fields of a form body, once it has been read.
    pub form: Pairs<'a>,
}

impl<'a> RequestParts<'a> {
    pub fn new(
        path_params: Vec<(&'a str, Cow<'a, str>)>,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
    ) -> Self {
        let query = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
            .unwrap_or_default();
        RequestParts {
            path_params,
            query,
            headers,
            form: Vec::new(),
        }
    }

    /// The parts a form's fields are read from: its text fields (and the headers).
    pub fn form(headers: &'a HeaderMap, form: Pairs<'a>) -> Self {
        RequestParts {
            path_params: Vec::new(),
            query: Vec::new(),
            headers,
            form,
        }
    }

    fn pairs(&self, source: Source) -> &Pairs<'a> {
        match source {
            Source::Form => &self.form,
            _ => &self.query,
        }
    }

    /// Every query or form value of a multi-valued parameter, each coerced.
    fn all(&self, spec: &ParamSpec) -> Result<Value, FieldError> {
        let found: Vec<&Cow<'a, str>> = self
            .pairs(spec.source)
            .iter()
            .filter(|(k, _)| *k == spec.key)
            .map(|(_, v)| v)
            .collect();
        if found.is_empty() {
            return spec.absent();
        }
        found
            .into_iter()
            .map(|raw| spec.coerce(raw))
            .collect::<Result<_, _>>()
            .map(Value::List)
    }

    fn raw(&self, spec: &ParamSpec) -> Option<Cow<'a, str>> {
        match spec.source {
            Source::Path => self
                .path_params
                .iter()
                .find(|(k, _)| *k == spec.key)
                .map(|(_, v)| v.clone()),
            Source::Query | Source::Form => self
                .pairs(spec.source)
                .iter()
                .find(|(k, _)| *k == spec.key)
                .map(|(_, v)| v.clone()),
            Source::Header => self
                .headers
                .get(&spec.key)
                .and_then(|v| v.to_str().ok())
                .map(Cow::Borrowed),
            Source::Cookie => super::cookies::get(self.headers, &spec.key).map(Cow::Owned),
        }
    }
}

/// An urlencoded query string or form body must be UTF-8 once percent-decoded.
pub fn check_utf8(source: Source, urlencoded: &[u8]) -> Result<(), FieldError> {
    if percent_encoding::percent_decode(urlencoded)
        .decode_utf8()
        .is_ok()
    {
        return Ok(());
    }
    let what = match source {
        Source::Form => "The form body",
        _ => "The query string",
    };
    Err(FieldError {
        location: source.as_str(),
        name: String::new(),
        message: format!("{what} is not valid UTF-8 once percent-decoded"),
        kind: "unicode_error",
    })
}

/// A `msgspec.Struct` argument built from the fields Rust read.
pub struct StructParam {
    pub name: Py<pyo3::types::PyString>,
    /// `build(**fields) -> Struct`.
    pub build: Py<PyAny>,
}

impl StructParam {
    pub(super) fn from_description(desc: StructDescription) -> Self {
        StructParam {
            name: desc.name,
            build: desc.build,
        }
    }
}

/// Keyword arguments from the values Rust read: each under its parameter's name, or
/// gathered into the fields of the Struct parameter it belongs to, which is then built.
pub fn kwargs<'a, 'py>(
    py: Python<'py>,
    structs: &[StructParam],
    values: impl IntoIterator<Item = (&'a ParamSpec, Value)>,
) -> PyResult<Bound<'py, PyDict>> {
    let kwargs = PyDict::new(py);
    let fields: Vec<Bound<'py, PyDict>> = structs.iter().map(|_| PyDict::new(py)).collect();
    for (spec, value) in values {
        let target = spec.group.map_or(&kwargs, |group| &fields[group]);
        target.set_item(spec.name.bind(py), spec.to_py(py, value)?)?;
    }
    for (param, fields) in structs.iter().zip(&fields) {
        let built = param.build.bind(py).call((), Some(fields))?;
        kwargs.set_item(param.name.bind(py), built)?;
    }
    Ok(kwargs)
}

/// Read every parameter; on failure, every failing field is reported at once.
pub fn extract(
    specs: &[ParamSpec],
    parts: &RequestParts<'_>,
) -> Result<Vec<Value>, Vec<FieldError>> {
    let mut values = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for spec in specs {
        let result = match spec.multi {
            true => parts.all(spec),
            false => match parts.raw(spec) {
                Some(raw) => spec.coerce(&raw),
                None => spec.absent(),
            },
        };
        match result {
            Ok(value) => values.push(value),
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: Kind, constraints: Constraints) -> ParamSpec {
        pyo3::Python::initialize();
        Python::attach(|py| ParamSpec {
            name: PyString::intern(py, "x").unbind(),
            key: "x".into(),
            source: Source::Query,
            kind,
            default: None,
            constraints,
            multi: false,
            convert: None,
            choices: Vec::new(),
            group: None,
        })
    }

    #[test]
    fn coerces_scalars() {
        assert!(matches!(
            spec(Kind::Int, Constraints::default()).coerce("42"),
            Ok(Value::Int(42))
        ));
        assert!(matches!(
            spec(Kind::Bool, Constraints::default()).coerce("off"),
            Ok(Value::Bool(false))
        ));
        assert!(
            matches!(spec(Kind::Float, Constraints::default()).coerce("1.5"), Ok(Value::Float(f)) if f == 1.5)
        );
    }

    #[test]
    fn rejects_bad_values_with_the_field_name() {
        let err = spec(Kind::Int, Constraints::default())
            .coerce("abc")
            .err()
            .unwrap();
        assert_eq!(
            (err.location, err.name.as_str(), err.kind),
            ("query", "x", "type_error")
        );
        assert!(spec(Kind::Float, Constraints::default())
            .coerce("nan")
            .is_err());
    }

    #[test]
    fn numbers_out_of_range_say_so() {
        let message = |kind, raw: &str| {
            let err = spec(kind, Constraints::default())
                .coerce(raw)
                .err()
                .unwrap();
            (err.kind, err.message)
        };
        let (kind, msg) = message(Kind::Int, "99999999999999999999");
        assert_eq!(kind, "value_error");
        assert!(msg.contains("9223372036854775807"), "{msg}");
        assert_eq!(message(Kind::Int, "1.5").0, "type_error");
        for raw in ["1e400", "-1e400", "inf", "NaN"] {
            assert_eq!(message(Kind::Float, raw).0, "value_error", "{raw}");
        }
        let (kind, msg) = message(Kind::Decimal, "1e1000000000000000000");
        assert_eq!(kind, "value_error");
        assert!(msg.contains("exponent from -4300 to 4300"), "{msg}");
    }

    #[test]
    fn long_bad_values_are_cut_in_messages() {
        let raw = "x".repeat(10_000);
        let err = spec(Kind::Int, Constraints::default())
            .coerce(&raw)
            .err()
            .unwrap();
        assert_eq!(
            err.message,
            format!("Expected `int`, got `{}…`", "x".repeat(64))
        );
    }

    #[test]
    fn checks_constraints() {
        let bounded = spec(
            Kind::Int,
            Constraints {
                ge: Some(1.0),
                le: Some(10.0),
                ..Default::default()
            },
        );
        assert!(bounded.coerce("0").is_err());
        assert!(bounded.coerce("10").is_ok());
        assert!(bounded.coerce("11").is_err());
        let short = spec(
            Kind::Str,
            Constraints {
                max_length: Some(3),
                ..Default::default()
            },
        );
        assert!(short.coerce("abcd").is_err());
        assert!(short.coerce("abc").is_ok());
    }
}
