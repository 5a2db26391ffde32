//! A handler's response on its way out, back on tokio: a `FileResponse` is opened and
//! sent (with ranges and conditional requests), a body is compressed.

use std::sync::Arc;

use http::{HeaderMap, Method, Response};

use super::router::Route;
use crate::body::ResponseBody;
use crate::files::SendFile;
use crate::python::BridgeInner;

/// What the request said that shapes its response.
pub struct Wanted {
    pub method: Method,
    pub headers: HeaderMap,
}

pub async fn finish(
    bridge: &Arc<BridgeInner>,
    route: &Route,
    wanted: &Wanted,
    mut response: Response<ResponseBody>,
) -> Response<ResponseBody> {
    if let Some(file) = response.extensions_mut().remove::<SendFile>() {
        // Files are sent as stored: ranges are ranges of those bytes.
        let sender = format!("route {}", route.name);
        let (method, headers) = (&wanted.method, &wanted.headers);
        return crate::files::serve(bridge, &sender, &file, response, method, headers).await;
    }
    match &route.compression {
        Some(config) => {
            config
                .apply(&wanted.method, &wanted.headers, response)
                .await
        }
        None => response,
    }
}
