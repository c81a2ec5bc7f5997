//! What `search` and `timeline` print for people and for researchers' own
//! tools: a table, JSON Lines (one item per line), RFC 4180 CSV with the
//! column set schema/FORMAT.md documents and a guard against spreadsheet
//! formula injection, and an RFC 7946 GeoJSON FeatureCollection.
//!
//! Every text that comes from the archive is escaped for its medium: the
//! table and the timeline through `render::clean`; CSV text cells through
//! `clean` and then the formula guard (a cell starting with `=`, `+`, `-`,
//! `@`, tab or CR gets a leading `'`, as OWASP recommends); JSON and
//! GeoJSON by serde's string escaping.
//!
//! Must not: compute anything the reports do not say.

use std::fmt::Write;

use crate::render::clean;
use custody::commands::search::Reindexed;
use custody::commands::search::{Hit, SearchReport, TimelineReport};

/// The CSV columns, in order (schema/FORMAT.md, "Search output").
pub const CSV_COLUMNS: &[&str] = &[
    "item",
    "uuid",
    "name",
    "media_type",
    "blake3",
    "sha256",
    "ingested_at",
    "collector_keyid",
    "collector",
    "capture_time",
    "capture_basis",
    "capture_approximate",
    "lat",
    "lon",
    "accuracy_m",
    "place",
    "location_basis",
    "source",
    "flags",
    "matched_claims",
    "distance_km",
    "rank",
    "snippet",
];

fn short(hex: &str) -> String {
    clean(hex.get(..12).unwrap_or(hex))
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// A text cell: escaped, and guarded against formula injection.
pub fn guard(s: &str) -> String {
    let s = clean(s);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s }
}

pub fn csv(hits: &[Hit]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for h in hits {
        let cap = h.capture.as_ref();
        let loc = h.location.as_ref();
        let matched: Vec<String> = h.matched.iter().map(|m| m.claim.to_string()).collect();
        let row = [
            h.item.to_string(),
            guard(&h.uuid),
            guard(&h.name),
            guard(&h.media_type),
            guard(&h.blake3),
            guard(&h.sha256),
            guard(&h.ingested_at),
            guard(&h.collector_keyid),
            guard(h.collector.as_deref().unwrap_or_default()),
            guard(cap.map(|c| c.at.as_str()).unwrap_or_default()),
            guard(cap.map(|c| c.basis.as_str()).unwrap_or_default()),
            cap.map(|c| c.approximate.to_string()).unwrap_or_default(),
            num(loc.and_then(|l| l.lat)),
            num(loc.and_then(|l| l.lon)),
            num(loc.and_then(|l| l.accuracy_m)),
            guard(loc.and_then(|l| l.place.as_deref()).unwrap_or_default()),
            guard(loc.map(|l| l.basis.as_str()).unwrap_or_default()),
            guard(h.source.as_deref().unwrap_or_default()),
            guard(&h.flags.join(" ")),
            matched.join(" "),
            num(h.distance_km),
            num(h.rank),
            guard(h.snippet.as_deref().unwrap_or_default()),
        ];
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

pub fn json_lines(hits: &[Hit]) -> String {
    let mut s = String::new();
    for h in hits {
        let _ = writeln!(s, "{}", serde_json::to_string(h).unwrap_or_default());
    }
    s
}

pub fn geojson(hits: &[Hit]) -> String {
    let features: Vec<serde_json::Value> = hits
        .iter()
        .filter_map(|h| {
            let l = h.location.as_ref()?;
            let (lat, lon) = (l.lat?, l.lon?);
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "item": h.item,
                    "uuid": h.uuid,
                    "name": h.name,
                    "media_type": h.media_type,
                    "blake3": h.blake3,
                    "sha256": h.sha256,
                    "capture_time": h.capture.as_ref().map(|c| c.at.clone()),
                    "capture_basis": h.capture.as_ref().map(|c| c.basis.clone()),
                    "location_basis": l.basis,
                    "accuracy_m": l.accuracy_m,
                    "place": l.place,
                    "source": h.source,
                    "flags": h.flags,
                },
            }))
        })
        .collect();
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    format!("{}\n", serde_json::to_string_pretty(&fc).unwrap_or_default())
}

fn hit_line(s: &mut String, h: &Hit) {
    let when = h.capture.as_ref().map_or_else(
        || "undated".to_owned(),
        |c| {
            format!(
                "{} ({}{})",
                clean(&c.at),
                clean(&c.basis),
                if c.approximate { ", approximate" } else { "" }
            )
        },
    );
    let _ = writeln!(
        s,
        "{:>5}  {}  {}  {}",
        h.item,
        short(&h.blake3),
        clean(&h.media_type),
        clean(&h.name)
    );
    let _ = writeln!(s, "       captured {when}");
    if let Some(l) = &h.location {
        let pos = l.lat.zip(l.lon).map(|(a, o)| format!("{a:.5},{o:.5}"));
        let parts: Vec<String> =
            [pos, l.accuracy_m.map(|a| format!("± {a} m")), l.place.as_deref().map(clean)]
                .into_iter()
                .flatten()
                .collect();
        let _ = writeln!(s, "       at {} ({})", parts.join(" "), clean(&l.basis));
    }
    if let Some(src) = &h.source {
        let _ = writeln!(s, "       from {}", clean(src));
    }
    if let Some(d) = h.distance_km {
        let _ = writeln!(s, "       {d:.3} km from the centre");
    }
    if let Some(sn) = &h.snippet {
        let _ = writeln!(s, "       “{}”", clean(sn));
    }
    if h.matched.iter().any(|m| m.approximate) {
        let _ = writeln!(s, "       approximate match (local time or day only)");
    }
    if !h.flags.is_empty() {
        let _ = writeln!(s, "       flagged: {}", clean(&h.flags.join(", ")));
    }
}

pub fn table(r: &SearchReport) -> String {
    let mut s = String::new();
    for h in &r.hits {
        hit_line(&mut s, h);
    }
    let _ = writeln!(
        s,
        "{} of {} matching item{} shown{}",
        r.hits.len(),
        r.total,
        if r.total == 1 { "" } else { "s" },
        if r.hits.len() < r.total { " (--limit / --offset for more)" } else { "" }
    );
    s
}

pub fn timeline(r: &TimelineReport) -> String {
    let mut s = String::new();
    for h in &r.entries {
        hit_line(&mut s, h);
        if let Some(lines) = r.contradictions.get(&h.item) {
            let _ = writeln!(s, "       claims that disagree:");
            for l in lines {
                let _ = writeln!(s, "         {}", clean(l));
            }
        }
    }
    let _ = writeln!(
        s,
        "{} dated item{} in capture-time order{}",
        r.entries.len(),
        if r.entries.len() == 1 { "" } else { "s" },
        if r.undated > 0 {
            format!("; {} matching item(s) have no capture time", r.undated)
        } else {
            String::new()
        }
    );
    s
}

pub fn reindex(r: &Reindexed) -> String {
    format!(
        "reindexed {} objects: {} current claims, {} texts, {} flagged\n",
        r.objects, r.claims, r.texts, r.flagged
    )
}
