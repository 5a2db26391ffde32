//! An uploaded file as it streams in: kept in memory while small, moved to a temporary
//! file (in `std::env::temp_dir()`, which honours `TMPDIR`) once it passes 1 MiB.

use std::io::{self, Write};
use std::path::PathBuf;

use tempfile::{NamedTempFile, TempPath};

/// Files up to this size stay in memory.
pub const SPOOL_THRESHOLD: usize = 1 << 20;

pub enum Spool {
    Memory(Vec<u8>),
    Disk(NamedTempFile),
}

/// Where a finished upload's bytes are.
pub enum Content {
    Memory(Vec<u8>),
    /// A temporary file; it is removed when the request's [`TempFiles`] are dropped.
    Disk(PathBuf),
}

/// The temporary files of one request, removed when this is dropped: after the
/// response, or when the request fails or the client goes away.
#[derive(Default)]
pub struct TempFiles(Vec<TempPath>);

impl Spool {
    pub fn new() -> Self {
        Spool::Memory(Vec::new())
    }

    /// Append a chunk; the write to disk is synchronous, as a write to the page cache.
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self {
            Spool::Memory(buffer) if buffer.len() + chunk.len() <= SPOOL_THRESHOLD => {
                buffer.extend_from_slice(chunk);
            }
            Spool::Memory(buffer) => {
                let mut file = tempfile::Builder::new().prefix("bolt-upload-").tempfile()?;
                file.write_all(buffer)?;
                file.write_all(chunk)?;
                *self = Spool::Disk(file);
            }
            Spool::Disk(file) => file.write_all(chunk)?,
        }
        Ok(())
    }

    /// The finished content; a temporary file is handed to `temp_files` to remove later.
    pub fn finish(self, temp_files: &mut TempFiles) -> io::Result<Content> {
        match self {
            Spool::Memory(buffer) => Ok(Content::Memory(buffer)),
            Spool::Disk(mut file) => {
                file.flush()?;
                let path = file.into_temp_path();
                let kept = path.to_path_buf();
                temp_files.0.push(path);
                Ok(Content::Disk(kept))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_stay_in_memory() {
        let mut spool = Spool::new();
        spool.write(b"hello").unwrap();
        let mut temp_files = TempFiles::default();
        assert!(matches!(spool.finish(&mut temp_files), Ok(Content::Memory(b)) if b == b"hello"));
    }

    #[test]
    fn large_files_go_to_disk_until_the_request_ends() {
        let mut spool = Spool::new();
        spool.write(&vec![1; SPOOL_THRESHOLD]).unwrap();
        spool.write(b"more").unwrap();
        let mut temp_files = TempFiles::default();
        let Ok(Content::Disk(path)) = spool.finish(&mut temp_files) else {
            panic!("expected a file on disk");
        };
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            SPOOL_THRESHOLD as u64 + 4
        );
        drop(temp_files);
        assert!(!path.exists());
    }
}
