//! Small files of a folder mount (`STATIC_ROOT`, `MEDIA_ROOT`) held in memory with their
//! response head, so a hot file is answered on the runtime thread: no trip to the
//! blocking pool, no path walk, no open or read.
//!
//! An entry is the outcome of finding a name (the file or the precompressed sibling
//! chosen, and which siblings exist) with the file's bytes. It is trusted for
//! [`FRESH`]; the first request after that finds the name again on disk and compares the
//! file's identity (device, inode, length, modification time), so a file replaced by a
//! new `collectstatic` is served within a second, and one that went away is dropped
//! (404). Misses are not remembered: names that are not there cost no memory.
//!
//! That check goes through the blocking pool as a miss does, not inline: it is the
//! whole lookup again (each path segment, the siblings, open and `fstat`), which on a
//! slow or network disk would stall the runtime thread serving every other connection,
//! and it happens once a second per hot file, so its trip costs nothing measurable.
//! Meanwhile other requests for the file are still answered from memory.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Response};
use parking_lot::Mutex;

use super::conditional::Validators;
use crate::accept_encoding::{choose, Encoding};
use crate::body::ResponseBody;

/// Files up to this size are kept; bigger ones are streamed from disk each time.
pub const MAX_FILE: u64 = 64 * 1024;

/// The memory one mount's cache may hold (bodies, names and a share per entry).
pub const BUDGET: usize = 32 * 1024 * 1024;

/// How long an entry is served without looking at the disk.
pub const FRESH: Duration = Duration::from_secs(1);

/// What an entry costs beyond its body and name (head, bookkeeping), so that many tiny
/// files are bounded too.
const ENTRY_OVERHEAD: usize = 512;

/// What identifies a version of a file: any rewrite or replacement changes one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    length: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            length: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// Where a name led: the file sent, its coding, and the precompressed siblings beside
/// the file it stands for (which decide the coding for each client).
#[derive(Debug, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    /// The coding of a precompressed sibling, None for the file itself.
    pub encoding: Option<Encoding>,
    pub siblings: Vec<Encoding>,
}

/// A file held in memory, with the head it is sent with.
pub struct Cached {
    located: Located,
    stamp: Stamp,
    /// Content type, cache control, coding, `Vary`, validators, `nosniff`.
    head: HeaderMap,
    validators: Validators,
    body: Bytes,
}

impl Cached {
    /// Read the file `located` names (blocking) when it is small, into an entry sent with
    /// `head`; `known` is returned as it is when the file is still that version. None
    /// when the file is gone, too big, or changed while it was read: it is then sent
    /// from disk as any file is.
    pub fn load(
        located: Located,
        mut head: HeaderMap,
        known: Option<Arc<Cached>>,
    ) -> std::io::Result<Option<Arc<Cached>>> {
        let Some((file, metadata)) = super::open(&located.path)? else {
            return Ok(None);
        };
        let stamp = Stamp::of(&metadata);
        if let Some(known) = known.filter(|k| k.located == located && k.stamp == stamp) {
            return Ok(Some(known));
        }
        if metadata.len() > MAX_FILE {
            return Ok(None);
        }
        let mut body = Vec::with_capacity(metadata.len() as usize);
        (&file).take(MAX_FILE + 1).read_to_end(&mut body)?;
        if body.len() as u64 != metadata.len() || Stamp::of(&file.metadata()?) != stamp {
            return Ok(None);
        }
        let mut validators = Validators::of(&metadata);
        super::file_head(&mut head, &mut validators);
        Ok(Some(Arc::new(Cached {
            located,
            stamp,
            head,
            validators,
            body: body.into(),
        })))
    }

    /// The answer to a GET or HEAD for this file: 200, 206, 304 or 416.
    pub fn send(&self, method: &Method, request: &HeaderMap) -> Response<ResponseBody> {
        super::send_memory(&self.head, &self.validators, &self.body, method, request)
    }

    fn cost(&self, name: &str) -> usize {
        self.body.len() + name.len() + ENTRY_OVERHEAD
    }
}

