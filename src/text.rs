//! Display forms of untrusted bytes and text: raw path bytes shown as
//! (lossy) UTF-8 with the exact bytes beside when they are not UTF-8, and
//! values quoted (escaped, cut when long) for messages. What reaches a
//! terminal is escaped by the binary.
//!
//! Must not: be used where exact bytes matter (signed fields and database
//! columns keep the raw bytes).

/// Lossy display form of raw path bytes.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The exact bytes as hex when they are not UTF-8 (so a report can carry
/// what `lossy` cannot show); `None` when the lossy form is exact.
pub fn exact(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).is_err().then(|| hex::encode(bytes))
}

/// A path for a message, with control characters escaped (a file name
/// holding a newline cannot forge a line of an error).
pub fn shown(path: &std::path::Path) -> String {
    path.display()
        .to_string()
        .chars()
        .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
        .collect()
}

/// `s` quoted for a message, cut to at most `MAX_SHOWN` characters (the
/// rest counted, not echoed): a 5,000-character field does not flood an
/// error.
pub fn quoted(s: &str) -> String {
    const MAX_SHOWN: usize = 80;
    let n = s.chars().count();
    if n <= MAX_SHOWN {
        return format!("{s:?}");
    }
    let head: String = s.chars().take(MAX_SHOWN).collect();
    format!("{head:?}… ({n} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_quoted() {
        assert_eq!(exact(b"caf\xc3\xa9"), None);
        assert_eq!(exact(b"caf\xe9").as_deref(), Some("636166e9"));
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(5000);
        let q = quoted(&long);
        assert!(q.len() < 120 && q.ends_with("(5000 characters)"), "{q}");
    }
}
