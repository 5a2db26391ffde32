//! Compressing a body with async-compression: in one go (a new whole body with its
//! length), or as hyper reads it (for big bodies, sent without a length).

use std::io::Cursor;

use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
use async_compression::Level;
use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt};

use super::negotiate::Encoding;
use super::Levels;

type Encoder = std::pin::Pin<Box<dyn AsyncRead + Send + Sync>>;

fn encoder(
    encoding: Encoding,
    levels: &Levels,
    input: impl AsyncBufRead + Send + Sync + 'static,
) -> Encoder {
    match encoding {
        Encoding::Brotli => Box::pin(BrotliEncoder::with_quality(input, level(levels.brotli))),
        Encoding::Zstd => Box::pin(ZstdEncoder::with_quality(input, level(levels.zstd))),
        Encoding::Gzip => Box::pin(GzipEncoder::with_quality(input, level(levels.gzip))),
    }
}

fn level(value: i32) -> Level {
    Level::Precise(value)
}

/// The whole body compressed. The input is in memory, so this never waits.
pub async fn whole(encoding: Encoding, levels: &Levels, body: Bytes) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(body.len() / 4);
    encoder(encoding, levels, Cursor::new(body))
        .read_to_end(&mut out)
        .await?;
    Ok(out.into())
}

/// A reader that compresses the body as it is read.
pub fn streamed(encoding: Encoding, levels: &Levels, body: Bytes) -> Encoder {
    encoder(encoding, levels, Cursor::new(body))
}
