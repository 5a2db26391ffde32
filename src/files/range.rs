//! The `Range` header (RFC 9110 §14.2): which bytes of a file to send.

use std::ops::Range;

use http::HeaderValue;

/// What a `Range` header asks of a file of a given size.
#[derive(Debug, PartialEq, Eq)]
pub enum Selection {
    /// No usable range: send the whole file with 200.
    Full,
    /// One satisfiable range: send these bytes with 206.
    Part(Range<u64>),
    /// A single range that starts past the end: 416.
    Unsatisfiable,
}

/// Read `header` for a file of `size` bytes. A header that does not parse, or that asks
/// for several ranges, is ignored (as RFC 9110 allows): the whole file is cheaper to
/// send and simpler for clients than `multipart/byteranges`.
pub fn select(header: Option<&HeaderValue>, size: u64) -> Selection {
    let Some(spec) = header
        .and_then(|value| value.to_str().ok())
        .and_then(|text| strip_prefix_ignore_case(text.trim(), "bytes="))
    else {
        return Selection::Full;
    };
    if spec.contains(',') {
        return Selection::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Selection::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    match (number(first), number(last)) {
        // `-n`: the last n bytes.
        (None, Some(suffix)) if first.is_empty() => match suffix.min(size) {
            0 => Selection::Unsatisfiable,
            suffix => Selection::Part(size - suffix..size),
        },
        (Some(start), _) if start >= size && (last.is_empty() || number(last) >= Some(start)) => {
            Selection::Unsatisfiable
        }
        // `a-`: from a to the end.
        (Some(start), None) if last.is_empty() => Selection::Part(start..size),
        // `a-b`: both inclusive; b past the end means the end.
        (Some(start), Some(end)) if end >= start => {
            Selection::Part(start..size.min(end.saturating_add(1)))
        }
        _ => Selection::Full,
    }
}

fn number(text: &str) -> Option<u64> {
    match !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse().ok(),
        false => None,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str, size: u64) -> Selection {
        select(Some(&HeaderValue::from_str(header).unwrap()), size)
    }

    #[test]
    fn single_ranges() {
        assert_eq!(pick("bytes=0-9", 100), Selection::Part(0..10));
        assert_eq!(pick("bytes=90-", 100), Selection::Part(90..100));
        assert_eq!(pick("bytes=-10", 100), Selection::Part(90..100));
        assert_eq!(pick("bytes=-500", 100), Selection::Part(0..100));
        assert_eq!(pick("bytes=50-500", 100), Selection::Part(50..100));
        assert_eq!(pick("Bytes= 5-5", 100), Selection::Part(5..6));
        assert_eq!(
            pick("bytes=1-18446744073709551615", 100),
            Selection::Part(1..100)
        );
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(pick("bytes=100-", 100), Selection::Unsatisfiable);
        assert_eq!(pick("bytes=200-300", 100), Selection::Unsatisfiable);
        assert_eq!(pick("bytes=-0", 100), Selection::Unsatisfiable);
        assert_eq!(pick("bytes=0-", 0), Selection::Unsatisfiable);
    }

    #[test]
    fn ignored_ranges() {
        assert_eq!(select(None, 100), Selection::Full);
        assert_eq!(pick("bytes=0-1,5-6", 100), Selection::Full);
        assert_eq!(pick("bytes=9-2", 100), Selection::Full);
        assert_eq!(pick("items=0-1", 100), Selection::Full);
        assert_eq!(pick("bytes=x-1", 100), Selection::Full);
        assert_eq!(pick("bytes=-", 100), Selection::Full);
        assert_eq!(pick("bytes=+1-2", 100), Selection::Full);
        assert_eq!(pick("bytes=0-99999999999999999999", 100), Selection::Full);
    }
}
