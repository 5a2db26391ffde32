//! Folders served under URL prefixes (Django's `STATIC_URL` and `MEDIA_URL`) without
//! entering Python: a request path names a file of the first folder that has it, sent
//! as `FileResponse` files are (validators, 304, ranges, `nosniff`), with a content type
//! from its name and a precompressed sibling (`.br`, `.gz`) for a client that takes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::cache::{self, Cached, FileCache, Located, Lookup};
use crate::accept_encoding::{choose, negotiate, Encoding};
use crate::body::ResponseBody;
use crate::errors;
use crate::python::BridgeInner;

/// Precompressed siblings looked for beside a file, the server's preference first.
const SIBLINGS: [(Encoding, &str); 2] = [(Encoding::Brotli, "br"), (Encoding::Gzip, "gz")];

/// The type of a file whose extension has no entry.
const DEFAULT_TYPE: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// A mount as Python describes it: `(url_prefix, [(name_prefix, folder), ...],
/// cache_control, cached)`.
type MountSpec = (String, Vec<(String, PathBuf)>, String, bool);

/// The URL prefixes served from folders, and the content type of each file extension.
#[pyclass(frozen, module = "django_bolt._core")]
pub struct StaticFiles {
    mounts: Vec<Mount>,
    content_types: HashMap<String, HeaderValue>,
}

/// One URL prefix and the folders behind it, searched in order.
struct Mount {
    /// Starts and ends with '/', as `/static/`.
    url: String,
    roots: Arc<[Root]>,
    cache_control: HeaderValue,
    /// Small files kept in memory; None for folders being edited (Django's finders
    /// under `--dev`), whose every change must show at once.
    cache: Option<FileCache>,
}

/// A folder, and the prefix its files are named under below the URL prefix (the
/// `(prefix, path)` form of Django's `STATICFILES_DIRS`).
struct Root {
    /// Empty, or ending with '/'.
    prefix: String,
    /// Canonical, so that a resolved path can be checked against it.
    dir: PathBuf,
}

#[pymethods]
impl StaticFiles {
    /// `mounts`: `(url_prefix, [(name_prefix, folder), ...], cache_control, cached)`
    /// each, the folders in the order they are searched, `cached` when small files may be
    /// kept in memory (served for up to a second after they change); `content_types`:
    /// file extension (lower case, without the dot) to content type.
    #[new]
    fn new(mounts: Vec<MountSpec>, content_types: HashMap<String, String>) -> PyResult<Self> {
        let mounts = mounts
            .into_iter()
            .map(|(url, roots, cache_control, cached)| {
                Mount::new(url, roots, &cache_control, cached)
            })
            .collect::<PyResult<_>>()?;
        let content_types = content_types
            .into_iter()
            .filter_map(|(ext, kind)| Some((ext, HeaderValue::from_str(&kind).ok()?)))
            .collect();
        Ok(StaticFiles {
            mounts,
            content_types,
        })
    }
}

impl Mount {
    fn new(
        url: String,
        roots: Vec<(String, PathBuf)>,
        cache_control: &str,
        cached: bool,
    ) -> PyResult<Mount> {
        if url.len() < 2 || !url.starts_with('/') || !url.ends_with('/') {
            return Err(PyValueError::new_err(format!(
                "static URL prefix {url:?} must start and end with '/' and not be '/'"
            )));
        }
        let roots = roots
            .into_iter()
            .map(|(prefix, dir)| {
                let canonical = std::fs::canonicalize(&dir).map_err(|e| {
                    PyValueError::new_err(format!("static folder {}: {e}", dir.display()))
                })?;
                let prefix = prefix.trim_matches('/');
                let prefix = match prefix.is_empty() {
                    true => String::new(),
                    false => format!("{prefix}/"),
                };
                Ok(Root {
                    prefix,
                    dir: canonical,
                })
            })
            .collect::<PyResult<_>>()?;
        let cache_control = HeaderValue::from_str(cache_control)
            .map_err(|_| PyValueError::new_err("Cache-Control must be header text"))?;
        Ok(Mount {
            url,
            roots,
            cache_control,
            cache: cached.then(|| FileCache::new(cache::BUDGET)),
        })
    }
}

