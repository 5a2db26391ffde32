//! Files the server sends itself (`FileResponse`): the path checked against its root,
//! then validators, conditional requests and byte ranges, all without Python.
//!
//! Every file goes out with `X-Content-Type-Options: nosniff`, so a browser renders an
//! uploaded file as its declared type and never as HTML it guessed; and `FileResponse`
//! refuses dotfiles (`.env`, `.git/`, `.htpasswd`) unless told to serve them.

pub(crate) mod cache;
pub(crate) mod conditional;
pub(crate) mod mounts;
pub(crate) mod range;

use std::fs::{File, Metadata};
use std::io::{ErrorKind, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use http::header::Entry;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use pyo3::prelude::*;
use tokio::io::AsyncReadExt;

use crate::body::ResponseBody;
use crate::errors;
use crate::python::BridgeInner;
use conditional::Validators;
use range::Selection;

/// Which file to send, as `FileResponse` hands it over in place of a body.
#[pyclass(frozen, module = "django_bolt._core")]
#[derive(Clone, Debug)]
pub struct SendFile {
    path: PathBuf,
    /// When set, `path` is relative to it and must stay inside it.
    root: Option<PathBuf>,
    /// Whether a path with a segment starting with '.' may be served.
    allow_dotfiles: bool,
}

#[pymethods]
impl SendFile {
    #[new]
    #[pyo3(signature = (path, root=None, allow_dotfiles=false))]
    fn new(path: PathBuf, root: Option<PathBuf>, allow_dotfiles: bool) -> Self {
        SendFile {
            path,
            root,
            allow_dotfiles,
        }
    }
}

/// The request headers a file response looks at (ranges, validators), for callers that
/// must give the rest of the request away.
pub fn conditions(request: &HeaderMap) -> HeaderMap {
    let names = [
        header::RANGE,
        header::IF_RANGE,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
    ];
    let mut kept = HeaderMap::new();
    for name in names {
        for value in request.get_all(&name) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// Send `file` as the body of `response` (whose status and headers the app chose),
/// answering ranges and conditional requests. A missing file, or one outside its root,
/// is 404; any other I/O error is a 500, logged with the path on behalf of `sender`.
pub async fn serve(
    bridge: &BridgeInner,
    sender: &str,
    file: &SendFile,
    response: Response<ResponseBody>,
    method: &Method,
    request: &HeaderMap,
) -> Response<ResponseBody> {
    let Some(path) = file.resolve().await else {
        return not_found();
    };
    match open_and_send(&path, response, method, request).await {
        Ok(response) => response,
        Err(error) => failed(bridge, sender, &path, error),
    }
}

/// The 500 for a file that could not be sent, logged with its path for `sender`.
pub(crate) fn failed(
    bridge: &BridgeInner,
    sender: &str,
    path: &Path,
    error: std::io::Error,
) -> Response<ResponseBody> {
    let message = format!("{sender} could not send {}: {error}", path.display());
    bridge.submit(Box::new(move |py, _| {
        crate::python::log_error(py, &message, None)
    }));
    errors::internal_error()
}

async fn open_and_send(
    path: &Path,
    response: Response<ResponseBody>,
    method: &Method,
    request: &HeaderMap,
) -> std::io::Result<Response<ResponseBody>> {
    let (path, method, request) = (path.to_owned(), method.clone(), conditions(request));
    let send = tokio::task::spawn_blocking(move || send_now(&path, response, &method, &request));
    send.await.map_err(std::io::Error::other)?
}

/// Bodies up to this size are read in the same blocking step that opens the file, so a
/// small file costs one trip to the blocking pool; bigger ones are streamed.
const READ_AT_ONCE: u64 = 64 * 1024;

/// Open `path` and answer for it (blocking): 404 when it is not a regular file.
pub(crate) fn send_now(
    path: &Path,
    response: Response<ResponseBody>,
    method: &Method,
    request: &HeaderMap,
) -> std::io::Result<Response<ResponseBody>> {
    let Some((file, metadata)) = open(path)? else {
        return Ok(not_found());
    };
    let validators = Validators::of(&metadata);
    let (mut response, bytes) = match answer(metadata.len(), validators, response, method, request)
    {
        Answer::Done(response) => return Ok(response),
        Answer::Send(response, bytes) => (response, bytes),
    };
    let length = bytes.end - bytes.start;
    *response.body_mut() = match length <= READ_AT_ONCE {
        true => {
            let mut content = vec![0; length as usize];
            file.read_exact_at(&mut content, bytes.start)?;
            ResponseBody::full(content)
        }
        false => {
            let mut file = file;
            file.seek(SeekFrom::Start(bytes.start))?;
            let file = tokio::fs::File::from_std(file);
            ResponseBody::reader(file.take(length), Some(length))
        }
    };
    Ok(response)
}

/// Answer for a file held in memory as `body`, whose response head (validators
/// included) is `head`: the same 304, 206 and 416 as [`send_now`] gives from disk.
pub(crate) fn send_memory(
    head: &HeaderMap,
    validators: &Validators,
    body: &bytes::Bytes,
    method: &Method,
    request: &HeaderMap,
) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::empty());
    *response.headers_mut() = head.clone();
    let size = body.len() as u64;
    match answer(size, validators.clone(), response, method, request) {
        Answer::Done(response) => response,
        Answer::Send(mut response, bytes) => {
            let part = body.slice(bytes.start as usize..bytes.end as usize);
            *response.body_mut() = ResponseBody::full(part);
            response
        }
    }
}

/// `path` opened for reading with its metadata (blocking); None when it names no
/// regular file.
pub(crate) fn open(path: &Path) -> std::io::Result<Option<(File, Metadata)>> {
    // Non-blocking, so a FIFO planted in the path cannot hold a thread waiting for a
    // writer; regular files read the same either way.
    let mut options = std::fs::OpenOptions::new();
    options.read(true).custom_flags(libc::O_NONBLOCK);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(error) if missing(&error) => return Ok(None),
        Err(error) => return Err(error),
    };
    let metadata = file.metadata()?;
    Ok(metadata.is_file().then_some((file, metadata)))
}

