//! Query strings without their secrets: the value of every parameter whose name
//! suggests a credential is replaced before the line is written.

/// Parts of parameter names (lowercase) whose values are never logged.
const SECRET_NAMES: &[&str] = &[
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "signature",
    "session",
    "credential",
    "jwt",
    "code",
];

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// `query` with the value of each secret-looking parameter replaced by [`REDACTED`].
pub fn query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// Whether a parameter name (as sent, maybe percent-encoded) names a credential.
fn is_secret(name: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    let name = decoded.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_secret_values_only() {
        assert_eq!(
            query("page=2&token=abc&API_KEY=s3&q=x&access%5Ftoken=t&flag"),
            "page=2&token=[redacted]&API_KEY=[redacted]&q=x&access%5Ftoken=[redacted]&flag"
        );
    }

    #[test]
    fn keeps_an_ordinary_query() {
        assert_eq!(query("a=1&b=&c"), "a=1&b=&c");
    }
}
