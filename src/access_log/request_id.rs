//! `X-Request-ID`: the client's (or its proxy's) when it looks sane, else one made
//! here; it goes to the handler, the response, the access log and Rust's error bodies.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue};

/// The header that carries the id both ways.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest id kept from a request; a longer one is replaced.
pub const MAX_LEN: usize = 200;

/// The request's id: its own `X-Request-ID` if it has exactly one that is sane, else a
/// new one, which replaces whatever the request carried (handlers see that one too).
///
/// The id returned is marked sensitive: HPACK and QPACK then never index it. Every
/// response has its own, so indexing one only evicted useful entries from the
/// connection's header table and made each response's encoding search a table full of
/// dead ids (a visible share of an HTTP/2 response's encoding time).
pub fn take(headers: &mut HeaderMap) -> HeaderValue {
    let mut given = headers.get_all(&HEADER).iter();
    let mut id = match (given.next(), given.next()) {
        (Some(id), None) if is_sane(id.as_bytes()) => id.clone(),
        _ => {
            let id = make();
            headers.insert(HEADER.clone(), id.clone());
            id
        }
    };
    id.set_sensitive(true);
    id
}

/// 1 to [`MAX_LEN`] visible ASCII characters: nothing that could break a log line.
pub fn is_sane(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A new random id shaped as a UUID (version 4): 122 bits from two keyed hashes of
/// a counter, with keys the process draws at random once (no RNG crate needed).
pub fn make() -> HeaderValue {
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(Default::default);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = keys.hash_one((n, 0u8));
    let low = keys.hash_one((n, 1u8));
    let mut bits = (u128::from(high) << 64) | u128::from(low);
    // Version 4, variant 10 (RFC 9562).
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    HeaderValue::from_bytes(&uuid_text(bits))
        .expect("hex digits and dashes are a valid header value")
}

/// `bits` as the 36 characters of a UUID, written in place: this runs for every
/// request, and `format!` made it a visible share of the fast path's time.
fn uuid_text(bits: u128) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [b'-'; 36];
    let digits = (0..36).filter(|i| !matches!(i, 8 | 13 | 18 | 23));
    for (n, at) in digits.enumerate() {
        text[at] = HEX[(bits >> (124 - 4 * n) & 0xf) as usize];
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_one_sane_id() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER.clone(), HeaderValue::from_static("abc-123"));
        assert_eq!(take(&mut headers), "abc-123");
    }

    #[test]
    fn replaces_missing_long_spaced_or_repeated_ids() {
        for given in [
            vec![],
            vec!["a".repeat(MAX_LEN + 1)],
            vec!["has space".into()],
            vec!["one".into(), "two".into()],
        ] {
            let mut headers = HeaderMap::new();
            for value in &given {
                headers.append(HEADER.clone(), HeaderValue::from_str(value).unwrap());
            }
            let id = take(&mut headers);
            assert_eq!(id.len(), 36, "{given:?}");
            assert!(id.is_sensitive(), "never indexed by HPACK/QPACK");
            assert_eq!(headers.get_all(&HEADER).iter().collect::<Vec<_>>(), [&id]);
        }
    }

    #[test]
    fn uuid_text_puts_the_digits_in_order_between_dashes() {
        let text = uuid_text(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(&text, b"01234567-89ab-cdef-fedc-ba9876543210");
    }

    #[test]
    fn made_ids_are_version_4_uuids_and_differ() {
        let (a, b) = (make(), make());
        assert_ne!(a, b);
        let a = a.to_str().unwrap();
        assert_eq!(a.as_bytes()[14], b'4');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(
            a.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
    }
}
