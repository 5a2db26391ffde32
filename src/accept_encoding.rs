//! `Accept-Encoding` (RFC 9110 §12.5.3): which coding the client takes, by its q-values
//! and then the server's order of preference. Asked by Bolt's response compression and
//! by the static files, for a precompressed sibling (`choose`).

/// A content coding the server can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Zstd,
    Gzip,
}

impl Encoding {
    /// The token in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    pub fn from_token(token: &str) -> Option<Encoding> {
        [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip]
            .into_iter()
            .find(|encoding| token.eq_ignore_ascii_case(encoding.token()))
    }
}

/// The coding to use for a client that sent `accept_encoding`, or None for identity.
/// The highest q-value wins; among equals, the one earlier in `preference`. A coding
/// the client did not name takes the q-value of `*`, and q=0 refuses it.
pub fn negotiate(accept_encoding: &[u8], preference: &[Encoding]) -> Option<Encoding> {
    let text = std::str::from_utf8(accept_encoding).ok()?;
    let mut wildcard = None;
    let mut named: [Option<u16>; 3] = [None; 3];
    for item in text.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or_default().trim();
        let Some(q) = parts.find_map(qvalue).unwrap_or(Some(1000)) else {
            continue; // a malformed q-value: ignore the entry
        };
        if token == "*" {
            wildcard = Some(q);
        } else if let Some(encoding) = Encoding::from_token(token).or_else(|| {
            token
                .eq_ignore_ascii_case("x-gzip")
                .then_some(Encoding::Gzip)
        }) {
            named[encoding as usize] = Some(q);
        }
    }
    let mut best: Option<(Encoding, u16)> = None;
    for &encoding in preference {
        let q = named[encoding as usize].or(wildcard).unwrap_or(0);
        if q > 0 && best.is_none_or(|(_, top)| q > top) {
            best = Some((encoding, q));
        }
    }
    best.map(|(encoding, _)| encoding)
}

/// The coding to send to a client taking `accepted` (its best first) when the file has
/// precompressed `siblings`; None for the file itself. The static files choose so when
/// they locate a file (`files::mounts`) and when they look it up cached (`files::cache`).
pub fn choose(accepted: &[Encoding], siblings: &[Encoding]) -> Option<Encoding> {
    accepted
        .iter()
        .find(|wanted| siblings.contains(wanted))
        .copied()
}

/// A `q=` parameter as thousandths: None if this is another parameter, Some(None) if
/// the value is malformed.
fn qvalue(param: &str) -> Option<Option<u16>> {
    let (name, value) = param.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("q") {
        return None;
    }
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !matches!(whole, "0" | "1") || fraction.len() > 3 || !digits(fraction) {
        return Some(None);
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().unwrap_or(0);
    Some(Some(
        (whole.parse::<u16>().unwrap_or(0) * 1000 + thousandths).min(1000),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::*;

    const ALL: &[Encoding] = &[Brotli, Zstd, Gzip];

    fn pick(header: &str) -> Option<Encoding> {
        negotiate(header.as_bytes(), ALL)
    }

    #[test]
    fn server_order_breaks_ties() {
        assert_eq!(pick("gzip, deflate, br, zstd"), Some(Brotli));
        assert_eq!(pick("gzip, zstd"), Some(Zstd));
        assert_eq!(negotiate(b"gzip, br", &[Gzip, Brotli]), Some(Gzip));
    }

    #[test]
    fn q_values_rank_codings() {
        assert_eq!(pick("br;q=0.5, gzip;q=0.8"), Some(Gzip));
        assert_eq!(pick("br;q=0.8, gzip;q=0.800"), Some(Brotli));
        assert_eq!(pick("br; q=1.0, gzip"), Some(Brotli));
    }

    #[test]
    fn q_zero_refuses() {
        assert_eq!(pick("br;q=0, gzip"), Some(Gzip));
        assert_eq!(pick("gzip;q=0"), None);
        assert_eq!(pick("*;q=0"), None);
        assert_eq!(pick("identity"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn wildcard_covers_unnamed_codings() {
        assert_eq!(pick("*"), Some(Brotli));
        assert_eq!(pick("br;q=0, *"), Some(Zstd));
        assert_eq!(pick("gzip;q=0.9, *;q=0.1"), Some(Gzip));
    }

    #[test]
    fn malformed_entries_are_ignored() {
        assert_eq!(pick("br;q=2, gzip"), Some(Gzip));
        assert_eq!(pick("br;q=abc"), None);
        assert_eq!(pick("x-gzip"), Some(Gzip));
        assert_eq!(negotiate(b"gzip", &[Brotli]), None);
    }
}
