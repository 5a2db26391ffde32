//! A handler's response on its way out, back on tokio: a `FileResponse` is opened and
//! sent (with ranges and conditional requests), a body is compressed.

use std::sync::Arc;

use http::{HeaderMap, Method, Response};

use super::route::Route;
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
    // Both roads are boxed: their state would otherwise make the future of every
    // request larger, also for the plain bodies that take neither.
    if let Some(file) = response.extensions_mut().remove::<SendFile>() {
        // Files are sent as stored: ranges are ranges of those bytes.
        let sender = format!("route {}", route.common.name);
        let (method, headers) = (&wanted.method, &wanted.headers);
        let send = crate::files::serve(bridge, &sender, &file, response, method, headers);
        return Box::pin(send).await;
    }
    match &route.compression {
        Some(config) => Box::pin(config.apply(&wanted.method, &wanted.headers, response)).await,
        None => response,
    }
}
