//! IPTC IIM records (IPTC-NAA Information Interchange Model 4.2), as
//! JPEG APP13 and TIFF tag 33723 carry them: each dataset is 0x1C, record,
//! number, a two-byte length (or, with its top bit set, the byte count of
//! a longer length), then its data. Only record 1's coded character set
//! (1:90) and the record 2 datasets listed in `NAMES` are kept.
//!
//! Must not: decide which claims the datasets make (metadata.rs does).

use std::collections::BTreeMap;

/// The record 2 datasets read, by number, with their IIM names.
pub const NAMES: &[(u8, &str)] = &[
    (5, "ObjectName"),
    (25, "Keywords"),
    (55, "DateCreated"),
    (60, "TimeCreated"),
    (80, "By-line"),
    (90, "City"),
    (92, "Sub-location"),
    (95, "Province-State"),
    (101, "Country-PrimaryLocationName"),
    (110, "Credit"),
    (115, "Source"),
    (120, "Caption-Abstract"),
];

/// What was read: IIM name → value (repeated datasets such as Keywords
/// joined with "; "), and what could not be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Iim {
    /// The datasets.
    pub fields: BTreeMap<&'static str, String>,
    /// Problems met.
    pub problems: Vec<String>,
}

/// Read the datasets of an IIM block.
pub fn read(mut b: &[u8]) -> Iim {
    let mut out = Iim::default();
    let mut raw: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut utf8 = false;
    while !b.is_empty() {
        if b[0] != 0x1C || b.len() < 5 {
            // Padding after the last dataset is common; anything else is not.
            if b.iter().any(|&c| c != 0) {
                out.problems.push(format!(
                    "IPTC data has {} bytes that are not a dataset; not read",
                    b.len()
                ));
            }
            break;
        }
        let (record, number) = (b[1], b[2]);
        let mut len = usize::from(u16::from_be_bytes([b[3], b[4]]));
        let mut start = 5;
        if len & 0x8000 != 0 {
            // Extended: the low bits give how many length bytes follow.
            let n = len & 0x7FFF;
            let Some(bytes) = b.get(5..5 + n).filter(|_| n <= 4) else {
                out.problems.push(format!(
                    "IPTC dataset {record}:{number} has a malformed length; the rest is not read"
                ));
                break;
            };
            len = bytes.iter().fold(0usize, |acc, &x| acc << 8 | usize::from(x));
            start += n;
        }
        let Some(data) = b.get(start..start.saturating_add(len)) else {
            out.problems.push(format!(
                "IPTC dataset {record}:{number} says {len} bytes but {} remain; the rest is not read",
                b.len() - start.min(b.len())
            ));
            break;
        };
        if record == 1 && number == 90 {
            // ESC % G: UTF-8.
            utf8 = data == b"\x1b%G";
        } else if record == 2 {
            raw.push((number, data.to_vec()));
        }
        b = &b[start + len..];
    }
    for (number, data) in raw {
        let Some((_, name)) = NAMES.iter().find(|(n, _)| *n == number) else { continue };
        // Without a declared character set, UTF-8 where it is valid, else
        // Latin-1 (what older newsroom systems wrote).
        let text = match std::str::from_utf8(&data) {
            Ok(s) => s.to_owned(),
            Err(_) if utf8 => String::from_utf8_lossy(&data).into_owned(),
            Err(_) => data.iter().map(|&c| char::from(c)).collect(),
        };
        let text = text.trim_end_matches(['\0', ' ']).trim().to_owned();
        if text.is_empty() {
            continue;
        }
        out.fields
            .entry(name)
            .and_modify(|v| {
                v.push_str("; ");
                v.push_str(&text);
            })
            .or_insert(text);
    }
    out
}

/// Date Created (CCYYMMDD) and Time Created (HHMMSS±HHMM) as a capture
/// time string: RFC 3339 with the offset, a local time when the offset is
/// missing, or a date alone (a day in an unknown zone); `true` when the
/// offset is unknown.
pub fn capture(date: &str, time: Option<&str>) -> Option<(String, bool)> {
    let d = date.trim();
    if d.len() != 8 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let day = format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]);
    let Some(t) = time.map(str::trim) else { return Some((day, true)) };
    // Digits and a sign only: anything else is not a time (and slicing
    // below is by byte).
    if !t.is_ascii() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match t.len() {
        6 if digits(t) => Some((format!("{day}T{}:{}:{}", &t[..2], &t[2..4], &t[4..]), true)),
        11 if digits(&t[..6]) && matches!(&t[6..7], "+" | "-") && digits(&t[7..]) => Some((
            format!(
                "{day}T{}:{}:{}{}{}:{}",
                &t[..2],
                &t[2..4],
                &t[4..6],
                &t[6..7],
                &t[7..9],
                &t[9..]
            ),
            false,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(record: u8, number: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1C, record, number];
        v.extend((data.len() as u16).to_be_bytes());
        v.extend(data);
        v
    }

    #[test]
    fn datasets_and_charsets() {
        let mut b = dataset(1, 90, b"\x1b%G");
        b.extend(dataset(2, 0, b"\0\x04"));
        b.extend(dataset(2, 90, "حلب".as_bytes()));
        b.extend(dataset(2, 25, b"citadel"));
        b.extend(dataset(2, 25, b"gate"));
        b.extend(dataset(2, 55, b"20241129"));
        b.extend(dataset(2, 60, b"140307+0300"));
        b.extend([0, 0]);
        let r = read(&b);
        assert_eq!(r.fields["City"], "حلب");
        assert_eq!(r.fields["Keywords"], "citadel; gate");
        assert!(r.problems.is_empty(), "{r:?}");
        // Latin-1 without a declared character set.
        let r = read(&dataset(2, 80, b"Jos\xe9"));
        assert_eq!(r.fields["By-line"], "José");
    }

    #[test]
    fn a_wrong_length_is_a_problem_and_keeps_what_came_before() {
        let mut b = dataset(2, 90, b"Aleppo");
        b.extend([0x1C, 2, 120, 0x01, 0x00, b'x']);
        let r = read(&b);
        assert_eq!(r.fields["City"], "Aleppo");
        assert!(r.problems[0].contains("2:120 says 256 bytes"), "{r:?}");
    }

    #[test]
    fn capture_times() {
        assert_eq!(
            capture("20241129", Some("140307+0300")),
            Some(("2024-11-29T14:03:07+03:00".into(), false))
        );
        assert_eq!(capture("20241129", Some("140307")), Some(("2024-11-29T14:03:07".into(), true)));
        assert_eq!(capture("20241129", None), Some(("2024-11-29".into(), true)));
        // Found by fuzzing: a multi-byte character where the digits end.
        assert_eq!(capture("20241129", Some("091500د ا")), None);
        for (d, t) in [
            ("2024112", None),
            ("2024-11-29", None),
            ("20241129", Some("1403")),
            ("20241129", Some("140307*0300")),
        ] {
            assert_eq!(capture(d, t), None, "{d} {t:?}");
        }
    }
}
