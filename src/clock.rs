//! Time: a `Clock` the archive asks for "now", and RFC 3339 UTC formatting.
//! Tests inject a `FixedClock`.
//!
//! Must not: read the local time zone (every stored time is UTC).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, ErrorKind, Result};

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

/// Parse an RFC 3339 timestamp with an explicit offset.
pub fn parse_rfc3339(what: &str, s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("{what} {s:?} is not an RFC 3339 time"))
            .hint("write it like 2024-11-29T14:05:00+03:00 or 2024-11-29T11:05:00Z")
            .source_err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_and_round_trips() {
        let t = datetime!(2024-11-29 14:05:00 +03:00);
        assert_eq!(rfc3339(t), "2024-11-29T11:05:00Z");
        assert_eq!(parse_rfc3339("t", "2024-11-29T11:05:00Z").unwrap(), t);
        assert!(parse_rfc3339("t", "2024-11-29 11:05").is_err());
    }
}
