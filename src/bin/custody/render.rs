//! Human-readable text for each report. Pure functions from report to
//! string; JSON output is the report itself, serialized by `main`.
//!
//! Every string that comes from the archive or an input (file names, key
//! owners, claim fields, raw metadata, media types, times and ids read
//! from the database, finding messages) goes through `clean` before it is
//! written: control characters, line separators and bidirectional
//! overrides are escaped, so no value can forge, erase or reorder a line.
//!
//! Must not: compute anything a report does not already say; write an
//! untrusted string without `clean`.

use std::fmt::Write;
use std::path::Path;

use crate::demo::DemoReport;
use custody::claim::ClaimValue;
use custody::commands::audit::AuditReport;
use custody::commands::claim::ClaimReport;
use custody::commands::history::{EventView, HistoryReport};
use custody::commands::ingest::{IngestReport, Outcome};
use custody::commands::inspect::{ClaimView, ItemView, ShowReport};
use custody::commands::keys::{KeyAddReport, KeyInfo, KeyNewReport, KeyRevokeReport};
use custody::commands::proof::VerifyProofReport;
use custody::commands::witness::WitnessAddReport;
use custody::custody_log::proof::Verified;
use custody::custody_log::{EventKind, Subject};
use custody::{Identity, Severity};

/// Text from the archive or an input with every character that could
/// forge, erase or reorder terminal output escaped: control characters
/// (newlines, escape sequences), line and paragraph separators, and the
/// bidirectional embeddings, overrides and isolates.
pub fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let risky = c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if risky { c.escape_default().collect() } else { vec![c] }
        })
        .collect()
}

/// A path, cleaned.
fn path(p: &Path) -> String {
    clean(&p.display().to_string())
}

fn short(hex: &str) -> String {
    clean(hex.get(..12).unwrap_or(hex))
}

pub fn init(root: &Path, id: &Identity) -> String {
    format!(
        "created archive {} ({}) at {}\nnext: custody key new --name \"Your Name\", then custody key add FILE.pub\n",
        clean(&format!("{:?}", id.name)),
        clean(&id.archive_id),
        path(root)
    )
}

pub fn key_new(r: &KeyNewReport) -> String {
    format!(
        "secret key: {} ({})\npublic key: {}\nkey id:     {}\nnext: custody key add {}\n",
        path(&r.secret_file),
        if r.encrypted { "passphrase-protected, mode 0600" } else { "UNENCRYPTED, mode 0600" },
        path(&r.public_file),
        clean(&r.keyid),
        path(&r.public_file)
    )
}

pub fn key_add(r: &KeyAddReport) -> String {
    let verb = if r.added { "registered" } else { "already registered:" };
    format!("{verb} key {} for {}\n", clean(&r.key.keyid), clean(&r.key.owner))
}

pub fn key_list(keys: &[KeyInfo]) -> String {
    let mut s = String::new();
    for k in keys {
        let status = match &k.revoked_at {
            Some(t) => format!("revoked {}", clean(t)),
            None => "active".into(),
        };
        let _ = writeln!(
            s,
            "{}  {:<24} added {}  {status}",
            clean(&k.keyid),
            clean(&k.owner),
            clean(&k.added_at)
        );
    }
    if keys.is_empty() {
        s.push_str("no keys registered (custody key add FILE.pub)\n");
    }
    s
}

pub fn ingest(r: &IngestReport) -> String {
    let mut s = String::new();
    for f in &r.files {
        let _ = match &f.outcome {
            Outcome::Added { item, blake3, deduplicated } => writeln!(
                s,
                "added     item {item:<5} {}  {}{}",
                short(blake3),
                clean(&f.path),
                if *deduplicated { "  (bytes already stored)" } else { "" }
            ),
            Outcome::AlreadyArchived { item, blake3, restored } => writeln!(
                s,
                "archived  item {item:<5} {}  {}{}",
                short(blake3),
                clean(&f.path),
                if *restored { "  (missing object file stored again)" } else { "" }
            ),
            Outcome::Skipped { reason } => {
                writeln!(s, "SKIPPED   {}: {}", clean(&f.path), clean(reason))
            }
        };
        if !f.claims.is_empty() {
            let ids: Vec<String> = f.claims.iter().map(i64::to_string).collect();
            let _ = write!(s, "          claims {}", ids.join(", "));
            if !f.corrections.is_empty() {
                let c: Vec<String> = f.corrections.iter().map(i64::to_string).collect();
                let _ = write!(s, " ({} correcting an earlier value)", c.join(", "));
            }
            s.push('\n');
        }
        for p in &f.metadata_problems {
            let _ = writeln!(s, "          metadata problem (file archived): {}", clean(p));
        }
    }
    for e in &r.bad_rows {
        let _ = writeln!(s, "BAD ROW   manifest {} (not ingested)", clean(&e.to_string()));
    }
    ingest_summary(&mut s, r);
    s
}

