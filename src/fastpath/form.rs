//! Form bodies (urlencoded or multipart), read on the tokio side before the handler is
//! called: text fields are coerced like query values, files are checked while they
//! stream in (size, content type, count) and spooled to disk when large.

use std::borrow::Cow;

use bytes::Bytes;
use http::{header, HeaderMap, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::description::ParamDescription;
use super::params::{self, ParamSpec, RequestParts, Source, Value};
use super::spool::{Content, Spool, TempFiles};
use crate::body::{BoxError, ResponseBody};
use crate::errors::{self, FieldError};

/// What a route reads from a form body.
#[derive(Default)]
pub struct FormSpec {
    pub fields: Vec<ParamSpec>,
    pub files: Vec<FileSpec>,
}

/// One `UploadFile` (or `list[UploadFile]`) parameter.
pub struct FileSpec {
    pub name: Py<PyString>,
    /// The form field's name.
    pub key: String,
    /// Used when no file is sent; a required parameter has none.
    pub default: Option<Py<PyAny>>,
    /// `list[UploadFile]`: every file of the field.
    pub multi: bool,
    pub max_size: Option<u64>,
    /// Accepted content types; `image/*` accepts every image type.
    pub allowed_types: Vec<String>,
    pub max_files: usize,
    /// `UploadFile.from_part(filename, content_type, headers, size, bytes_or_path)`.
    pub make: Py<PyAny>,
}

/// One received file.
pub struct Upload {
    filename: Option<String>,
    content_type: String,
    headers: Vec<(String, String)>,
    size: u64,
    content: Content,
}

/// The values of a route's form parameters, in the order of its [`FormSpec`].
pub struct FormValues {
    pub fields: Vec<Value>,
    /// `None` for a file parameter that got no file and has a default.
    pub files: Vec<Option<Vec<Upload>>>,
}

type Answer = Response<ResponseBody>;

impl FileSpec {
    /// Compile a file parameter's description (`source` `"file"`).
    pub fn from_description(py: Python<'_>, desc: ParamDescription) -> Result<Self, String> {
        let ParamDescription {
            name,
            alias,
            required,
            default,
            multi,
            max_size,
            allowed_types,
            max_files,
            convert,
            ..
        } = desc;
        let max_files = match max_files {
            Some(n) => n,
            None if multi => usize::MAX,
            None => 1,
        };
        if max_files == 0 || (!multi && max_files != 1) {
            return Err(format!(
                "file parameter {name:?}: max_files must be at least 1, and above 1 only \
                 for a list[UploadFile]"
            ));
        }
        Ok(FileSpec {
            default: (!required).then(|| default.unwrap_or_else(|| py.None())),
            multi,
            max_size,
            allowed_types: allowed_types
                .unwrap_or_default()
                .iter()
                .map(|t| t.trim().to_ascii_lowercase())
                .collect(),
            max_files,
            make: convert.ok_or_else(|| format!("file parameter {name:?} needs a converter"))?,
            key: alias.unwrap_or_else(|| name.clone()),
            name: PyString::intern(py, &name).unbind(),
        })
    }

    fn allows(&self, content_type: &str) -> bool {
        let essence = essence(content_type);
        self.allowed_types.is_empty()
            || self.allowed_types.iter().any(|allowed| {
                allowed == "*/*"
                    || allowed == &essence
                    || allowed
                        .strip_suffix("/*")
                        .is_some_and(|kind| essence.split('/').next() == Some(kind))
            })
    }

    /// The argument: an `UploadFile`, a list of them, or the default.
    pub fn to_py<'py>(
        &self,
        py: Python<'py>,
        files: Option<Vec<Upload>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(files) = files else {
            let default = self.default.as_ref().map(|d| d.bind(py).clone());
            return Ok(default.unwrap_or_else(|| py.None().into_bound(py)));
        };
        let mut made = files.into_iter().map(|upload| {
            let content = match upload.content {
                Content::Memory(bytes) => pyo3::types::PyBytes::new(py, &bytes).into_any(),
                Content::Disk(path) => path.into_pyobject(py)?.into_any(),
            };
            self.make.bind(py).call1((
                upload.filename,
                upload.content_type,
                upload.headers,
                upload.size,
                content,
            ))
        });
        match self.multi {
            true => Ok(PyList::new(py, made.collect::<PyResult<Vec<_>>>()?)?.into_any()),
            false => made.next().expect("a file was received"),
        }
    }
}