impl StaticFiles {
    /// Whether `path` lies under one of the URL prefixes (and so is answered here).
    pub fn covers(&self, path: &str) -> bool {
        self.mount(path).is_some()
    }

    fn mount<'p>(&self, path: &'p str) -> Option<(&Mount, &'p str)> {
        self.mounts
            .iter()
            .find_map(|mount| Some((mount, path.strip_prefix(mount.url.as_str())?)))
    }

    /// The answer to a request under a URL prefix: the file, 304, 206, 416, or 404 for
    /// a name that is missing, hidden or would leave the folders; 405 for methods other
    /// than GET and HEAD.
    pub async fn serve(
        &self,
        bridge: &BridgeInner,
        head: &http::request::Parts,
    ) -> Response<ResponseBody> {
        match self.answer(head, Instant::now()).await {
            Ok(response) => response,
            Err((path, error)) => super::failed(bridge, "static files", &path, error),
        }
    }

    /// [`serve`](Self::serve) at `now`, with the path of a file that failed.
    async fn answer(
        &self,
        head: &http::request::Parts,
        now: Instant,
    ) -> Result<Response<ResponseBody>, (PathBuf, std::io::Error)> {
        let Some((mount, rest)) = self.mount(head.uri.path()) else {
            return Ok(errors::not_found());
        };
        match head.method {
            Method::GET | Method::HEAD => {}
            Method::OPTIONS => return Ok(errors::options(allow())),
            _ => return Ok(errors::method_not_allowed(allow())),
        }
        let Some(name) = file_name(rest) else {
            return Ok(not_found());
        };
        let accepted = accepted_codings(&head.headers);
        let cached = mount.cache.as_ref();
        let known = match cached.map(|cache| cache.lookup(&name, &accepted, now)) {
            Some(Lookup::Fresh(file)) => return Ok(file.send(&head.method, &head.headers)),
            Some(Lookup::Stale(file)) => Some(file),
            Some(Lookup::Miss) | None => None,
        };
        let fetch = Fetch {
            roots: mount.roots.clone(),
            content_type: self.content_type(rest),
            cache_control: mount.cache_control.clone(),
            cached: cached.is_some(),
            method: head.method.clone(),
            request: super::conditions(&head.headers),
        };
        // One trip to the blocking pool: find, open, answer, and read a small file.
        let fetched =
            tokio::task::spawn_blocking(move || (fetch.run(&name, &accepted, known), name));
        let (fetched, name) = match fetched.await {
            Ok(done) => done,
            Err(_) => return Ok(not_found()),
        };
        if let Some(cache) = &mount.cache {
            // Kept while small and there; an entry for a file now gone or too big goes.
            match &fetched {
                Some(Fetched::Memory(file)) => cache.insert(&name, file.clone(), now),
                Some(Fetched::Disk(..)) | None => cache.remove(&name),
            }
        }
        match fetched {
            Some(Fetched::Memory(file)) => Ok(file.send(&head.method, &head.headers)),
            Some(Fetched::Disk(path, sent)) => sent.map_err(|error| (path, error)),
            None => Ok(not_found()),
        }
    }

    /// The type of the file named by `name`, from its extension.
    fn content_type(&self, name: &str) -> HeaderValue {
        let file = name.rsplit('/').next().unwrap_or(name);
        let extension = file
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        extension
            .and_then(|ext| self.content_types.get(&ext).cloned())
            .unwrap_or(DEFAULT_TYPE)
    }
}

fn allow() -> HeaderValue {
    HeaderValue::from_static("GET, HEAD, OPTIONS")
}

fn not_found() -> Response<ResponseBody> {
    errors::detail(StatusCode::NOT_FOUND, "File not found")
}

/// The file name a URL path names below its prefix, percent-decoded; None for what may
/// not be served: an empty segment (a folder), a segment starting with '.' (dotfiles,
/// `..`), a backslash or NUL, or bytes that are not UTF-8.
fn file_name(rest: &str) -> Option<String> {
    let name = percent_decode_str(rest).decode_utf8().ok()?;
    let refused = |segment: &str| segment.is_empty() || segment.starts_with('.');
    if name.contains(['\\', '\0']) || name.split('/').any(refused) {
        return None;
    }
    Some(name.into_owned())
}