fn ingest_summary(s: &mut String, r: &IngestReport) {
    let m = &r.summary;
    let _ = writeln!(
        s,
        "{} files, {:.1} MB: {} added ({} new objects, {} deduplicated), {} already archived, {} skipped; {:.2} s, {:.0} MB/s",
        m.files,
        m.bytes as f64 / 1e6,
        m.added,
        m.new_objects,
        m.deduplicated,
        m.already_archived,
        m.skipped,
        m.seconds,
        m.mb_per_s
    );
    if m.claims > 0 || m.metadata_problems > 0 {
        let _ = writeln!(
            s,
            "{} claims recorded; {} files with metadata problems",
            m.claims, m.metadata_problems
        );
    }
    if m.corrections > 0 {
        let _ = writeln!(
            s,
            "{} of them correct the collector's earlier claims (changed manifest or flag values)",
            m.corrections
        );
    }
    if m.restored > 0 {
        let _ = writeln!(s, "{} missing object files were stored again", m.restored);
    }
}

fn item_line(i: &ItemView) -> String {
    format!(
        "{:<5} {}  {:>10}  {:<24} {}  {}  {}",
        i.item,
        short(&i.blake3),
        i.size,
        clean(&i.media_type),
        clean(&i.ingested_at),
        if i.verified { "signature ok" } else { "NOT VERIFIED" },
        clean(&i.path)
    )
}

pub fn list(items: &[ItemView]) -> String {
    let mut s = String::new();
    for i in items {
        let _ = writeln!(s, "{}", item_line(i));
    }
    let _ = writeln!(s, "{} items", items.len());
    s
}

pub fn show(r: &ShowReport) -> String {
    let mut s = String::new();
    if let Some(o) = &r.object {
        let _ = writeln!(s, "object  {}", clean(&o.blake3));
        let _ = writeln!(s, "  blake3  {}\n  sha256  {}", clean(&o.blake3), clean(&o.sha256));
        let _ = writeln!(
            s,
            "  size    {} bytes, stored {} bytes ({})\n  file    {}\n  checked {}",
            o.size,
            o.stored_size,
            clean(&o.encoding),
            clean(&o.path),
            clean(o.last_checked_at.as_deref().unwrap_or("never audited"))
        );
    }
    for i in &r.items {
        show_item(&mut s, i);
    }
    let mut kind = "";
    for c in &r.claims {
        if c.kind != kind {
            kind = &c.kind;
            let _ = writeln!(s, "{}", clean(kind));
        }
        // With several items, say which item each claim was made with.
        let with = match (r.items.len() > 1, c.item) {
            (true, Some(n)) => format!(" (item {n})"),
            (true, None) => " (the object)".into(),
            _ => String::new(),
        };
        let _ = writeln!(s, "{}", claim_line(c, &with));
    }
    if r.claims.is_empty() {
        let _ = writeln!(s, "no claims (custody claim ITEM --kind …)");
    }
    if r.discrepancies.is_empty() {
        let _ = writeln!(s, "discrepancies: none");
    } else {
        let _ = writeln!(s, "DISCREPANCIES to look at:");
        for d in &r.discrepancies {
            let ids: Vec<String> = d.claims.iter().map(i64::to_string).collect();
            let _ = writeln!(s, "  {} (claims {}): {}", d.rule, ids.join(", "), clean(&d.message));
        }
    }
    s
}