/// The media type without parameters, lower-cased: `text/plain; charset=x` is `text/plain`.
fn essence(content_type: &str) -> String {
    let media = content_type.split(';').next().unwrap_or_default();
    media.trim().to_ascii_lowercase()
}

/// Read the form body of a request to a route with form parameters.
pub async fn read<B>(
    spec: &FormSpec,
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<(FormValues, TempFiles), Answer>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    let received = receive(spec, headers, body, limit).await?;
    let values = values(spec, headers, received.pairs, received.files)
        .map_err(|failures| errors::unprocessable(&failures))?;
    Ok((values, received.temp_files))
}

/// What a form body held.
struct Received {
    pairs: Vec<(String, String)>,
    /// The files of each file parameter, in the order of [`FormSpec::files`].
    files: Vec<Vec<Upload>>,
    temp_files: TempFiles,
}

async fn receive<B>(
    spec: &FormSpec,
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Received, Answer>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut received = Received {
        pairs: Vec::new(),
        files: spec.files.iter().map(|_| Vec::new()).collect(),
        temp_files: TempFiles::default(),
    };
    match essence(content_type).as_str() {
        "application/x-www-form-urlencoded" => {
            let bytes = super::read_body(body, limit).await?;
            params::check_utf8(Source::Form, &bytes)
                .map_err(|err| errors::unprocessable(&[err]))?;
            received.pairs = form_urlencoded::parse(&bytes).into_owned().collect();
        }
        "multipart/form-data" => {
            // A declared length past the limit is refused before anything is spooled.
            if body.size_hint().lower() > limit as u64 {
                return Err(errors::payload_too_large(limit));
            }
            let boundary = multer::parse_boundary(content_type).map_err(|_| {
                errors::detail(
                    StatusCode::BAD_REQUEST,
                    "A multipart/form-data body needs a boundary in its Content-Type",
                )
            })?;
            let mut reader = Multipart {
                spec,
                limit,
                received: &mut received,
            };
            reader.read(body, boundary).await?;
        }
        // No body at all is an empty form: missing fields are reported as such.
        "" if body.is_end_stream() => {}
        _ => {
            return Err(errors::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a form body: Content-Type application/x-www-form-urlencoded \
                 or multipart/form-data",
            ))
        }
    }
    Ok(received)
}

/// Coerce the text fields and check every file parameter got its files.
fn values(
    spec: &FormSpec,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
    files: Vec<Vec<Upload>>,
) -> Result<FormValues, Vec<FieldError>> {
    let pairs = pairs
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
        .collect();
    let (fields, mut failures) =
        match params::extract(&spec.fields, &RequestParts::form(headers, pairs)) {
            Ok(fields) => (fields, Vec::new()),
            Err(failures) => (Vec::new(), failures),
        };
    let mut values = Vec::with_capacity(files.len());
    for (file, received) in spec.files.iter().zip(files) {
        match received.is_empty() {
            false => values.push(Some(received)),
            true if file.default.is_some() => values.push(None),
            true => failures.push(file_error(file, "Field required", "missing")),
        }
    }
    match failures.is_empty() {
        true => Ok(FormValues {
            fields,
            files: values,
        }),
        false => Err(failures),
    }
}

fn file_error(file: &FileSpec, message: &str, kind: &'static str) -> FieldError {
    FieldError {
        location: "file",
        name: file.key.clone(),
        message: message.into(),
        kind,
    }
}

/// A multipart body being read: text fields collected, files checked and spooled.
struct Multipart<'r> {
    spec: &'r FormSpec,
    limit: usize,
    received: &'r mut Received,
}

