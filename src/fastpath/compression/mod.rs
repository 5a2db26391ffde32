//! Response compression for Bolt routes: gzip, brotli or zstd, chosen from the client's
//! `Accept-Encoding` and the API's `CompressionConfig`, applied in Rust to the body the
//! handler produced.

mod encode;

use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};

use crate::accept_encoding::{self, Encoding};
use crate::body::ResponseBody;
use crate::fastpath::description::CompressionDescription;

/// Bodies up to this size are compressed in one go and keep a Content-Length; bigger
/// ones are compressed as they are sent.
const WHOLE_UP_TO: usize = 1 << 20;

/// Compression levels, one per coding (their scales differ).
#[derive(Debug)]
pub struct Levels {
    pub gzip: i32,
    pub brotli: i32,
    pub zstd: i32,
}

/// A route's compression settings, from `CompressionConfig.describe()`.
#[derive(Debug)]
pub struct Config {
    /// Codings the server offers, most preferred first.
    preference: Vec<Encoding>,
    minimum_size: usize,
    levels: Levels,
}

impl Config {
    pub fn from_description(desc: CompressionDescription) -> Result<Config, String> {
        let preference = desc
            .encodings
            .iter()
            .map(|t| Encoding::from_token(t).ok_or_else(|| format!("unknown encoding {t:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        let minimum_size = usize::try_from(desc.minimum_size)
            .map_err(|_| "compression minimum_size must not be negative".to_string())?;
        Ok(Config {
            preference,
            minimum_size,
            levels: Levels {
                gzip: desc.gzip_level,
                brotli: desc.brotli_quality,
                zstd: desc.zstd_level,
            },
        })
    }

    /// Compress `response` when the client accepts a coding and the response is worth
    /// it: a whole body of a compressible type, at least `minimum_size` bytes, not
    /// already encoded. Responses of compressible types say `Vary: Accept-Encoding`
    /// either way, so caches keep the variants apart.
    pub async fn apply(
        &self,
        method: &Method,
        request: &HeaderMap,
        mut response: Response<ResponseBody>,
    ) -> Response<ResponseBody> {
        let status = response.status();
        if status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || response.headers().contains_key(header::CONTENT_ENCODING)
            || !compressible(response.headers())
        {
            return response;
        }
        let Some(size) = response.body().as_full().map(|body| body.len()) else {
            return response; // streamed (sent as produced), or empty
        };
        add_vary(response.headers_mut());
        if method == Method::HEAD || size < self.minimum_size {
            return response;
        }
        let Some(encoding) = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|accept| accept_encoding::negotiate(accept.as_bytes(), &self.preference))
        else {
            return response;
        };
        let body = response.body().as_full().cloned().unwrap_or_default();
        let (compressed, length) = match size > WHOLE_UP_TO {
            true => {
                let reader = encode::streamed(encoding, &self.levels, body);
                (ResponseBody::reader(reader, None), None)
            }
            false => match encode::whole(encoding, &self.levels, body).await {
                Ok(whole) if whole.len() < size => {
                    let length = whole.len();
                    (ResponseBody::full(whole), Some(length))
                }
                // Not smaller (or the encoder failed): send it as it was.
                _ => return response,
            },
        };
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.token()),
        );
        match length {
            Some(length) => drop(headers.insert(header::CONTENT_LENGTH, length.into())),
            None => drop(headers.remove(header::CONTENT_LENGTH)),
        }
        weaken_etag(headers);
        *response.body_mut() = compressed;
        response
    }
}

/// A strong `ETag` names the exact bytes; the compressed bytes differ, so the tag can
/// only stand for them as a weak one.
fn weaken_etag(headers: &mut HeaderMap) {
    if let Some(tag) = headers.get(header::ETAG) {
        if tag.as_bytes().starts_with(b"\"") {
            let mut weak = b"W/".to_vec();
            weak.extend_from_slice(tag.as_bytes());
            if let Ok(weak) = HeaderValue::from_bytes(&weak) {
                headers.insert(header::ETAG, weak);
            }
        }
    }
}

/// Whether the body's media type gains from compression: not for formats that are
/// compressed already, nor for event streams, which must reach the client as sent.
fn compressible(headers: &HeaderMap) -> bool {
    let Some(media_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim())
    else {
        return false;
    };
    let (kind, subtype) = media_type.split_once('/').unwrap_or((media_type, ""));
    let kind = kind.to_ascii_lowercase();
    let subtype = subtype.to_ascii_lowercase();
    match kind.as_str() {
        "image" => subtype == "svg+xml",
        "video" | "audio" => false,
        "font" => !matches!(subtype.as_str(), "woff" | "woff2"),
        "text" => subtype != "event-stream",
        _ => !matches!(
            subtype.as_str(),
            "zip"
                | "gzip"
                | "x-gzip"
                | "zstd"
                | "x-bzip2"
                | "x-xz"
                | "x-7z-compressed"
                | "x-rar-compressed"
                | "vnd.rar"
                | "pdf"
                | "octet-stream"
                | "wasm"
        ),
    }
}

/// Add `Accept-Encoding` to `Vary`, keeping what is there.
fn add_vary(headers: &mut HeaderMap) {
    let varies = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|name| {
                matches!(name.trim(), "*") || name.trim().eq_ignore_ascii_case("accept-encoding")
            })
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(media_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(media_type).unwrap(),
        );
        headers
    }

    #[test]
    fn compressible_media_types() {
        for yes in [
            "application/json",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/javascript",
        ] {
            assert!(compressible(&typed(yes)), "{yes}");
        }
        for no in [
            "image/png",
            "video/mp4",
            "audio/ogg",
            "application/zip",
            "application/gzip",
            "text/event-stream",
            "font/woff2",
        ] {
            assert!(!compressible(&typed(no)), "{no}");
        }
        assert!(!compressible(&HeaderMap::new()));
    }

    #[test]
    fn vary_is_added_once() {
        let mut headers = HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
        add_vary(&mut headers);
        add_vary(&mut headers);
        let vary: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(vary, ["Cookie", "accept-encoding"]);
    }
}