fn show_item(s: &mut String, i: &ItemView) {
    let _ = writeln!(s, "item {} ({})", i.item, clean(&i.uuid));
    let _ = writeln!(s, "  name        {}\n  path        {}", clean(&i.name), clean(&i.path));
    if let Some(b) = &i.path_bytes {
        let _ = writeln!(s, "  path bytes  {} (hex: the name is not UTF-8)", clean(b));
    }
    let _ = writeln!(s, "  size        {} bytes\n  media type  {}", i.size, clean(&i.media_type));
    let _ = writeln!(s, "  ingested    {}", clean(&i.ingested_at));
    let _ = writeln!(
        s,
        "  collector   {} ({})",
        clean(i.collector.as_deref().unwrap_or("unknown key")),
        clean(&i.collector_keyid)
    );
    let status = if i.verified {
        "signature verifies; columns match the signed record"
    } else {
        "NOT VERIFIED"
    };
    let _ = writeln!(s, "  record      {} ingest (DSSE / in-toto): {status}", i.record);
    for p in &i.problems {
        let _ = writeln!(s, "    problem: {}", clean(p));
    }
}

fn claim_line(c: &ClaimView, with: &str) -> String {
    let mut s = String::new();
    let state = if c.current { "current   " } else { "superseded" };
    let who = clean(c.author.as_deref().unwrap_or("unknown key"));
    let sig = if c.verified { "signature ok" } else { "NOT VERIFIED" };
    let _ = write!(
        s,
        "  {state} claim {:<4} {:<8} by {who} ({}) at {}{with}  {sig}",
        c.claim,
        clean(&c.basis),
        short(&c.author_keyid),
        clean(&c.signed_at)
    );
    if let Some(conf) = c.confidence {
        let _ = write!(s, "  confidence {}", conf.name());
    }
    if let Some(v) = &c.value {
        let _ = write!(s, "\n      {}", clean(&describe(v)));
    }
    if let Some(n) = c.supersedes {
        let _ = write!(s, "\n      corrects claim {n}");
    }
    if let Some(n) = c.superseded_by {
        let _ = write!(s, "\n      superseded by claim {n}");
    }
    for (k, v) in &c.raw {
        let _ = write!(s, "\n      raw {}: {}", clean(k), clean(v));
    }
    for p in &c.problems {
        let _ = write!(s, "\n      problem: {}", clean(p));
    }
    s
}

/// One line for a claim's value (the caller cleans it).
fn describe(v: &ClaimValue) -> String {
    let opt = |label: &str, o: &Option<String>| o.as_ref().map(|v| format!("{label} {v}"));
    let join =
        |parts: Vec<Option<String>>| parts.into_iter().flatten().collect::<Vec<_>>().join(", ");
    match v {
        ClaimValue::Source(x) => join(vec![
            opt("url", &x.url),
            opt("platform", &x.platform),
            opt("account", &x.account),
            opt("post", &x.post_id),
            opt("posted", &x.posted_at),
            opt("retrieved", &x.retrieved_at),
            x.acquisition.map(|a| format!("acquired by {}", a.name())),
            opt("notes:", &x.notes),
        ]),
        ClaimValue::CaptureTime(t) => format!(
            "captured {}{} (precision: {})",
            t.at,
            if t.offset_unknown { " local time, UTC offset unknown" } else { "" },
            t.precision.name()
        ),
        ClaimValue::Location(l) => join(vec![
            l.lat.zip(l.lon).map(|(lat, lon)| format!("at {lat:.6}, {lon:.6}")),
            l.accuracy_m.map(|a| format!("± {a} m")),
            l.altitude_m.map(|a| format!("altitude {a} m")),
            opt("place", &l.place),
            opt("method:", &l.method),
        ]),
        ClaimValue::Description(d) => join(vec![
            opt("title", &d.title),
            opt("text", &d.text),
            (!d.tags.is_empty()).then(|| format!("tags {}", d.tags.join(", "))),
            opt("language", &d.language),
            opt("charset", &d.charset),
        ]),
        ClaimValue::Relation(r) => join(vec![
            Some(format!("{} object {}", r.relation.name(), r.object.blake3)),
            opt("item", &r.item),
            opt("notes:", &r.notes),
        ]),
        ClaimValue::Verification(x) => join(vec![
            Some(format!("verdict {}", x.verdict.name())),
            Some(format!("method: {}", x.method)),
            opt("notes:", &x.notes),
        ]),
    }
}