/// What the cache knows of a name for a client.
pub enum Lookup {
    /// Checked within [`FRESH`]: send it.
    Fresh(Arc<Cached>),
    /// Older: the caller (and only it; others meanwhile get it as fresh) finds the
    /// name again, giving this entry to [`Cached::load`] to keep if unchanged.
    Stale(Arc<Cached>),
    Miss,
}

/// The entries of one mount, by file name and then coding.
pub struct FileCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    names: HashMap<String, Vec<Slot>>,
    size: usize,
}

struct Slot {
    file: Arc<Cached>,
    checked: Instant,
}

impl FileCache {
    pub fn new(budget: usize) -> FileCache {
        FileCache {
            budget,
            inner: Mutex::default(),
        }
    }

    /// The entry for `name` in the coding a client taking `accepted` is sent, as of `now`.
    pub fn lookup(&self, name: &str, accepted: &[Encoding], now: Instant) -> Lookup {
        let mut inner = self.inner.lock();
        let Some(slots) = inner.names.get_mut(name) else {
            return Lookup::Miss;
        };
        let chosen = |slot: &&mut Slot| {
            let located = &slot.file.located;
            choose(accepted, &located.siblings) == located.encoding
        };
        let Some(slot) = slots.iter_mut().find(chosen) else {
            return Lookup::Miss;
        };
        match now.saturating_duration_since(slot.checked) < FRESH {
            true => Lookup::Fresh(slot.file.clone()),
            false => {
                slot.checked = now;
                Lookup::Stale(slot.file.clone())
            }
        }
    }

    /// Keep `file` as `name`'s entry for its coding, checked at `now`. Entries of the
    /// name that saw other siblings are dropped; when over budget, the entries checked
    /// longest ago go (checks happen at most once per [`FRESH`] on use, so this is
    /// least recently used to within that), down to three quarters of the budget.
    pub fn insert(&self, name: &str, file: Arc<Cached>, now: Instant) {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        let cost = file.cost(name);
        let slots = inner.names.entry(name.to_owned()).or_default();
        slots.retain(|slot| {
            let (old, new) = (&slot.file.located, &file.located);
            let keep = old.siblings == new.siblings && old.encoding != new.encoding;
            if !keep {
                inner.size -= slot.file.cost(name);
            }
            keep
        });
        slots.push(Slot { file, checked: now });
        inner.size += cost;
        if inner.size > self.budget {
            inner.evict(self.budget / 4 * 3);
        }
    }

    /// Forget `name` (it is gone, or no longer fits).
    pub fn remove(&self, name: &str) {
        let mut inner = self.inner.lock();
        if let Some(slots) = inner.names.remove(name) {
            inner.size -= slots.iter().map(|s| s.file.cost(name)).sum::<usize>();
        }
    }

    /// The memory the entries are counted as.
    #[cfg(test)]
    pub fn size(&self) -> usize {
        self.inner.lock().size
    }
}

