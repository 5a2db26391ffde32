//! Validators of a file (`ETag`, `Last-Modified`) and the conditional request headers
//! that compare against them (RFC 9110 §13).

use std::fs::Metadata;
use std::time::UNIX_EPOCH;

use http::{header, HeaderMap, HeaderValue};
use httpdate::HttpDate;

/// What a client can compare a file against.
#[derive(Clone)]
pub struct Validators {
    pub etag: HeaderValue,
    pub last_modified: Option<HttpDate>,
}

impl Validators {
    /// From the file's size and modification time (in nanoseconds), as nginx does: any
    /// rewrite changes the tag, so it is sent as a strong tag and `If-Range` can use it.
    pub fn of(metadata: &Metadata) -> Validators {
        let modified = metadata.modified().ok();
        let nanos = modified
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |age| age.as_nanos());
        let etag = format!("\"{nanos:x}-{:x}\"", metadata.len());
        Validators {
            etag: HeaderValue::from_str(&etag).expect("hex digits are valid header text"),
            last_modified: modified.map(HttpDate::from),
        }
    }

    /// `If-None-Match` (or, without it, `If-Modified-Since`) says the client's copy is
    /// current: answer 304.
    pub fn not_modified(&self, request: &HeaderMap) -> bool {
        let mut tags = request.get_all(header::IF_NONE_MATCH).iter().peekable();
        if tags.peek().is_some() {
            return tags
                .filter_map(|value| value.to_str().ok())
                .flat_map(|list| list.split(','))
                .any(|tag| tag.trim() == "*" || weak_match(tag.trim(), self.etag.as_bytes()));
        }
        match (
            self.last_modified,
            date(request.get(header::IF_MODIFIED_SINCE)),
        ) {
            (Some(modified), Some(since)) => modified <= since,
            _ => false,
        }
    }

    /// `If-Range`: a range may be sent only if the client's copy is this version (the
    /// same strong tag, or exactly the same date).
    pub fn range_allowed(&self, request: &HeaderMap) -> bool {
        let Some(condition) = request.get(header::IF_RANGE) else {
            return true;
        };
        if condition.as_bytes().starts_with(b"\"") {
            return condition == self.etag;
        }
        match (self.last_modified, date(Some(condition))) {
            (Some(modified), Some(date)) => modified == date,
            _ => false,
        }
    }
}

/// Weak comparison: equal tags once any `W/` is set aside.
fn weak_match(tag: &str, ours: &[u8]) -> bool {
    let opaque = |tag: &[u8]| tag.strip_prefix(b"W/").unwrap_or(tag).to_vec();
    opaque(tag.as_bytes()) == opaque(ours)
}

fn date(value: Option<&HeaderValue>) -> Option<HttpDate> {
    value?.to_str().ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn validators() -> Validators {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        Validators {
            etag: HeaderValue::from_static("\"abc-10\""),
            last_modified: Some(HttpDate::from(time)),
        }
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let v = validators();
        let inm = header::IF_NONE_MATCH;
        assert!(v.not_modified(&headers(&[(inm.clone(), "\"x\", W/\"abc-10\"")])));
        assert!(v.not_modified(&headers(&[(inm.clone(), "*")])));
        assert!(!v.not_modified(&headers(&[(inm.clone(), "\"abc-11\"")])));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let v = validators();
        let request = headers(&[
            (header::IF_NONE_MATCH, "\"other\""),
            (header::IF_MODIFIED_SINCE, "Tue, 14 Nov 2023 22:13:20 GMT"),
        ]);
        assert!(!v.not_modified(&request));
    }

    #[test]
    fn if_modified_since_compares_dates() {
        let v = validators();
        let ims = header::IF_MODIFIED_SINCE;
        assert!(v.not_modified(&headers(&[(ims.clone(), "Tue, 14 Nov 2023 22:13:20 GMT")])));
        assert!(!v.not_modified(&headers(&[(ims.clone(), "Tue, 14 Nov 2023 22:13:19 GMT")])));
        assert!(!v.not_modified(&headers(&[(ims, "yesterday")])));
    }

    #[test]
    fn if_range_needs_the_same_version() {
        let v = validators();
        let ir = header::IF_RANGE;
        assert!(v.range_allowed(&HeaderMap::new()));
        assert!(v.range_allowed(&headers(&[(ir.clone(), "\"abc-10\"")])));
        assert!(!v.range_allowed(&headers(&[(ir.clone(), "W/\"abc-10\"")])));
        assert!(!v.range_allowed(&headers(&[(ir.clone(), "\"old\"")])));
        assert!(v.range_allowed(&headers(&[(ir.clone(), "Tue, 14 Nov 2023 22:13:20 GMT")])));
        assert!(!v.range_allowed(&headers(&[(ir, "Tue, 14 Nov 2023 22:13:21 GMT")])));
    }
}
