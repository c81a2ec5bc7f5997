//! The BagIt 1.0 format (RFC 8493), as text: `bagit.txt`, `bag-info.txt`
//! (labels and values, continuation lines), payload and tag manifests
//! (`checksum  path`, with `%`, CR and LF percent-encoded in the path as
//! §2.1.3 requires), and `Payload-Oxum`.
//!
//! Must not: touch files or decide what a bag must contain (`layout` and
//! the verifier do); accept a line it cannot parse.

/// The `bagit.txt` we write (and the only version we accept).
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// A path as a manifest writes it: `%` → `%25`, CR → `%0D`, LF → `%0A`.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// The path a manifest line names (the inverse of `encode_path`; other
/// `%XX` sequences are kept as they are, as RFC 8493 encodes nothing else).
pub fn decode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).map(str::to_ascii_uppercase);
        let c = match code.as_deref() {
            Some("25") => Some('%'),
            Some("0D") => Some('\r'),
            Some("0A") => Some('\n'),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One manifest line.
pub fn manifest_line(hex: &str, path: &str) -> String {
    format!("{hex}  {}\n", encode_path(path))
}

/// The (checksum, path) entries of a manifest, or what is wrong with it.
pub fn parse_manifest(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((sum, path)) = line.split_once([' ', '\t']) else {
            return Err(format!("line {}: no path after the checksum", n + 1));
        };
        let path = path.trim_start_matches([' ', '\t']);
        if path.is_empty() || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("line {} is not \"CHECKSUM PATH\"", n + 1));
        }
        out.push((sum.to_ascii_lowercase(), decode_path(path)));
    }
    Ok(out)
}

/// `bag-info.txt`: labels and values, in order (labels may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BagInfo(pub Vec<(String, String)>);

impl BagInfo {
    /// Add a field (a value's newlines become continuation lines).
    pub fn push(&mut self, label: &str, value: impl Into<String>) {
        self.0.push((label.to_owned(), value.into()));
    }

    /// The first value of `label` (labels compare without regard to case).
    pub fn get(&self, label: &str) -> Option<&str> {
        self.0.iter().find(|(l, _)| l.eq_ignore_ascii_case(label)).map(|(_, v)| v.as_str())
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (label, value) in &self.0 {
            let mut lines = value.split('\n');
            s.push_str(&format!("{label}: {}\n", lines.next().unwrap_or_default()));
            for more in lines {
                s.push_str(&format!("  {more}\n"));
            }
        }
        s
    }

    /// Parse the file's text (RFC 8493 §2.2.2: `Label: value`, a value
    /// continued on lines that start with whitespace).
    pub fn parse(text: &str) -> Result<BagInfo, String> {
        let mut info = BagInfo::default();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with([' ', '\t']) {
                let Some((_, value)) = info.0.last_mut() else {
                    return Err(format!("line {} continues no field", n + 1));
                };
                value.push('\n');
                value.push_str(line.trim());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let Some((label, value)) = line.split_once(':') else {
                return Err(format!("line {} is not \"Label: value\"", n + 1));
            };
            info.0.push((label.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(info)
    }
}

/// `Payload-Oxum`: octets and file count of the payload.
pub fn payload_oxum(octets: u64, files: u64) -> String {
    format!("{octets}.{files}")
}

/// A byte count as `Bag-Size` writes it.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 { format!("{bytes} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_are_percent_encoded_both_ways() {
        let odd = "data/50%\r\nname.txt";
        let line = manifest_line("ab", odd);
        assert_eq!(line, "ab  data/50%25%0D%0Aname.txt\n");
        let back = parse_manifest(&line).unwrap();
        assert_eq!(back, [("ab".to_owned(), odd.to_owned())]);
        assert_eq!(decode_path("a%250Ab%zz"), "a%0Ab%zz");
        // One or more spaces or tabs separate the checksum from the path.
        assert_eq!(parse_manifest("AB\tdata/x y\n").unwrap()[0], ("ab".into(), "data/x y".into()));
        assert!(parse_manifest("not-hex data/x\n").is_err());
        assert!(parse_manifest("abcdef\n").is_err());
    }

    #[test]
    fn bag_info_round_trips_with_continuations() {
        let mut i = BagInfo::default();
        i.push("Source-Organization", "Aleppo 2024 collection");
        i.push("External-Description", "two lines\nof text");
        let text = i.render();
        assert_eq!(
            text,
            "Source-Organization: Aleppo 2024 collection\nExternal-Description: two lines\n  of text\n"
        );
        let back = BagInfo::parse(&text).unwrap();
        assert_eq!(back, i);
        assert_eq!(back.get("source-organization"), Some("Aleppo 2024 collection"));
        assert!(BagInfo::parse("  continues nothing\n").is_err());
        assert_eq!(payload_oxum(279164, 2), "279164.2");
        assert_eq!(human_size(1_084_000_000), "1.1 GB");
    }
}
