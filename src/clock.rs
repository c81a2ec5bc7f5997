//! Time: a `Clock` the archive asks for "now", RFC 3339 UTC formatting,
//! and the one RFC 3339 parser every input time goes through (flags,
//! manifest columns, signed claim values, revocation times).
//! Tests inject a `FixedClock`.
//!
//! Must not: read the local time zone (every stored time is UTC).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that always says the same instant (tests, reproducible demos).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// Format an instant as RFC 3339 in UTC (`2024-11-29T10:15:00Z`, with
/// fractional seconds only when there are some).
pub fn rfc3339(t: OffsetDateTime) -> String {
    // Formatting a UTC instant in RFC 3339 cannot fail for years 0..=9999;
    // an instant whose UTC form is out of range keeps its own offset.
    t.checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Parse an RFC 3339 instant, which must carry an offset and lie within
/// years 1..9998 (so that any window around it stays in the calendar).
/// The message says what is wrong and how to write it.
pub fn parse_instant(s: &str) -> Result<OffsetDateTime, String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        let hint = if time::PrimitiveDateTime::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
        .is_ok()
        {
            "a time without an offset: add one, e.g. 2024-11-29T14:03:00+03:00 or …Z for UTC"
        } else {
            "not an RFC 3339 time: write e.g. 2024-11-29T14:03:00+03:00"
        };
        format!("{} is {hint}", crate::text::quoted(s))
    })?;
    if !(1..=9998).contains(&t.year()) || t.checked_to_offset(time::UtcOffset::UTC).is_none() {
        return Err(format!("{} is outside the years 1 to 9998", crate::text::quoted(s)));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_and_round_trips() {
        let t = datetime!(2024-11-29 14:05:00 +03:00);
        assert_eq!(rfc3339(t), "2024-11-29T11:05:00Z");
        assert_eq!(parse_instant("2024-11-29T11:05:00Z").unwrap(), t);
        assert!(parse_instant("2024-11-29 11:05").unwrap_err().contains("not an RFC 3339"));
        assert!(parse_instant("2024-11-29T11:05:00").unwrap_err().contains("without an offset"));
        // The calendar's edges are errors, never panics.
        assert!(parse_instant("9999-12-31T23:59:59-01:00").is_err());
        assert!(parse_instant("0000-01-01T00:00:00Z").is_err());
    }
}