/// What to do for a file once its validators are known.
enum Answer {
    /// 304 or 416: nothing of the file to send.
    Done(Response<ResponseBody>),
    /// These bytes of the file, with 200 or 206.
    Send(Response<ResponseBody>, std::ops::Range<u64>),
}

/// The headers every file is sent with: `nosniff`, its validators (an `ETag` the app
/// set is kept, and becomes the one compared) and `Accept-Ranges`.
pub(crate) fn file_head(headers: &mut HeaderMap, validators: &mut Validators) {
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    match headers.get(header::ETAG) {
        Some(theirs) => validators.etag = theirs.clone(),
        None => drop(headers.insert(header::ETAG, validators.etag.clone())),
    }
    if let (Some(date), Entry::Vacant(slot)) = (
        validators.last_modified,
        headers.entry(header::LAST_MODIFIED),
    ) {
        slot.insert(HeaderValue::from_str(&date.to_string()).expect("an HTTP date is header text"));
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
}

/// Validators, then 304, 416, 206 or the whole file (of `size` bytes).
fn answer(
    size: u64,
    mut validators: Validators,
    mut response: Response<ResponseBody>,
    method: &Method,
    request: &HeaderMap,
) -> Answer {
    file_head(response.headers_mut(), &mut validators);
    let cacheable =
        response.status() == StatusCode::OK && (method == Method::GET || method == Method::HEAD);
    if cacheable && validators.not_modified(request) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Answer::Done(response);
    }
    let selection = match cacheable && method == Method::GET && validators.range_allowed(request) {
        true => range::select(request.get(header::RANGE), size),
        false => Selection::Full,
    };
    let bytes = match selection {
        Selection::Full => 0..size,
        Selection::Part(bytes) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let range = format!("bytes {}-{}/{size}", bytes.start, bytes.end - 1);
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&range).expect("digits are header text"),
            );
            bytes
        }
        Selection::Unsatisfiable => return Answer::Done(unsatisfiable(size)),
    };
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, (bytes.end - bytes.start).into());
    Answer::Send(response, bytes)
}

impl SendFile {
    /// A file an ASGI app named with `http.response.pathsend`: sent as it is named
    /// (the app chose the path; its folders may well start with '.').
    pub fn named(path: PathBuf) -> Self {
        SendFile {
            path,
            root: None,
            allow_dotfiles: true,
        }
    }

    /// The path to open, or None when it must not be served: outside its root, a
    /// dotfile (in the path given, or what it resolves to under the root), or (without
    /// a root) climbing with `..`.
    async fn resolve(&self) -> Option<PathBuf> {
        let hidden = |path: &Path| !self.allow_dotfiles && has_dot_segment(path);
        if hidden(&self.path) {
            return None;
        }
        let Some(root) = &self.root else {
            let climbs = self.path.components().any(|c| c == Component::ParentDir);
            return (!climbs).then(|| self.path.clone());
        };
        if !is_plain_relative(&self.path) {
            return None;
        }
        let root = tokio::fs::canonicalize(root).await.ok()?;
        let resolved = tokio::fs::canonicalize(root.join(&self.path)).await.ok()?;
        contained(&root, resolved, self.allow_dotfiles)
    }
}

/// `resolved` (a canonical path) when it lies inside `root` (canonical too) and, unless
/// dotfiles are allowed, names no dotfile or dot-folder below it: a symlink may not lead
/// out of the root or onto a hidden file.
fn contained(root: &Path, resolved: PathBuf, allow_dotfiles: bool) -> Option<PathBuf> {
    let inside = resolved.strip_prefix(root).ok()?;
    (allow_dotfiles || !has_dot_segment(inside)).then_some(resolved)
}

/// Whether a segment of `path` names a dotfile or dot-folder (`.` and `..` do not).
fn has_dot_segment(path: &Path) -> bool {
    path.components().any(|c| match c {
        Component::Normal(name) => name.as_encoded_bytes().starts_with(b"."),
        _ => false,
    })
}

/// A path that cannot jump out of the folder it is joined to by being absolute.
fn is_plain_relative(path: &Path) -> bool {
    path.components().all(|c| {
        matches!(
            c,
            Component::Normal(_) | Component::CurDir | Component::ParentDir
        )
    })
}

/// Errors that say the path names no file that can be served (rather than a fault).
fn missing(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::InvalidInput
    ) || matches!(
        error.raw_os_error(),
        Some(libc::ENAMETOOLONG | libc::ELOOP | libc::ENXIO)
    )
}

fn not_found() -> Response<ResponseBody> {
    errors::detail(StatusCode::NOT_FOUND, "File not found")
}

fn unsatisfiable(size: u64) -> Response<ResponseBody> {
    let mut response = errors::detail(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable");
    let range = HeaderValue::from_str(&format!("bytes */{size}")).expect("digits are header text");
    response.headers_mut().insert(header::CONTENT_RANGE, range);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_found_anywhere_but_dot_and_dot_dot_are_not_names() {
        for hidden in [".env", "a/.git/config", "uploads/.x.html", "/srv/.cache/f"] {
            assert!(has_dot_segment(Path::new(hidden)), "{hidden}");
        }
        for plain in ["a/b.txt", "./a.txt", "../a/b", "a/b./c", "/srv/f"] {
            assert!(!has_dot_segment(Path::new(plain)), "{plain}");
        }
    }
}