/// The precompressed codings the client takes, its best first.
fn accepted_codings(request: &HeaderMap) -> Vec<Encoding> {
    let Some(header) = request.get(header::ACCEPT_ENCODING) else {
        return Vec::new();
    };
    let mut left: Vec<Encoding> = SIBLINGS.iter().map(|(encoding, _)| *encoding).collect();
    let mut accepted = Vec::new();
    while let Some(best) = negotiate(header.as_bytes(), &left) {
        accepted.push(best);
        left.retain(|encoding| *encoding != best);
    }
    accepted
}

/// The file `name` names in the first root that has it (Django's finders' order), or
/// its precompressed sibling there when the client takes one. Blocking.
fn locate(roots: &[Root], name: &str, accepted: &[Encoding]) -> Option<Located> {
    roots.iter().find_map(|root| {
        let relative = name.strip_prefix(root.prefix.as_str())?;
        let original = regular_file(&root.dir, Path::new(relative))?;
        let (siblings, mut paths): (Vec<Encoding>, Vec<PathBuf>) = SIBLINGS
            .iter()
            .filter_map(|(encoding, suffix)| {
                let sibling = format!("{relative}.{suffix}");
                Some((*encoding, regular_file(&root.dir, Path::new(&sibling))?))
            })
            .unzip();
        let encoding = choose(accepted, &siblings);
        let path = match siblings.iter().position(|found| Some(*found) == encoding) {
            Some(at) => paths.swap_remove(at),
            None => original,
        };
        Some(Located {
            path,
            encoding,
            siblings,
        })
    })
}

/// The response head for a located file, before its validators.
fn file_head(
    located: &Located,
    content_type: HeaderValue,
    cache_control: HeaderValue,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, cache_control);
    if let Some(encoding) = located.encoding {
        let token = HeaderValue::from_static(encoding.token());
        headers.insert(header::CONTENT_ENCODING, token);
    }
    if !located.siblings.is_empty() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    headers
}

/// What a request needs in the blocking pool to be answered from disk.
struct Fetch {
    roots: Arc<[Root]>,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// Whether a small file is read into memory (to be kept).
    cached: bool,
    method: Method,
    request: HeaderMap,
}

/// A file found for a request.
enum Fetched {
    /// Small, read into memory (or `known`, unchanged).
    Memory(Arc<Cached>),
    /// Answered from disk: too big to keep, or kept by no cache.
    Disk(PathBuf, std::io::Result<Response<ResponseBody>>),
}

impl Fetch {
    /// Find `name` and answer for it (blocking); None when no file is there.
    fn run(self, name: &str, accepted: &[Encoding], known: Option<Arc<Cached>>) -> Option<Fetched> {
        let located = locate(&self.roots, name, accepted)?;
        let head = file_head(&located, self.content_type, self.cache_control);
        let path = located.path.clone();
        if self.cached {
            match Cached::load(located, head.clone(), known) {
                Ok(Some(file)) => return Some(Fetched::Memory(file)),
                Ok(None) => {}
                Err(error) => return Some(Fetched::Disk(path, Err(error))),
            }
        }
        let mut response = Response::new(ResponseBody::empty());
        *response.headers_mut() = head;
        let sent = super::send_now(&path, response, &self.method, &self.request);
        Some(Fetched::Disk(path, sent))
    }
}

