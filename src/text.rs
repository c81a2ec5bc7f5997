//! Display forms of untrusted bytes: raw path bytes shown as (lossy)
//! UTF-8. What reaches a terminal is escaped by the binary.
//!
//! Must not: be used where exact bytes matter (signed fields and database
//! columns keep the raw bytes).

/// Lossy display form of raw path bytes.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
