//! Cookies read as Django reads them (`django.http.cookie.parse_cookie` over the
//! `Cookie` headers of an ASGI request), so that `Cookie()` parameters, `request.cookies`
//! and the session cookie agree with `request.COOKIES` of a Django view:
//!
//! - every `Cookie` header, in order, split at each `;`;
//! - `name=value` at the first `=`; a chunk without `=` is the value of the name `""`;
//! - name and value stripped of whitespace (Python's `str.strip`); a chunk left empty
//!   on both sides is skipped;
//! - a value in double quotes is unquoted (`http.cookies._unquote`: `\ooo` octal and
//!   `\x` escapes);
//! - a name sent twice keeps its last value;
//! - header bytes are read as Latin-1, as Django's ASGI request does.

use std::borrow::Cow;
use std::collections::HashMap;

use http::HeaderMap;

/// Every cookie, in the order their names first appear, each with its last value.
pub fn parse(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (name, value) in chunks(headers) {
        let value = unquote(value);
        let name = latin1(name).into_owned();
        match index.get(&name) {
            Some(&at) => jar[at].1 = value,
            None => {
                index.insert(name.clone(), jar.len());
                jar.push((name, value));
            }
        }
    }
    jar
}

/// The value of the cookie `name` (its last occurrence), unquoted.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    raw(headers, name).map(unquote)
}

/// The value of the cookie `name` (its last occurrence) as sent, stripped but still
/// quoted.
pub fn raw<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    chunks(headers)
        .filter(|(key, _)| latin1(key) == name)
        .last()
        .map(|(_, value)| value)
}

/// `(name, value)` of every chunk of every Cookie header, stripped, empty ones skipped.
fn chunks(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b';'))
        .map(|chunk| match chunk.iter().position(|&b| b == b'=') {
            Some(at) => (strip(&chunk[..at]), strip(&chunk[at + 1..])),
            None => (&b""[..], strip(chunk)),
        })
        .filter(|(name, value)| !name.is_empty() || !value.is_empty())
}

/// Python's `str.strip()` of Latin-1 text: the bytes whose character is whitespace
/// to Python (`\t\n\v\f\r`, the separators `\x1c`-`\x1f`, space, NEL and NBSP).
fn strip(text: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, 0x09..=0x0d | 0x1c..=0x20 | 0x85 | 0xa0);
    let start = text.iter().position(|b| !space(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |at| at + 1);
    &text[start..end]
}

/// Latin-1 bytes as text: borrowed when they are ASCII.
fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// `http.cookies._unquote`: a value in double quotes loses them, and within, `\ooo`
/// (octal, `\000` to `\377`) is that character and `\` before any other character but
/// a newline is that character. Anything else is kept as sent.
fn unquote(value: &[u8]) -> String {
    let quoted = value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"';
    if !quoted {
        return latin1(value).into_owned();
    }
    let inner = &value[1..value.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut at = 0;
    while at < inner.len() {
        let rest = &inner[at..];
        match rest {
            [b'\\', a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] => {
                out.push(char::from((a - b'0') * 64 + (b - b'0') * 8 + (c - b'0')));
                at += 4;
            }
            [b'\\', next, ..] if *next != b'\n' => {
                out.push(char::from(*next));
                at += 2;
            }
            [byte, ..] => {
                out.push(char::from(*byte));
                at += 1;
            }
            [] => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                http::header::COOKIE,
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    fn jar(values: &[&[u8]]) -> Vec<(String, String)> {
        parse(&headers(values))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_last_of_a_repeated_name_wins_in_the_first_place() {
        let sent = jar(&[b"a=1; b=2; a=3"]);
        assert_eq!(sent, pairs(&[("a", "3"), ("b", "2")]));
        assert_eq!(
            get(&headers(&[b"a=1; b=2", b"a=3"]), "a").as_deref(),
            Some("3")
        );
    }

    #[test]
    fn chunks_without_equals_have_the_empty_name() {
        assert_eq!(
            jar(&[b"lonely; x=1; other"]),
            pairs(&[("", "other"), ("x", "1")])
        );
        assert_eq!(jar(&[b";;  ; ="]), pairs(&[]));
        assert_eq!(jar(&[b"=v"]), pairs(&[("", "v")]));
        assert_eq!(jar(&[b"k="]), pairs(&[("k", "")]));
    }

    #[test]
    fn names_and_values_are_stripped_not_checked() {
        assert_eq!(
            jar(&[b" a b = c d \t; \xa0e\x85=f=g"]),
            pairs(&[("a b", "c d"), ("e", "f=g")])
        );
    }

    #[test]
    fn quoted_values_are_unquoted_as_python_does() {
        let sent = headers(&[br#"a="x\"y"; b="\101\\"; c="\400"; d=""; e="; f="\""#]);
        assert_eq!(get(&sent, "a").as_deref(), Some("x\"y"));
        assert_eq!(get(&sent, "b").as_deref(), Some("A\\"));
        assert_eq!(get(&sent, "c").as_deref(), Some("400"));
        assert_eq!(get(&sent, "d").as_deref(), Some(""));
        assert_eq!(get(&sent, "e").as_deref(), Some("\""));
        assert_eq!(get(&sent, "f").as_deref(), Some("\\"));
        assert_eq!(raw(&sent, "a"), Some(&br#""x\"y""#[..]));
    }

    #[test]
    fn bytes_are_latin_1() {
        assert_eq!(jar(&[b"n=caf\xc3\xa9"]), pairs(&[("n", "caf\u{c3}\u{a9}")]));
        assert_eq!(jar(&[br#"n="\351""#]), pairs(&[("n", "\u{e9}")]));
    }
}