impl Multipart<'_> {
    async fn read<B>(&mut self, body: B, boundary: String) -> Result<(), Answer>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError> + Send,
    {
        let stream = Limited::new(body, self.limit).into_data_stream();
        let mut multipart = multer::Multipart::new(stream, boundary);
        let read = self.fields(&mut multipart).await;
        if read.is_err() {
            // Take in the rest of what the client sends (the body limit still applies)
            // before answering: HTTP/2 clients take a reset upload for a failed request.
            while let Ok(Some(mut field)) = multipart.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {}
            }
        }
        read
    }

    async fn fields(&mut self, multipart: &mut multer::Multipart<'_>) -> Result<(), Answer> {
        loop {
            let field = multipart.next_field().await;
            let Some(mut field) = field.map_err(|e| self.malformed(e))? else {
                return Ok(());
            };
            let name = field.name().unwrap_or_default().to_owned();
            match self.spec.files.iter().position(|f| f.key == name) {
                Some(index) => {
                    let upload = self.receive(index, &mut field).await?;
                    self.received.files[index].push(upload);
                }
                None if self.spec.fields.iter().any(|f| f.key == name) => {
                    let bytes = field.bytes().await.map_err(|e| self.malformed(e))?;
                    match String::from_utf8(Vec::from(bytes)) {
                        Ok(text) => self.received.pairs.push((name, text)),
                        Err(_) => {
                            return Err(errors::unprocessable(&[FieldError {
                                location: "form",
                                name,
                                message: "The value is not valid UTF-8".into(),
                                kind: "unicode_error",
                            }]))
                        }
                    }
                }
                None => {} // not a parameter: skipped unread
            }
        }
    }

    /// Stream one file into a spool, checking count, type and size as it comes.
    async fn receive(
        &mut self,
        index: usize,
        field: &mut multer::Field<'_>,
    ) -> Result<Upload, Answer> {
        let spec = &self.spec.files[index];
        if self.received.files[index].len() >= spec.max_files {
            let message = format!("Expected at most {} file(s)", spec.max_files);
            return Err(errors::unprocessable(&[file_error(
                spec,
                &message,
                "too_many_files",
            )]));
        }
        let content_type = field
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        if !spec.allows(&content_type) {
            return Err(errors::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "File {:?} has content type {content_type:?}; allowed: {}",
                    spec.key,
                    spec.allowed_types.join(", ")
                ),
            ));
        }
        let mut spool = Spool::new();
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(|e| self.malformed(e))? {
            size += chunk.len() as u64;
            if spec.max_size.is_some_and(|max| size > max) {
                return Err(errors::detail(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!(
                        "File {:?} exceeds the limit of {} bytes",
                        spec.key,
                        spec.max_size.unwrap_or_default()
                    ),
                ));
            }
            spool.write(&chunk).map_err(spool_failed)?;
        }
        Ok(Upload {
            filename: field.file_name().map(str::to_owned),
            headers: field
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            content_type,
            size,
            content: spool
                .finish(&mut self.received.temp_files)
                .map_err(spool_failed)?,
        })
    }

    /// 413 when the body passed the server's limit, 408 when it came too slowly, 400
    /// for any other broken body.
    fn malformed(&self, err: multer::Error) -> Answer {
        if let multer::Error::StreamReadFailed(source) = &err {
            return crate::request_body::failure_response(source, self.limit);
        }
        errors::detail(
            StatusCode::BAD_REQUEST,
            &format!("Malformed multipart body: {err}"),
        )
    }
}

fn spool_failed(err: std::io::Error) -> Answer {
    eprintln!("django-bolt: an upload could not be spooled to disk: {err}");
    errors::detail(
        StatusCode::INTERNAL_SERVER_ERROR,
        "An uploaded file could not be stored",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(types: &[&str]) -> FileSpec {
        pyo3::Python::initialize();
        Python::attach(|py| FileSpec {
            name: PyString::intern(py, "f").unbind(),
            key: "f".into(),
            default: None,
            multi: false,
            max_size: None,
            allowed_types: types.iter().map(|t| t.to_string()).collect(),
            max_files: 1,
            make: py.None(),
        })
    }

    #[test]
    fn content_types_match_exactly_or_by_wildcard() {
        let spec = accepting(&["application/pdf", "image/*"]);
        assert!(spec.allows("application/pdf"));
        assert!(spec.allows("Image/PNG; name=x"));
        assert!(!spec.allows("text/plain"));
        assert!(!spec.allows("imagex/png"));
        assert!(accepting(&[]).allows("anything/at-all"));
    }
}
