//! One access log entry and its two shapes: a text line and a JSON object.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Method, Version};

use crate::json::push_json_string;

/// What is logged of one answered request.
pub struct Entry {
    /// When the response was done (sent, or abandoned by the client).
    pub time: SystemTime,
    /// `None` when the request could not be read (hyper answered it).
    pub method: Option<Method>,
    pub path: String,
    /// With secret values redacted (see `redact`).
    pub query: Option<String>,
    pub protocol: Version,
    /// After trusted proxy headers.
    pub client: Option<IpAddr>,
    pub status: u16,
    /// Response body bytes handed to the connection.
    pub bytes: u64,
    pub duration: Duration,
    pub request_id: Option<HeaderValue>,
}

impl Entry {
    pub fn method(&self) -> &str {
        self.method.as_ref().map_or("-", Method::as_str)
    }

    pub fn client(&self) -> String {
        self.client
            .map_or_else(|| "-".to_owned(), |ip| ip.to_string())
    }

    pub fn request_id(&self) -> &str {
        self.request_id
            .as_ref()
            .and_then(|id| id.to_str().ok())
            .unwrap_or("-")
    }

    pub fn duration_ms(&self) -> f64 {
        self.duration.as_secs_f64() * 1000.0
    }

    /// `127.0.0.1 "GET /items/?page=2 HTTP/1.1" 200 17 0.412ms <request id>`, the
    /// status in colour when asked (2xx green, 3xx cyan, 4xx yellow, 5xx red).
    pub fn text(&self, colour: bool) -> String {
        let mut line = String::with_capacity(96 + self.path.len());
        let _ = write!(line, "{} \"{} ", self.client(), self.method());
        push_quoted(&mut line, &self.path);
        if let Some(query) = &self.query {
            line.push('?');
            push_quoted(&mut line, query);
        }
        let _ = write!(line, " {}\" ", protocol(self.protocol));
        match colour {
            true => {
                let code = match self.status {
                    200..=299 => "32",
                    300..=399 => "36",
                    400..=499 => "33",
                    _ => "31",
                };
                let _ = write!(line, "\x1b[{code}m{}\x1b[0m", self.status);
            }
            false => {
                let _ = write!(line, "{}", self.status);
            }
        }
        let _ = write!(
            line,
            " {} {:.3}ms {}",
            self.bytes,
            self.duration_ms(),
            self.request_id()
        );
        line
    }

    /// One JSON object (no newline): time, level, logger and every field.
    pub fn json(&self) -> String {
        let mut out = String::with_capacity(256 + self.path.len());
        out.push_str("{\"time\":\"");
        out.push_str(&timestamp(self.time));
        out.push_str("\",\"level\":\"INFO\",\"logger\":\"django_bolt.access\",\"method\":");
        push_json_string(&mut out, self.method());
        out.push_str(",\"path\":");
        push_json_string(&mut out, &self.path);
        out.push_str(",\"query\":");
        match &self.query {
            Some(query) => push_json_string(&mut out, query),
            None => out.push_str("null"),
        }
        let _ = write!(
            out,
            ",\"status\":{},\"bytes\":{},\"duration_ms\":{:.3},\"client\":",
            self.status,
            self.bytes,
            self.duration_ms()
        );
        match self.client {
            Some(ip) => push_json_string(&mut out, &ip.to_string()),
            None => out.push_str("null"),
        }
        out.push_str(",\"protocol\":");
        push_json_string(&mut out, protocol(self.protocol));
        out.push_str(",\"request_id\":");
        match self.request_id.as_ref().and_then(|id| id.to_str().ok()) {
            Some(id) => push_json_string(&mut out, id),
            None => out.push_str("null"),
        }
        out.push('}');
        out
    }
}

/// The protocol as users name it.
pub fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// Inside the quotes of a text line, a quote or backslash is escaped.
fn push_quoted(out: &mut String, s: &str) {
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// RFC 3339 in UTC with milliseconds: `2025-01-31T12:00:00.123Z`.
pub fn timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            time: UNIX_EPOCH + Duration::from_millis(1_709_210_096_789),
            method: Some(Method::GET),
            path: "/a\"b".into(),
            query: Some("page=2".into()),
            protocol: Version::HTTP_2,
            client: Some("10.0.0.1".parse().unwrap()),
            status: 404,
            bytes: 22,
            duration: Duration::from_micros(1500),
            request_id: Some(HeaderValue::from_static("rid-1")),
        }
    }

    #[test]
    fn formats_a_text_line() {
        assert_eq!(
            entry().text(false),
            r#"10.0.0.1 "GET /a\"b?page=2 HTTP/2" 404 22 1.500ms rid-1"#
        );
        assert!(entry().text(true).contains("\x1b[33m404\x1b[0m"));
    }

    #[test]
    fn formats_json() {
        let value: serde_json::Value = serde_json::from_str(&entry().json()).unwrap();
        assert_eq!(value["time"], "2024-02-29T12:34:56.789Z");
        assert_eq!(value["path"], "/a\"b");
        assert_eq!(value["status"], 404);
        assert_eq!(value["protocol"], "HTTP/2");
        assert_eq!(value["request_id"], "rid-1");
    }
}
