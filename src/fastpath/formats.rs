//! Text formats checked in Rust before Python turns the text into its object: a bad
//! value is a 422 without a Python call, and what passes here always converts.

/// Digits a `Decimal` parameter may have, as written: Python's own bound on the digits
/// `int()` reads (`sys.get_int_max_str_digits()`), above which conversions turn slow.
pub const MAX_DECIMAL_DIGITS: usize = 4300;
/// The largest exponent (either sign) of a `Decimal` parameter. `1e1000000000000000000`
/// is valid text but no `Decimal` context can hold it, and a large one that fits makes
/// every conversion to `int` or fixed-point text as long as the exponent.
pub const MAX_DECIMAL_EXPONENT: u64 = 4300;

/// A decimal's text split up: digits before and after the point, the exponent's digits.
struct DecimalText<'a> {
    whole: &'a str,
    fraction: &'a str,
    exponent: Option<&'a str>,
}

impl<'a> DecimalText<'a> {
    /// `[+-]digits[.digits][e[+-]digits]` (what `decimal.Decimal` takes, minus NaN/Inf).
    fn parse(text: &'a str) -> Option<Self> {
        let s = text.strip_prefix(['+', '-']).unwrap_or(text);
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let exponent = exponent.map(|e| e.strip_prefix(['+', '-']).unwrap_or(e));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        let mantissa_ok =
            digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
        let exponent_ok = exponent.is_none_or(|e| !e.is_empty() && digits(e));
        (mantissa_ok && exponent_ok).then_some(DecimalText {
            whole,
            fraction,
            exponent,
        })
    }

    fn within_bounds(&self) -> bool {
        let exponent = self.exponent.unwrap_or("0").trim_start_matches('0');
        // More than 20 digits cannot fit a u64; fewer are parsed to be compared.
        let exponent_ok = exponent.len() <= 20
            && exponent
                .parse::<u64>()
                .map_or(exponent.is_empty(), |e| e <= MAX_DECIMAL_EXPONENT);
        exponent_ok && self.whole.len() + self.fraction.len() <= MAX_DECIMAL_DIGITS
    }
}

/// `[+-]digits[.digits][e[+-]digits]` (what `decimal.Decimal` takes, minus NaN/Inf).
pub fn is_decimal(text: &str) -> bool {
    DecimalText::parse(text).is_some()
}

/// A decimal (as [`is_decimal`]) of at most [`MAX_DECIMAL_DIGITS`] digits and an
/// exponent of at most [`MAX_DECIMAL_EXPONENT`] either way.
pub fn is_bounded_decimal(text: &str) -> bool {
    DecimalText::parse(text).is_some_and(|d| d.within_bounds())
}

/// 32 hex digits, optionally hyphenated as 8-4-4-4-12 (what `uuid.UUID` takes).
pub fn is_uuid(text: &str) -> bool {
    let hex =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit());
    match text.len() {
        32 => hex(text, 32),
        36 => {
            let parts: Vec<&str> = text.split('-').collect();
            parts.len() == 5
                && [8, 4, 4, 4, 12]
                    .iter()
                    .zip(&parts)
                    .all(|(len, part)| hex(part, *len))
        }
        _ => false,
    }
}

fn number(text: &str, len: usize) -> Option<u32> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD`, a real day of the calendar.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts[..] else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (number(year, 4), number(month, 2), number(day, 2))
    else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// `HH:MM[:SS[.ffffff]]` with an optional `Z` or `±HH:MM` offset.
pub fn is_time(text: &str) -> bool {
    let (clock, offset) = split_offset(text);
    offset.is_none_or(is_offset) && is_clock(clock)
}

/// A date, `T` or a space, and a time (as [`is_time`]).
pub fn is_datetime(text: &str) -> bool {
    match text.find(['T', ' ']) {
        Some(at) => is_date(&text[..at]) && is_time(&text[at + 1..]),
        None => false,
    }
}

fn split_offset(text: &str) -> (&str, Option<&str>) {
    if let Some(clock) = text.strip_suffix('Z') {
        return (clock, Some("+00:00"));
    }
    match text.rfind(['+', '-']) {
        Some(at) => (&text[..at], Some(&text[at..])),
        None => (text, None),
    }
}

fn is_offset(offset: &str) -> bool {
    let Some((hours, minutes)) = offset[1..].split_once(':') else {
        return false;
    };
    matches!((number(hours, 2), number(minutes, 2)), (Some(h), Some(m)) if h < 24 && m < 60)
}

fn is_clock(clock: &str) -> bool {
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    // A fraction needs seconds before it and 1 to 6 digits (`12:00:00.` is no time).
    let fraction_ok = fraction
        .is_none_or(|f| (1..=6).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()));
    let parts: Vec<&str> = hms.split(':').collect();
    let fields = match (&parts[..], fraction) {
        ([h, m], None) => (number(h, 2), number(m, 2), Some(0)),
        ([h, m, s], _) => (number(h, 2), number(m, 2), number(s, 2)),
        _ => return false,
    };
    fraction_ok && matches!(fields, (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for good in ["1", "-1.50", "+.5", "3.", "1e10", "2.5E-3"] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in [
            "", ".", "1.2.3", "abc", "1e", "NaN", "1_000", "--1", "1e+-1",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    /// Found by fuzzing: `decimal.Decimal` raises on these, a 500 once they passed here.
    #[test]
    fn decimal_exponents_stay_within_what_python_holds() {
        assert!(is_bounded_decimal("-2.5E-0000000000000000000000004300"));
        assert!(!is_bounded_decimal("1e1000000000000000000"));
        assert!(!is_bounded_decimal("+78E-237812341237812378123456"));
    }

    /// Found by fuzzing: `time.fromisoformat` refuses `08:00:00.`, a 500 once it passed
    /// here. A fraction is also taken only after seconds, as ISO 8601 has it.
    #[test]
    fn a_fraction_of_a_second_needs_digits_and_seconds() {
        assert!(!is_time("08:00:00."));
        assert!(!is_datetime("2024-05-01T08:00:00.Z"));
        assert!(!is_time("12:00.12345"));
        assert!(is_time("08:00:00.5"));
    }

    #[test]
    fn decimals_are_bounded() {
        let many = "9".repeat(MAX_DECIMAL_DIGITS);
        for fits in ["1e4300", "1E-4300", "1e0000000000000000000000004300", &many] {
            assert!(is_bounded_decimal(fits), "{fits}");
        }
        let too_many = format!("{many}.5");
        for huge in [
            "1e4301",
            "1e-4301",
            "1e1000000000000000000",
            "1e99999999999999999999999999",
            &too_many,
        ] {
            assert!(is_decimal(huge) && !is_bounded_decimal(huge), "{huge}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("12345678-1234-5678-1234-567812345678"));
        assert!(is_uuid("12345678123456781234567812345678"));
        assert!(!is_uuid("12345678-1234-5678-1234-56781234567g"));
        assert!(!is_uuid("1234"));
    }

    #[test]
    fn dates_times_and_datetimes() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("24-01-01"));
        assert!(is_time("23:59"));
        assert!(is_time("23:59:59.123456"));
        assert!(is_time("08:00:00+02:00"));
        assert!(!is_time("24:00"));
        assert!(!is_time("12:00:00.1234567"));
        assert!(is_datetime("2024-05-01T12:30:00Z"));
        assert!(is_datetime("2024-05-01 12:30"));
        assert!(is_datetime("2024-05-01T12:30:00.5-05:00"));
        assert!(!is_datetime("2024-05-01"));
        assert!(!is_datetime("2024-05-01T25:00"));
    }
}
