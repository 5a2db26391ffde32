//! `Token.decode` from Python: the same verification a request's token gets (the
//! key, the algorithms, `exp`/`nbf`, `aud`/`iss`), for code that reads a token it was
//! handed outside a route (a refresh endpoint's body, a test).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value};

use super::jwt::{algorithm, decoding_key, refusal};
use super::keys::family;

/// The claims (a JSON object, as bytes) of `token` once verified with `key` (the
/// shared secret or the PEM public key); a `ValueError` saying why it is refused.
#[pyfunction]
#[pyo3(signature = (token, key, algorithms, audience, issuer, leeway, verify_exp, verify_nbf))]
#[allow(clippy::too_many_arguments)]
pub fn decode_jwt(
    token: &str,
    key: &[u8],
    algorithms: Vec<String>,
    audience: Vec<String>,
    issuer: Vec<String>,
    leeway: u64,
    verify_exp: bool,
    verify_nbf: bool,
) -> PyResult<Vec<u8>> {
    let algorithms = algorithms
        .iter()
        .map(|name| algorithm(name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(PyValueError::new_err)?;
    let first = *algorithms
        .first()
        .ok_or_else(|| PyValueError::new_err("decoding a token needs an algorithm"))?;
    if algorithms.iter().any(|a| family(*a) != family(first)) {
        return Err(PyValueError::new_err(
            "the algorithms must share one key type",
        ));
    }
    let key = decoding_key(first, key).map_err(PyValueError::new_err)?;
    let mut validation = jsonwebtoken::Validation::new(first);
    validation.algorithms = algorithms;
    validation.leeway = leeway;
    validation.validate_exp = verify_exp;
    validation.validate_nbf = verify_nbf;
    let mut required: Vec<&str> = if verify_exp { vec!["exp"] } else { vec![] };
    if audience.is_empty() {
        validation.validate_aud = false;
    } else {
        validation.set_audience(&audience);
        required.push("aud");
    }
    if !issuer.is_empty() {
        validation.set_issuer(&issuer);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|err| PyValueError::new_err(refusal(err.kind())))?;
    serde_json::to_vec(&data.claims).map_err(|err| PyValueError::new_err(err.to_string()))
}
