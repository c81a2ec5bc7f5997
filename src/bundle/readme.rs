//! The bag's plain-language READMEs, for a reader who has never run
//! custody: `README.txt`, and `README.html` — self-contained (no script,
//! no external resource) with every archive-derived string HTML-escaped.
//! What the bag holds, item by item (names, digests, size, media type, who
//! ingested it when, every claim with its basis, signer and whether it was
//! superseded, the discrepancies flagged, its custody timeline), what was
//! withheld, and exactly how to check the bag with standard tools.
//!
//! Must not: say anything the bag's evidence does not (the exporter builds
//! `Readme` from the same rows it signs and proves).

use htmlize::escape_text as esc;

use super::evidence::Withheld;

/// What the READMEs tell.
#[derive(Debug, Clone)]
pub struct Readme {
    /// The archive's name.
    pub archive_name: String,
    /// Its id.
    pub archive_id: String,
    /// The bag's id.
    pub bag_id: String,
    /// When.
    pub exported_at: String,
    /// Who exported it: "Name (keyid)".
    pub exporter: String,
    /// The checkpoint's tree size.
    pub checkpoint_size: u64,
    /// The log's verifier key.
    pub log_vkey: String,
    /// A witnessed checkpoint: (its size, who cosigned it).
    pub witnessed: Option<(u64, Vec<String>)>,
    /// The items.
    pub items: Vec<ReadmeItem>,
    /// Claims withheld.
    pub withheld: Vec<Withheld>,
}

/// One item, as the READMEs tell it.
#[derive(Debug, Clone)]
pub struct ReadmeItem {
    /// Its number.
    pub item: i64,
    /// Its original name.
    pub name: String,
    /// Its payload file.
    pub payload: String,
    /// BLAKE3.
    pub blake3: String,
    /// SHA-256.
    pub sha256: String,
    /// Size.
    pub size: u64,
    /// Media type.
    pub media_type: String,
    /// "Name (keyid) at time".
    pub ingested: String,
    /// Its claims, one line each.
    pub claims: Vec<String>,
    /// The discrepancies flagged.
    pub discrepancies: Vec<String>,
    /// Its custody timeline, one line per event.
    pub timeline: Vec<String>,
}

fn checking(r: &Readme) -> Vec<String> {
    vec![
        "Fixity, with standard tools (from inside the bag's folder): \
         sha256sum -c manifest-sha256.txt && sha512sum -c manifest-sha512.txt \
         (BagIt writes a file name holding %, CR or LF as %25, %0D, %0A)."
            .into(),
        "Fixity and completeness with the Library of Congress's bagit.py: bagit.py --validate BAG"
            .into(),
        "Signatures, with any DSSE verifier: every line of custody/records.intoto.jsonl and \
         custody/bag.intoto.jsonl is a DSSE envelope around an in-toto Statement v1 (payload type \
         application/vnd.in-toto+json, Ed25519); the public keys are in custody/keys.json, each \
         also in securesystemslib's format. custody/bag.intoto.jsonl names every payload file \
         with its SHA-256 and BLAKE3: one check of it covers the whole payload."
            .into(),
        "The custody log: every line of custody/events.jsonl holds a C2SP tlog-proof inclusion \
         proof against custody/checkpoint, a C2SP signed note by the log key below (any RFC 6962 \
         implementation recomputes the root)."
            .into(),
        format!(
            "All of it at once, offline: custody verify BAG --vkey '{}' --trust-key KEY.pub \
             (pin the keys you trust; --trust-bag-keys takes the bag's own keys and says so).",
            r.log_vkey
        ),
    ]
}

fn intro(r: &Readme) -> Vec<String> {
    let mut v = vec![
        format!(
            "This is an evidence bag from the archive \"{}\" ({}), exported at {} by {}. It is a \
             BagIt bag (RFC 8493): data/ holds the original files, byte for byte as they were \
             collected — including any location, device or author data inside them; everything \
             else is evidence about them.",
            r.archive_name, r.archive_id, r.exported_at, r.exporter
        ),
        format!(
            "Bag {}: {} item(s). Every custody event of them is proven to be in the archive's \
             custody log of {} events (custody/checkpoint).",
            r.bag_id,
            r.items.len(),
            r.checkpoint_size
        ),
    ];
    if let Some((size, w)) = &r.witnessed {
        v.push(format!("The log at size {size} was cosigned by {}.", w.join(", ")));
    }
    if !r.withheld.is_empty() {
        v.push(format!(
            "{} claim(s) were withheld from this bag on purpose (they exist, signed, in the \
             archive, and can be disclosed later and checked against its log):",
            r.withheld.len()
        ));
        for w in &r.withheld {
            let item =
                w.item.as_deref().map(|i| format!(", made with item {i}")).unwrap_or_default();
            v.push(format!("  claim {} ({}), {}{item}", w.claim, w.kind, w.uuid));
        }
    }
    v
}