pub fn claim(r: &ClaimReport) -> String {
    let mut s = if r.recorded_now {
        format!("recorded claim {} about object {}", r.claim, clean(&r.blake3))
    } else {
        format!(
            "claim {} about object {} already says exactly this: nothing new was signed",
            r.claim,
            clean(&r.blake3)
        )
    };
    if let Some(n) = r.supersedes {
        let _ = write!(s, " (supersedes claim {n})");
    }
    s.push('\n');
    for d in &r.discrepancies {
        let ids: Vec<String> = d.claims.iter().map(i64::to_string).collect();
        let _ = writeln!(
            s,
            "DISCREPANCY {} (claims {}): {}",
            d.rule,
            ids.join(", "),
            clean(&d.message)
        );
    }
    s
}

pub fn key_revoke(r: &KeyRevokeReport) -> String {
    let verb = if r.revoked_now { "revoked" } else { "already revoked:" };
    format!(
        "{verb} key {} ({}) from {}: {}\nwhat it signed before then stays valid; anything signed later is an audit finding\n",
        clean(&r.key.keyid),
        clean(&r.key.owner),
        clean(r.key.revoked_at.as_deref().unwrap_or("?")),
        clean(&r.reason)
    )
}

pub fn witness_add(r: &WitnessAddReport) -> String {
    let verb = if r.stored_now { "stored" } else { "already stored:" };
    format!(
        "{verb} the cosignature of checkpoint {} by {} (time {})\n",
        r.checkpoint,
        clean(&r.witness),
        r.timestamp
    )
}

pub fn audit(r: &AuditReport) -> String {
    let mut s = String::new();
    for f in &r.findings {
        let sev = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        let _ =
            writeln!(s, "{sev} {}: {}: {}", f.code.as_str(), clean(&f.subject), clean(&f.message));
        let _ = writeln!(s, "    where:  {}\n    repair: {}", clean(&f.location), f.repair);
    }
    let _ = writeln!(
        s,
        "audit {}: {}{} objects ({:.1} MB{}), {} items, {} claims, {} signed records, {} log events; {} findings; {:.2} s, {:.0} MB/s",
        r.run_id,
        r.objects_checked,
        if r.objects_checked < r.objects_total {
            format!(" of {} (least recently checked first)", r.objects_total)
        } else {
            String::new()
        },
        r.bytes_checked as f64 / 1e6,
        if r.deep { ", blake3 + sha256" } else { ", blake3" },
        r.items_checked,
        r.claims_checked,
        r.records_checked,
        r.events_checked,
        r.findings.len(),
        r.seconds,
        r.mb_per_s
    );
    if let Some(a) = &r.against {
        if a.consistent {
            let _ = writeln!(
                s,
                "the custody log is consistent with the external checkpoint of size {}",
                a.size
            );
        } else {
            let _ = writeln!(
                s,
                "the custody log is NOT consistent with the external checkpoint of size {} (see the findings)",
                a.size
            );
        }
    }
    match &r.checkpoint {
        None if !r.recorded => {
            let _ = writeln!(
                s,
                "this audit could not be recorded: the archive is read-only (no audit run, no \
                 fixity-check event, no checkpoint)"
            );
        }
        Some(cp) => {
            let size = clean(cp.lines().nth(1).unwrap_or("?"));
            let _ = writeln!(
                s,
                "signed checkpoint of the custody log at size {size} (custody checkpoint prints it)"
            );
        }
        None => {
            let _ = writeln!(s, "no checkpoint signed: the custody log itself has findings");
        }
    }
    s
}

pub fn demo(r: &DemoReport) -> String {
    let mut s = String::new();
    for (n, step) in r.steps.iter().enumerate() {
        let _ = writeln!(s, "\n== step {}: {}\n$ {}", n + 1, step.title, clean(&step.command));
        for line in step.result.lines() {
            let _ = writeln!(s, "  {}", clean(line));
        }
    }
    let _ = writeln!(
        s,
        "\n{}\nscratch archive: {}",
        if r.passed {
            "demo passed: claims signed and verified, the far location flagged and then corrected, \
             a log inclusion proof verified offline, the audit clean, then the deliberately \
             corrupted object caught"
        } else {
            "DEMO FAILED: see the steps above"
        },
        path(&r.archive)
    );
    s
}

