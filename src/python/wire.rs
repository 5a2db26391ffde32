//! HTTP pieces as Python hands them over (a Bolt handler's finished response, an ASGI
//! app's messages, a test client's request): a status code, header pairs, a body.

use bytes::Bytes;
use http::header::InvalidHeaderValue;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

/// The body without a copy: hyper sends straight from the Python bytes object.
pub fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    let body = body.cast::<PyBytes>()?.clone();
    Ok(Bytes::from_owner(PyBackedBytes::from(body)))
}

/// A status code from Python; ValueError for a number that is none.
pub fn status(code: u16) -> PyResult<StatusCode> {
    StatusCode::from_u16(code)
        .map_err(|_| PyValueError::new_err(format!("invalid status code {code}")))
}

/// A header value as Python wrote it. `bytes` (ASGI) may carry any byte a field value
/// allows; `str` is held to visible ASCII, as `HeaderValue::from_str` rules.
pub trait HeaderText {
    fn header_value(&self) -> Result<HeaderValue, InvalidHeaderValue>;
}

impl HeaderText for String {
    fn header_value(&self) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_str(self)
    }
}

impl HeaderText for Vec<u8> {
    fn header_value(&self) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(self)
    }
}

impl HeaderText for PyBackedBytes {
    fn header_value(&self) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::from_bytes(self)
    }
}

impl<T: HeaderText> HeaderText for &T {
    fn header_value(&self) -> Result<HeaderValue, InvalidHeaderValue> {
        (*self).header_value()
    }
}

/// `(name, value)` pairs, in order and repeats kept, as a HeaderMap; ValueError names
/// the first pair that is no valid header.
pub fn header_map<N, V, I>(pairs: I) -> PyResult<HeaderMap>
where
    N: AsRef<[u8]>,
    V: HeaderText,
    I: IntoIterator<Item = PyResult<(N, V)>>,
{
    let pairs = pairs.into_iter();
    let mut headers = HeaderMap::with_capacity(pairs.size_hint().0);
    for pair in pairs {
        let (name, value) = pair?;
        let name = HeaderName::from_bytes(name.as_ref()).map_err(|_| {
            PyValueError::new_err(format!(
                "invalid header name {:?}",
                String::from_utf8_lossy(name.as_ref())
            ))
        })?;
        let value = value
            .header_value()
            .map_err(|_| PyValueError::new_err(format!("invalid value for header {name}")))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// `message[key]`, or ValueError naming the key: a message dict missing what its type
/// requires. Keys are `intern!`ed strings: made and hashed once, not on every message.
pub fn required<'py>(
    message: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    message
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("ASGI message has no {:?}", key.to_string())))
}

/// The `headers` of a message (byte-string pairs, absent or None for none) as a HeaderMap,
/// read from the bytes objects in place.
pub fn message_headers(message: &Bound<'_, PyDict>) -> PyResult<HeaderMap> {
    let key = pyo3::intern!(message.py(), "headers");
    type Pair = (PyBackedBytes, PyBackedBytes);
    match message.get_item(key)?.filter(|h| !h.is_none()) {
        // A list, as apps send them: walked by index, its length known without asking
        // Python for a length hint.
        Some(headers) => match headers.cast::<PyList>() {
            Ok(list) => header_map(list.iter().map(|pair| pair.extract::<Pair>())),
            Err(_) => header_map(headers.try_iter()?.map(|pair| pair?.extract::<Pair>())),
        },
        None => Ok(HeaderMap::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs<N, V>(list: Vec<(N, V)>) -> impl Iterator<Item = PyResult<(N, V)>> {
        list.into_iter().map(Ok)
    }

    #[test]
    fn headers_keep_their_order_and_repeats() {
        let map = header_map(pairs(vec![
            (b"Set-Cookie".to_vec(), b"a=1".to_vec()),
            (b"x-one".to_vec(), b"1".to_vec()),
            (b"set-cookie".to_vec(), b"b=2".to_vec()),
        ]))
        .unwrap();
        let cookies: Vec<_> = map.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(map["x-one"], "1");
    }

    #[test]
    fn text_values_are_visible_ascii_and_bytes_values_may_be_more() {
        let text = header_map(pairs(vec![("x".to_owned(), "caf\u{e9}".to_owned())]));
        assert!(text.is_err());
        let bytes = header_map(pairs(vec![(b"x".to_vec(), b"caf\xe9".to_vec())])).unwrap();
        assert_eq!(bytes["x"].as_bytes(), b"caf\xe9");
        let name = header_map(pairs(vec![("bad name".to_owned(), "v".to_owned())]));
        assert!(name.is_err());
    }

    #[test]
    fn status_codes_out_of_range_are_refused() {
        assert_eq!(status(204).unwrap(), StatusCode::NO_CONTENT);
        assert!(status(99).is_err());
        assert!(status(1000).is_err());
    }
}
