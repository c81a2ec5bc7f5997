//! Media type sniffing from magic bytes (the `infer` crate, plus a WHATWG-
//! style check for HTML and plain text) and the per-object compression
//! decision: known-compressed types are stored as they are; anything else is
//! probed by compressing a sample, and zstd is kept only if the sample
//! shrinks to 97% or less (borg's `auto` rule).
//!
//! Must not: read files (callers hand in the first bytes) or write anything.

/// How much of the head is compressed to decide.
const PROBE_BYTES: usize = 64 * 1024;
/// Keep zstd only if the probe is at most this fraction of the input.
const KEEP_RATIO: f64 = 0.97;

/// Sniff the media type of a file from its first bytes.
pub fn sniff(head: &[u8]) -> String {
    if head.is_empty() {
        return "application/x-empty".into();
    }
    // 3GPP files (brand 3gp4..3gp9, 3g2*) that `infer` does not name.
    if head.get(4..8) == Some(b"ftyp")
        && head.get(8..11).is_some_and(|b| b == b"3gp" || b == b"3g2")
    {
        return "video/3gpp".into();
    }
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_owned();
    }
    if looks_like_html(head) {
        return "text/html".into();
    }
    if looks_like_text(head) {
        return "text/plain".into();
    }
    "application/octet-stream".into()
}

fn looks_like_html(head: &[u8]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let h = &head[start..head.len().min(start + 64)];
    let lower: Vec<u8> = h.iter().map(u8::to_ascii_lowercase).collect();
    [&b"<!doctype html"[..], b"<html", b"<head", b"<body"].iter().any(|p| lower.starts_with(p))
}

fn looks_like_text(head: &[u8]) -> bool {
    // UTF-8 with no control bytes other than tab, newline, CR, form feed.
    // A multi-byte character cut at the end of the sample is allowed.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && !head.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

/// Whether a media type is already compressed (never worth zstd).
fn known_compressed(media_type: &str) -> bool {
    media_type.starts_with("video/")
        || media_type.starts_with("audio/")
        || matches!(
            media_type,
            "image/jpeg"
                | "image/png"
                | "image/gif"
                | "image/webp"
                | "image/heif"
                | "image/heic"
                | "image/avif"
                | "image/jxl"
                | "application/zip"
                | "application/gzip"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/zstd"
                | "application/x-7z-compressed"
                | "application/vnd.rar"
                | "application/pdf"
                | "application/epub+zip"
        )
}

/// Decide whether to store an object as a zstd frame, from its media type
/// and its first bytes.
pub fn should_compress(media_type: &str, head: &[u8]) -> bool {
    if head.len() < 64 || known_compressed(media_type) {
        return false;
    }
    let sample = &head[..head.len().min(PROBE_BYTES)];
    match zstd::bulk::compress(sample, 1) {
        Ok(c) => (c.len() as f64) <= KEEP_RATIO * sample.len() as f64,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_types() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"), "video/mp4");
        assert_eq!(sniff(b"  <!DOCTYPE html><html>"), "text/html");
        assert_eq!(sniff("حلب, 29 November\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\x01\x02\x03\x04binary"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/x-empty");
    }

    #[test]
    fn compression_decision() {
        let text = "the citadel gate at dawn, residents reported. ".repeat(200);
        assert!(should_compress("text/plain", text.as_bytes()));
        assert!(!should_compress("image/jpeg", text.as_bytes()));
        let mut noise = vec![0u8; 65536];
        let mut x: u32 = 12345;
        for b in &mut noise {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            *b = (x >> 24) as u8;
        }
        assert!(!should_compress("application/octet-stream", &noise));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn sniffing_and_probing_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
                let t = sniff(&bytes);
                prop_assert!(!t.is_empty());
                let _ = should_compress(&t, &bytes);
            }
        }
    }
}