/// What an event is about, as the other views name it.
fn about(v: &EventView, kind: EventKind, reference: &str) -> String {
    let a = &v.about;
    match kind {
        EventKind::Ingestion => a.item.map_or_else(|| clean(reference), |n| format!("item {n}")),
        EventKind::Claim => match (a.claim, &a.claim_kind) {
            (Some(n), Some(k)) => format!("claim {n} ({})", clean(k)),
            _ => clean(reference),
        },
        EventKind::KeyRegistration => match &a.key_owner {
            Some(o) => format!("owner {}", clean(o)),
            None => clean(reference),
        },
        EventKind::KeyRevocation => match (&a.key_owner, &a.revoke_reason) {
            (Some(o), Some(r)) => format!("owner {}, reason: {}", clean(o), clean(r)),
            _ => clean(reference),
        },
        EventKind::FixityCheck => match a.findings {
            Some(0) => "clean".into(),
            Some(n) => format!("{n} FINDINGS"),
            None => clean(reference),
        },
        EventKind::Repair | EventKind::Dissemination | EventKind::Transfer => clean(reference),
    }
}

pub fn log(r: &HistoryReport) -> String {
    let mut s = String::new();
    for v in &r.events {
        let Some(e) = &v.event else {
            let _ = writeln!(s, "{:>6}  MALFORMED EVENT (run `custody audit`)", v.index);
            continue;
        };
        let subject = match &e.subject {
            Subject::Object(d) => format!("object {}", short(&d.blake3)),
            Subject::Key(k) => format!("key {}", short(k)),
            Subject::Archive(_) => "archive".into(),
        };
        let who = match (&v.actor_name, &e.actor) {
            (Some(n), Some(k)) => format!("{} ({})", clean(n), short(k)),
            (None, Some(k)) => short(k),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "{:>6}  {}  {:<16} {:<20} by {:<28} {}",
            v.index,
            clean(&e.time),
            e.kind.name(),
            subject,
            who,
            about(v, e.kind, &e.reference)
        );
    }
    let _ = writeln!(s, "{} events shown; the log holds {}", r.events.len(), r.size);
    for c in &r.checkpoints {
        let cos = if c.cosigned_by.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = c.cosigned_by.iter().map(|w| clean(w)).collect();
            format!("; cosigned by {}", names.join(", "))
        };
        let _ =
            writeln!(s, "checkpoint {} at size {} ({}){cos}", c.id, c.size, clean(&c.created_at));
    }
    if !r.vkey.is_empty() {
        let _ = writeln!(s, "log verifier key: {}", clean(&r.vkey));
    }
    s
}

pub fn verify_proof(r: &VerifyProofReport) -> String {
    match (&r.verified, &r.problem) {
        (Some(Verified::Inclusion { index, tree_size, event, origin }), _) => {
            let subject = match &event.subject {
                Subject::Object(d) => {
                    format!("object blake3 {} sha256 {}", clean(&d.blake3), clean(&d.sha256))
                }
                Subject::Key(k) => format!("key {}", clean(k)),
                Subject::Archive(a) => format!("archive {}", clean(a)),
            };
            format!(
                "valid: event {index} is in the tree of size {tree_size} of {}\n  {} at {} of {}\n  {subject}\n",
                clean(origin),
                event.kind.name(),
                clean(&event.time),
                clean(&event.reference)
            )
        }
        (Some(Verified::Consistency { old_size, new_size, origin }), _) => {
            format!(
                "valid: the tree of size {new_size} of {} extends the tree of size {old_size}\n",
                clean(origin)
            )
        }
        (None, Some(p)) => format!("INVALID: {}\n", clean(p)),
        (None, None) => "INVALID\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_what_could_forge_a_line() {
        assert_eq!(clean("a\nb"), "a\\nb");
        assert_eq!(clean("\u{1b}[2Kx"), "\\u{1b}[2Kx");
        assert_eq!(clean("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(clean("حلب — Saadalláh"), "حلب — Saadalláh");
    }
}