/// `README.txt`.
pub fn text(r: &Readme) -> String {
    let mut s = String::from("EVIDENCE BAG\n\n");
    for p in intro(r) {
        s.push_str(&p);
        s.push('\n');
    }
    for i in &r.items {
        s.push_str(&format!(
            "\nITEM {}: {}\n  file        {}\n  blake3      {}\n  sha256      {}\n  size        {} bytes\n  media type  {}\n  ingested    {}\n",
            i.item, i.name, i.payload, i.blake3, i.sha256, i.size, i.media_type, i.ingested
        ));
        let lists = [
            ("claims", &i.claims),
            ("discrepancies", &i.discrepancies),
            ("custody timeline", &i.timeline),
        ];
        for (title, lines) in lists {
            if lines.is_empty() {
                continue;
            }
            s.push_str(&format!("  {title}:\n"));
            for l in lines {
                s.push_str(&format!("    {l}\n"));
            }
        }
    }
    s.push_str("\nHOW TO CHECK THIS BAG\n");
    for (n, c) in checking(r).iter().enumerate() {
        s.push_str(&format!("{}. {c}\n", n + 1));
    }
    s
}

/// `README.html`: the same, every string escaped.
pub fn html(r: &Readme) -> String {
    let mut s = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Evidence bag</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto;\
         line-height:1.4}code,td{font-family:monospace;word-break:break-all}h2{margin-top:2em}\
         </style></head><body>\n<h1>Evidence bag</h1>\n",
    );
    for p in intro(r) {
        s.push_str(&format!("<p>{}</p>\n", esc(&p)));
    }
    for i in &r.items {
        s.push_str(&format!("<h2>Item {}: {}</h2>\n<table>\n", i.item, esc(&i.name)));
        for (k, v) in [
            ("file", i.payload.as_str()),
            ("blake3", &i.blake3),
            ("sha256", &i.sha256),
            ("media type", &i.media_type),
            ("ingested", &i.ingested),
        ] {
            s.push_str(&format!("<tr><th>{k}</th><td>{}</td></tr>\n", esc(v)));
        }
        s.push_str(&format!("<tr><th>size</th><td>{} bytes</td></tr>\n</table>\n", i.size));
        let lists = [
            ("Claims", &i.claims),
            ("Discrepancies", &i.discrepancies),
            ("Custody timeline", &i.timeline),
        ];
        for (title, lines) in lists {
            if lines.is_empty() {
                continue;
            }
            s.push_str(&format!("<h3>{title}</h3>\n<ul>\n"));
            for l in lines {
                s.push_str(&format!("<li>{}</li>\n", esc(l)));
            }
            s.push_str("</ul>\n");
        }
    }
    s.push_str("<h2>How to check this bag</h2>\n<ol>\n");
    for c in checking(r) {
        s.push_str(&format!("<li>{}</li>\n", esc(&c)));
    }
    s.push_str("</ol>\n</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_archive_string() {
        let r = Readme {
            archive_name: "<script>alert(1)</script>".into(),
            archive_id: "a".into(),
            bag_id: "b".into(),
            exported_at: "t".into(),
            exporter: "Mallory & <Co>".into(),
            checkpoint_size: 3,
            log_vkey: "v".into(),
            witnessed: None,
            items: vec![ReadmeItem {
                item: 1,
                name: "<img src=x onerror=alert(1)>.jpg".into(),
                payload: "data/x".into(),
                blake3: "b".into(),
                sha256: "s".into(),
                size: 1,
                media_type: "image/jpeg".into(),
                ingested: "i".into(),
                claims: vec!["place <b>Aleppo</b>".into()],
                discrepancies: vec![],
                timeline: vec![],
            }],
            withheld: vec![],
        };
        let h = html(&r);
        assert!(!h.contains("<script>") && !h.contains("<img") && !h.contains("<b>"), "{h}");
        assert!(h.contains("&lt;script&gt;") && h.contains("&lt;img"));
        assert!(!h.contains("http"), "no external resource: {h}");
        assert!(text(&r).contains("ITEM 1: <img"));
    }
}
