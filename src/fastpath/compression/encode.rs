//! Compressing a body with async-compression: in one go (a new whole body with its
//! length), or as hyper reads it (for big bodies, sent without a length).

use std::io::Cursor;

use async_compression::brotli::EncoderParams;
use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
use async_compression::zstd::CParameter;
use async_compression::Level;
use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::Levels;
use crate::accept_encoding::Encoding;

type Encoder = std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send + Sync>>;

/// An encoder over `body`. Brotli's and zstd's windows (and zstd's tables) are sized to
/// the body rather than their multi-megabyte defaults, which a new encoder per response
/// would allocate and clear each time.
fn encoder(encoding: Encoding, levels: &Levels, body: Bytes) -> Encoder {
    let window = window_log(body.len());
    let input = Cursor::new(body);
    match encoding {
        Encoding::Brotli => {
            let params = EncoderParams::default()
                .quality(Level::Precise(levels.brotli))
                .window_size(window as i32);
            Box::pin(BrotliEncoder::with_params(input, params))
        }
        Encoding::Zstd => {
            let params = [
                CParameter::window_log(window),
                CParameter::hash_log(window.min(17)),
                CParameter::chain_log(window.min(16)),
            ];
            let level = Level::Precise(levels.zstd);
            Box::pin(ZstdEncoder::with_quality_and_params(input, level, &params))
        }
        Encoding::Gzip => Box::pin(GzipEncoder::with_quality(
            input,
            Level::Precise(levels.gzip),
        )),
    }
}

/// The smallest window (as a power of two) that holds `size` bytes, within what both
/// brotli (10-24) and zstd (10-31) accept; 22 (4 MiB) at most.
fn window_log(size: usize) -> u32 {
    let bits = usize::BITS - size.saturating_sub(1).leading_zeros();
    bits.clamp(10, 22)
}

/// The whole body compressed. The input is in memory, so this never waits.
pub async fn whole(encoding: Encoding, levels: &Levels, body: Bytes) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(body.len() / 4);
    encoder(encoding, levels, body)
        .read_to_end(&mut out)
        .await?;
    Ok(out.into())
}

/// A reader that compresses the body as it is read.
pub fn streamed(encoding: Encoding, levels: &Levels, body: Bytes) -> Encoder {
    encoder(encoding, levels, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_fit_the_body() {
        assert_eq!(window_log(0), 10);
        assert_eq!(window_log(1024), 10);
        assert_eq!(window_log(1025), 11);
        assert_eq!(window_log(9307), 14);
        assert_eq!(window_log(100 << 20), 22);
    }
}
