//! A self-signed certificate for local development (`runbolt --dev --https`).

use pyo3::prelude::*;

/// `(certificate_pem, key_pem)` for localhost, 127.0.0.1 and ::1.
#[pyfunction]
pub fn development_certificate() -> PyResult<(String, String)> {
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("cannot make a certificate: {e}"))
    })?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}