/// `relative` (plain segments, as `file_name` checked) under `dir` when it is a regular
/// file there once symlinks are followed, still inside `dir` and not hidden. Each
/// segment below `dir` is looked at once; only a path with a symlink is resolved whole.
fn regular_file(dir: &Path, relative: &Path) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    let mut last = None;
    for segment in relative.components() {
        path.push(segment);
        let metadata = std::fs::symlink_metadata(&path).ok()?;
        if metadata.file_type().is_symlink() {
            let resolved = std::fs::canonicalize(dir.join(relative)).ok()?;
            let target = super::contained(dir, resolved, false)?;
            return std::fs::metadata(&target).ok()?.is_file().then_some(target);
        }
        last = Some(metadata);
    }
    last?.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_decoded_and_checked() {
        assert_eq!(
            file_name("admin/css/base.css").as_deref(),
            Some("admin/css/base.css")
        );
        assert_eq!(file_name("a%20b.txt").as_deref(), Some("a b.txt"));
        for refused in [
            "",
            "admin/",
            "a//b",
            ".env",
            "a/.git/config",
            "../settings.py",
            "a/../../etc/passwd",
            "%2e%2e/secret",
            "%2E%2E%2Fsecret",
            "a%5c..%5csecret",
            "a\\b",
            "a%00.css",
            "%ff.css",
        ] {
            assert_eq!(file_name(refused), None, "{refused}");
        }
    }

    fn request(accept_encoding: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(accept_encoding).unwrap();
        headers.insert(header::ACCEPT_ENCODING, value);
        headers
    }

    #[test]
    fn codings_are_ranked_by_the_client_then_the_server() {
        use Encoding::*;
        assert_eq!(accepted_codings(&HeaderMap::new()), vec![]);
        assert_eq!(
            accepted_codings(&request("gzip, deflate, br")),
            vec![Brotli, Gzip]
        );
        assert_eq!(
            accepted_codings(&request("br;q=0.5, gzip")),
            vec![Gzip, Brotli]
        );
        assert_eq!(accepted_codings(&request("br;q=0, gzip")), vec![Gzip]);
        assert_eq!(accepted_codings(&request("identity")), vec![]);
    }

    fn files(mounts: Vec<MountSpec>) -> StaticFiles {
        let types = HashMap::from([("css".to_owned(), "text/css".to_owned())]);
        StaticFiles::new(mounts, types).unwrap()
    }

    #[test]
    fn prefixes_match_whole_url_segments_and_content_types_come_from_names() {
        let dir = std::env::temp_dir();
        let files = files(vec![(
            "/static/".into(),
            vec![(String::new(), dir)],
            "no-cache".into(),
            false,
        )]);
        assert!(files.covers("/static/a.css"));
        assert!(!files.covers("/static"));
        assert!(!files.covers("/staticfoo/a.css"));
        assert_eq!(files.content_type("x/A.CSS"), "text/css");
        assert_eq!(files.content_type("x.css/readme"), DEFAULT_TYPE);
    }

    #[test]
    fn earlier_roots_win_and_name_prefixes_are_whole_segments() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        std::fs::write(first.path().join("both.css"), "first").unwrap();
        std::fs::write(second.path().join("both.css"), "second").unwrap();
        std::fs::create_dir(second.path().join("x")).unwrap();
        std::fs::write(second.path().join("x/v.css"), "").unwrap();
        std::fs::write(second.path().join("x/v.css.gz"), "").unwrap();
        let files = files(vec![(
            "/static/".into(),
            vec![
                ("vendor".into(), second.path().into()),
                (String::new(), first.path().into()),
                (String::new(), second.path().into()),
            ],
            "no-cache".into(),
            false,
        )]);
        let roots = &files.mounts[0].roots;
        let found = locate(roots, "both.css", &[]).unwrap();
        assert_eq!(std::fs::read(found.path).unwrap(), b"first");
        let found = locate(roots, "vendor/both.css", &[]).unwrap();
        assert_eq!(std::fs::read(found.path).unwrap(), b"second");
        assert!(locate(roots, "vendorboth.css", &[]).is_none());
        let plain = locate(roots, "x/v.css", &[Encoding::Brotli]).unwrap();
        assert_eq!(
            (plain.encoding, plain.siblings),
            (None, vec![Encoding::Gzip])
        );
        let gzip = locate(roots, "x/v.css", &[Encoding::Brotli, Encoding::Gzip]).unwrap();
        assert_eq!(gzip.encoding, Some(Encoding::Gzip));
        assert!(gzip.path.ends_with("x/v.css.gz"));
    }

    #[test]
    fn symlinks_out_of_the_root_and_onto_dotfiles_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "no").unwrap();
        std::fs::write(root.path().join(".env"), "no").unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.path().join(name)).unwrap()
        };
        link(&outside.path().join("secret.txt"), "out.txt");
        link(outside.path(), "outdir");
        link(&root.path().join(".env"), "env.txt");
        let dir = std::fs::canonicalize(root.path()).unwrap();
        for name in ["out.txt", "outdir/secret.txt", "env.txt"] {
            assert_eq!(regular_file(&dir, Path::new(name)), None, "{name}");
        }
        std::fs::create_dir(root.path().join("real")).unwrap();
        std::fs::write(root.path().join("real/in.css"), "yes").unwrap();
        link(&root.path().join("real"), "alias");
        let inside = regular_file(&dir, Path::new("alias/in.css")).unwrap();
        assert_eq!(inside, dir.join("real/in.css"));
        assert_eq!(regular_file(&dir, Path::new("real")), None, "a folder");
    }

    fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> http::request::Parts {
        let mut request = http::Request::get(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    async fn body(response: Response<ResponseBody>) -> (StatusCode, Vec<u8>) {
        use http_body_util::BodyExt;
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    fn mounted(dir: &Path, cached: bool) -> StaticFiles {
        let root = vec![(String::new(), dir.to_owned())];
        files(vec![("/s/".into(), root, "max-age=60".into(), cached)])
    }

    #[tokio::test]
    async fn small_files_are_answered_from_memory_and_revalidated_after_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.css");
        std::fs::write(&path, "old").unwrap();
        let files = mounted(dir.path(), true);
        let start = Instant::now();
        let at = |ms| start + std::time::Duration::from_millis(ms);
        let first = files.answer(&get("/s/a.css", &[]), at(0)).await.unwrap();
        assert_eq!(first.headers()[header::CONTENT_TYPE], "text/css");
        assert_eq!(first.headers()[header::CACHE_CONTROL], "max-age=60");
        let etag = first.headers()[header::ETAG].clone();
        assert_eq!(body(first).await, (StatusCode::OK, b"old".to_vec()));
        std::fs::write(dir.path().join("new"), "fresh").unwrap();
        std::fs::rename(dir.path().join("new"), &path).unwrap();
        let cached = files.answer(&get("/s/a.css", &[]), at(500)).await.unwrap();
        assert_eq!(body(cached).await, (StatusCode::OK, b"old".to_vec()));
        let etag = etag.to_str().unwrap();
        let same = get("/s/a.css", &[(header::IF_NONE_MATCH, etag)]);
        let same = files.answer(&same, at(600)).await.unwrap();
        assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
        let range = get("/s/a.css", &[(header::RANGE, "bytes=1-")]);
        let part = files.answer(&range, at(700)).await.unwrap();
        assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 1-2/3");
        assert_eq!(
            body(part).await,
            (StatusCode::PARTIAL_CONTENT, b"ld".to_vec())
        );
        let revalidated = files.answer(&get("/s/a.css", &[]), at(1100)).await.unwrap();
        assert_eq!(body(revalidated).await, (StatusCode::OK, b"fresh".to_vec()));
        std::fs::remove_file(&path).unwrap();
        let kept = files.answer(&get("/s/a.css", &[]), at(1500)).await.unwrap();
        assert_eq!(kept.status(), StatusCode::OK);
        let gone = files.answer(&get("/s/a.css", &[]), at(2200)).await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert_eq!(files.mounts[0].cache.as_ref().unwrap().size(), 0);
    }

    #[tokio::test]
    async fn missing_names_and_big_files_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![b'x'; cache::MAX_FILE as usize + 1];
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        let files = mounted(dir.path(), true);
        let now = Instant::now();
        for n in 0..100 {
            let missing = files.answer(&get(&format!("/s/{n}.css"), &[]), now).await;
            assert_eq!(missing.unwrap().status(), StatusCode::NOT_FOUND);
        }
        let sent = files.answer(&get("/s/big.bin", &[]), now).await.unwrap();
        assert_eq!(body(sent).await, (StatusCode::OK, big));
        assert_eq!(files.mounts[0].cache.as_ref().unwrap().size(), 0);
    }

    #[tokio::test]
    async fn folders_being_edited_are_read_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.css");
        std::fs::write(&path, "old").unwrap();
        let files = mounted(dir.path(), false);
        assert!(files.mounts[0].cache.is_none());
        let now = Instant::now();
        let first = files.answer(&get("/s/a.css", &[]), now).await.unwrap();
        assert_eq!(body(first).await, (StatusCode::OK, b"old".to_vec()));
        std::fs::write(&path, "new").unwrap();
        let second = files.answer(&get("/s/a.css", &[]), now).await.unwrap();
        assert_eq!(body(second).await, (StatusCode::OK, b"new".to_vec()));
    }
}
