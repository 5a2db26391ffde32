//! JSON text that Rust writes itself, without a serializer: the error bodies it
//! answers with and the access log's JSON lines.

/// Append `s` as a JSON string literal. Runs of characters that need no escape are
/// copied whole: this writes every error body and access log line.
pub fn push_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut copied = 0;
    for (at, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        // `at` is a char boundary: every byte escaped here is ASCII.
        out.push_str(&s[copied..at]);
        match escape {
            Some(escape) => out.push_str(escape),
            None => out.push_str(&format!("\\u{byte:04x}")),
        }
        copied = at + 1;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_json_strings() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn copies_other_characters_as_they_are() {
        let mut out = String::from("x");
        push_json_string(&mut out, "é😀\tz\u{1f}");
        push_json_string(&mut out, "");
        assert_eq!(out, "x\"é😀\\tz\\u001f\"\"\"");
    }
}