impl Inner {
    fn evict(&mut self, target: usize) {
        let mut ages: Vec<(Instant, String)> = (self.names.iter())
            .flat_map(|(name, slots)| slots.iter().map(|slot| (slot.checked, name.clone())))
            .collect();
        ages.sort_unstable();
        for (checked, name) in ages {
            if self.size <= target {
                break;
            }
            let Some(slots) = self.names.get_mut(&name) else {
                continue;
            };
            let cost = |slot: &Slot| slot.file.cost(&name);
            if let Some(at) = slots.iter().position(|slot| slot.checked == checked) {
                self.size -= cost(&slots.swap_remove(at));
            }
            if slots.is_empty() {
                self.names.remove(&name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(path: PathBuf) -> Located {
        Located {
            path,
            encoding: None,
            siblings: vec![],
        }
    }

    #[test]
    fn an_unchanged_file_is_kept_and_a_replaced_one_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.css");
        std::fs::write(&path, "one").unwrap();
        let load = |known| Cached::load(located(path.clone()), HeaderMap::new(), known);
        let first = load(None).unwrap().unwrap();
        assert_eq!(first.body, "one");
        assert!(first.head.contains_key(http::header::ETAG));
        let again = load(Some(first.clone())).unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        std::fs::write(dir.path().join("new"), "two!").unwrap();
        std::fs::rename(dir.path().join("new"), &path).unwrap();
        let replaced = load(Some(first.clone())).unwrap().unwrap();
        assert_eq!(replaced.body, "two!");
        std::fs::write(&path, vec![b'x'; MAX_FILE as usize + 1]).unwrap();
        assert!(load(Some(first)).unwrap().is_none(), "too big to keep");
        std::fs::remove_file(&path).unwrap();
        assert!(load(None).unwrap().is_none(), "gone");
    }

    #[test]
    fn entries_are_fresh_for_a_second_then_one_caller_revalidates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.css");
        std::fs::write(&path, "body").unwrap();
        let file = Cached::load(located(path), HeaderMap::new(), None)
            .unwrap()
            .unwrap();
        let cache = FileCache::new(BUDGET);
        let start = Instant::now();
        assert!(matches!(cache.lookup("a.css", &[], start), Lookup::Miss));
        cache.insert("a.css", file, start);
        assert!(matches!(
            cache.lookup("a.css", &[], start),
            Lookup::Fresh(_)
        ));
        assert!(matches!(cache.lookup("b.css", &[], start), Lookup::Miss));
        let later = start + FRESH + Duration::from_millis(100);
        assert!(matches!(
            cache.lookup("a.css", &[], later),
            Lookup::Stale(_)
        ));
        assert!(matches!(
            cache.lookup("a.css", &[], later),
            Lookup::Fresh(_)
        ));
        cache.remove("a.css");
        assert!(matches!(cache.lookup("a.css", &[], later), Lookup::Miss));
        assert_eq!(cache.size(), 0);
    }

    #[test]
    fn the_coding_is_chosen_from_the_siblings_the_entry_saw() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.css"), "plain").unwrap();
        std::fs::write(dir.path().join("a.css.br"), "brotli").unwrap();
        let load = |name: &str, encoding| {
            let located = Located {
                path: dir.path().join(name),
                encoding,
                siblings: vec![Encoding::Brotli],
            };
            Cached::load(located, HeaderMap::new(), None)
                .unwrap()
                .unwrap()
        };
        let cache = FileCache::new(BUDGET);
        let now = Instant::now();
        cache.insert("a.css", load("a.css", None), now);
        let brotli = [Encoding::Brotli];
        assert!(matches!(cache.lookup("a.css", &brotli, now), Lookup::Miss));
        cache.insert("a.css", load("a.css.br", Some(Encoding::Brotli)), now);
        let body = |lookup| match lookup {
            Lookup::Fresh(file) => file.body.clone(),
            _ => panic!("not fresh"),
        };
        assert_eq!(body(cache.lookup("a.css", &brotli, now)), "brotli");
        assert_eq!(body(cache.lookup("a.css", &[Encoding::Gzip], now)), "plain");
    }

    #[test]
    fn the_budget_bounds_the_entries_and_the_least_recently_checked_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'x'; 1000]).unwrap();
        let file = Cached::load(located(path), HeaderMap::new(), None)
            .unwrap()
            .unwrap();
        let budget = 20 * file.cost("name-00");
        let cache = FileCache::new(budget);
        let start = Instant::now();
        for n in 0..100 {
            let now = start + Duration::from_secs(n);
            cache.insert(&format!("name-{n:02}"), file.clone(), now);
            assert!(cache.size() <= budget);
            // The first name stays in use, so it stays.
            let _ = cache.lookup("name-00", &[], now);
        }
        assert!(cache.size() >= budget / 2);
        let now = start + Duration::from_secs(100);
        assert!(!matches!(cache.lookup("name-00", &[], now), Lookup::Miss));
        assert!(matches!(cache.lookup("name-01", &[], now), Lookup::Miss));
        assert!(!matches!(cache.lookup("name-99", &[], now), Lookup::Miss));
    }
}
