//! django-bolt's Rust core, loaded by Python as `django_bolt._core`.

mod accept_encoding;
mod access_log;
mod admission;
mod app;
mod asgi;
mod body;
mod client;
mod conn;
mod errors;
mod fastpath;
mod files;
/// Entry points for the fuzz targets in `fuzz/`; built only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod json;
mod lifecycle;
mod memory;
mod notice;
mod outbound;
mod proxy;
mod python;
mod request_body;
mod server;
mod service;
mod testing;
mod tls;
mod websocket;

use pyo3::prelude::*;

/// mimalloc for every Rust allocation: per-request buffers, futures and header maps are
/// many small short-lived blocks, which glibc's malloc served at several times the cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set the number of tokio worker threads; call before the first server or client.
#[pyfunction]
fn configure_runtime(workers: usize) -> PyResult<()> {
    python::runtime::configure(workers).map_err(pyo3::exceptions::PyRuntimeError::new_err)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<python::Bridge>()?;
    m.add_class::<fastpath::RouteTable>()?;
    m.add_class::<app::App>()?;
    m.add_class::<fastpath::request::Request>()?;
    m.add_class::<files::SendFile>()?;
    m.add_class::<files::mounts::StaticFiles>()?;
    m.add_class::<server::Server>()?;
    m.add_class::<testing::InProcess>()?;
    m.add_class::<testing::TestBody>()?;
    m.add_class::<testing::TestWebSocket>()?;
    m.add_function(wrap_pyfunction!(configure_runtime, m)?)?;
    m.add_function(wrap_pyfunction!(server::listen, m)?)?;
    m.add_function(wrap_pyfunction!(tls::development_certificate, m)?)?;
    m.add_function(wrap_pyfunction!(fastpath::auth::encode_jwt, m)?)?;
    m.add_function(wrap_pyfunction!(fastpath::auth::decode_jwt, m)?)?;
    m.add(
        "ClientDisconnected",
        m.py().get_type::<python::ClientDisconnected>(),
    )?;
    Ok(())
}
