//! Access log lines leave the request path at once: each entry is queued to a
//! thread of its own, which formats a batch and writes it with one system call to
//! stderr, or hands it to Python's `logging` with one GIL acquisition per batch.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::line::{protocol, Entry};
use crate::notice::Notice;

/// Entries waiting for the writer; past this (stderr blocked) new ones are dropped.
const QUEUE: usize = 64 * 1024;
/// How long the writer waits after the first entry of a batch.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);
/// Entries written at once at most.
const MAX_BATCH: usize = 512;

static DROPPED: Notice = Notice::new();

/// The shape of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown access log format {s:?}: text or json")),
        }
    }
}

/// Where lines go.
pub enum Sink {
    /// Written by Rust to stderr; `colour` only for text.
    Stderr { format: Format, colour: bool },
    /// Handed to a Python callable taking a list of tuples (see
    /// `django_bolt/logs.py`): the project configured handlers for the access logger.
    Python { format: Format, emit: Py<PyAny> },
}

/// The sending end; the thread ends when it is dropped, after writing what is queued.
pub struct Writer {
    queue: SyncSender<Entry>,
}

impl Writer {
    pub fn start(sink: Sink) -> std::io::Result<Self> {
        let (queue, entries) = mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("bolt-access-log".into())
            .spawn(move || drain(entries, sink))?;
        Ok(Writer { queue })
    }

    /// Queue an entry; never waits.
    pub fn send(&self, entry: Entry) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(entry) {
            DROPPED.print(|| "access log lines dropped: the log output is not keeping up".into());
        }
    }
}

fn drain(entries: Receiver<Entry>, sink: Sink) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = entries.recv() {
        // Let a batch gather: a sender wakes this thread only when it sleeps in
        // `recv`, so under load that is once per pause, not once per request.
        std::thread::sleep(GATHER);
        batch.push(first);
        batch.extend(entries.try_iter().take(MAX_BATCH - 1));
        match &sink {
            Sink::Stderr { format, colour } => write_stderr(&batch, *format, *colour),
            Sink::Python { format, emit } => hand_to_python(&batch, *format, emit),
        }
        batch.clear();
    }
}

fn write_stderr(batch: &[Entry], format: Format, colour: bool) {
    let mut out = String::with_capacity(batch.len() * 160);
    for entry in batch {
        match format {
            Format::Text => {
                out.push_str(&super::line::timestamp(entry.time));
                out.push(' ');
                out.push_str(&entry.text(colour));
            }
            Format::Json => out.push_str(&entry.json()),
        }
        out.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// One call of `emit([(message, method, path, query, status, bytes, duration_ms,
/// client, protocol, request_id), ...])`; nothing once the interpreter is gone.
fn hand_to_python(batch: &[Entry], format: Format, emit: &Py<PyAny>) {
    Python::try_attach(|py| {
        let handed = records(py, batch, format).and_then(|list| emit.call1(py, (list,)));
        if let Err(err) = handed {
            err.print(py);
        }
    });
}

fn records<'py>(py: Python<'py>, batch: &[Entry], format: Format) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for entry in batch {
        let message = match format {
            Format::Text => entry.text(false),
            Format::Json => entry.json(),
        };
        let record = (
            message,
            entry.method(),
            entry.path.as_str(),
            entry.query.as_deref(),
            entry.status,
            entry.bytes,
            entry.duration_ms(),
            entry.client.map(|ip| ip.to_string()),
            protocol(entry.protocol),
            entry.request_id.as_ref().and_then(|id| id.to_str().ok()),
        );
        list.append(record)?;
    }
    Ok(list)
}
