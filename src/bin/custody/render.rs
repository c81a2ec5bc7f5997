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
use custody::commands::audit::{AuditReport, AuditStatus};
use custody::commands::claim::ClaimReport;
use custody::commands::export::ExportReport;
use custody::commands::history::{EventView, HistoryReport};
use custody::commands::import::ImportReport;
use custody::commands::ingest::{IngestReport, Outcome, Reading};
use custody::commands::inspect::{ClaimView, ItemView, ShowReport};
use custody::commands::keys::{KeyAddReport, KeyInfo, KeyNewReport, KeyRevokeReport};
use custody::commands::proof::VerifyProofReport;
use custody::commands::verify::VerifyReport;
use custody::commands::witness::WitnessAddReport;
use custody::custody_log::proof::Verified;
use custody::custody_log::{EventKind, Subject};
use custody::{Finding, Identity, Severity};

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
            Outcome::AlreadyArchived { item, blake3, restored, read } => writeln!(
                s,
                "archived  item {item:<5} {}  {}{}",
                short(blake3),
                clean(&f.path),
                match (restored, read) {
                    (true, _) => "  (missing object file stored again)",
                    (false, Reading::Unchanged) => "  (unchanged: not read)",
                    (false, Reading::Recognised) => "  (read again: same BLAKE3)",
                    (false, Reading::Whole) => "",
                }
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
    if m.unchanged > 0 || m.recognised > 0 {
        let _ = writeln!(
            s,
            "{} already-archived files not read (unchanged since last hashed), {} read again \
             for BLAKE3 alone and recognised (--rehash reads every file whole)",
            m.unchanged, m.recognised
        );
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
        let _ = write!(s, "\n      {}", clean(&v.describe()));
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

/// Findings, one block each (audit and bag verification alike).
fn findings(s: &mut String, all: &[Finding]) {
    for f in all {
        let sev = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        let _ =
            writeln!(s, "{sev} {}: {}: {}", f.code.as_str(), clean(&f.subject), clean(&f.message));
        let _ = writeln!(s, "    where:  {}\n    repair: {}", clean(&f.location), clean(&f.repair));
    }
}

pub fn audit_status(r: &AuditStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} objects: {} never found intact by an audit (read first by the next one)",
        r.objects, r.never_checked
    );
    if let (Some(old), Some(new)) = (&r.oldest_check, &r.newest_check) {
        let _ = writeln!(s, "oldest check {}, newest {}", clean(old), clean(new));
    }
    match &r.last_run {
        None => s.push_str("no audit has run yet: custody audit\n"),
        Some(run) => {
            let kinds: Vec<String> =
                run.by_code.iter().map(|(c, n)| format!("{n} {}", clean(c))).collect();
            let _ = writeln!(
                s,
                "last audit {} finished {}: {} findings still open{}",
                run.run_id,
                clean(&run.finished_at),
                run.findings,
                if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) }
            );
        }
    }
    s
}

pub fn audit(r: &AuditReport) -> String {
    let mut s = String::new();
    findings(&mut s, &r.findings);
    let _ = writeln!(
        s,
        "audit {}: {}{} objects ({:.1} MB{}), {} items, {} claims, {} signed records, {} log events; {} findings; {:.2} s, {:.0} MB/s",
        r.run_id,
        r.objects_checked,
        match (r.objects_checked < r.objects_total, r.budget_reached) {
            (true, true) => format!(
                " of {} (least recently checked first, until the time budget ran out)",
                r.objects_total
            ),
            (true, false) => format!(" of {} (least recently checked first)", r.objects_total),
            (false, _) => String::new(),
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
                "this audit could not be recorded: {} (no audit run, no fixity-check event, no \
                 checkpoint)",
                clean(r.not_recorded.as_deref().unwrap_or("unknown reason"))
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
             a log inclusion proof verified offline, the audit clean, a bag exported, verified \
             offline and imported into a partner archive that audits clean, then the \
             deliberately corrupted object caught"
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

/// One line of `custody log`.
pub fn log_event(v: &EventView) -> String {
    let Some(e) = &v.event else {
        return format!("{:>6}  MALFORMED EVENT (run `custody audit`)\n", v.index);
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
    format!(
        "{:>6}  {}  {:<16} {:<20} by {:<28} {}\n",
        v.index,
        clean(&e.time),
        e.kind.name(),
        subject,
        who,
        about(v, e.kind, &e.reference)
    )
}

/// What `custody log` prints after its events.
pub fn log_tail(r: &HistoryReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} events shown; the log holds {}", r.shown, r.size);
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
        (Some(Verified::Inclusion { index, tree_size, event, origin, .. }), _) => {
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
        (Some(Verified::Consistency { old_size, new_size, origin, .. }), _) => {
            format!(
                "valid: the tree of size {new_size} of {} extends the tree of size {old_size}\n",
                clean(origin)
            )
        }
        (None, Some(p)) => format!("INVALID: {}\n", clean(p)),
        (None, None) => "INVALID\n".into(),
    }
}

pub fn export(r: &ExportReport) -> String {
    let mut s = format!(
        "exported {} item(s), {} object(s) ({:.1} MB), {} signed record(s), {} custody event(s) to {}\n\
         bag {}  checkpoint of size {} (the export is event {})  {:.2} s, {:.0} MB/s\n",
        r.items,
        r.objects,
        r.payload_bytes as f64 / 1e6,
        r.records,
        r.events,
        clean(&r.bag.display().to_string()),
        clean(&r.bag_id),
        r.checkpoint_size,
        r.event_index,
        r.seconds,
        r.mb_per_s
    );
    for w in &r.withheld {
        let _ = writeln!(s, "withheld claim {} ({})", w.claim, clean(&w.kind));
    }
    let _ = writeln!(
        s,
        "give the recipient, by a channel other than the bag:\n  log verifier key: {}\n  the exporter's public key (key {})",
        clean(&r.log_vkey),
        clean(&r.exporter)
    );
    s
}

pub fn verify(r: &VerifyReport) -> String {
    let mut s = String::new();
    findings(&mut s, &r.findings);
    let kind = if r.custody { "custody bag" } else { "plain BagIt bag" };
    let id = r.bag_id.as_deref().map(|i| format!(" {}", clean(i))).unwrap_or_default();
    let _ = writeln!(
        s,
        "{kind}{id}: {} payload file(s), {:.1} MB{}",
        r.payload_files,
        r.payload_bytes as f64 / 1e6,
        r.checkpoint_size
            .map(|n| format!(", proven against a checkpoint of size {n}"))
            .unwrap_or_default()
    );
    for i in &r.items {
        let by = i.ingested_by.as_deref().map(clean).unwrap_or_else(|| "UNPROVEN".into());
        let at =
            i.included_at.map(|n| format!("logged at {n}")).unwrap_or_else(|| "NOT LOGGED".into());
        let bytes = if i.bytes { "bytes intact" } else { "BYTES DIFFER" };
        let _ =
            writeln!(s, "  item {} {}: {bytes}, ingested by {by}, {at}", i.item, clean(&i.name));
        for c in &i.signed_claims {
            let _ = writeln!(s, "      signed claim: {}", clean(c));
        }
    }
    if !r.witnessed_by.is_empty() {
        let w: Vec<String> = r.witnessed_by.iter().map(|w| clean(w)).collect();
        let _ = writeln!(s, "  witnessed by {}", w.join(", "));
    }
    for w in &r.withheld {
        let _ = writeln!(s, "  withheld by the sender: claim {} ({})", w.claim, clean(&w.kind));
    }
    for n in &r.notes {
        let _ = writeln!(s, "NOTE: {}", clean(n));
    }
    let verdict = if r.holds() { "the bag holds" } else { "the bag does NOT hold" };
    let _ = writeln!(s, "{verdict}: {} finding(s); {:.2} s", r.findings.len(), r.seconds);
    s
}

pub fn import(r: &ImportReport) -> String {
    let mut s = verify(&r.verification);
    if !r.verification.holds() {
        s.push_str("nothing was imported\n");
        return s;
    }
    if r.already_imported {
        let _ = writeln!(s, "bag {} was imported before: nothing was added", clean(&r.bag_id));
        return s;
    }
    let _ = writeln!(
        s,
        "imported bag {} ({}): {} new object(s), {} item(s) and {} claim(s) of the sender, {} key(s) registered, {} revocation(s); received as item(s) {}; transfer event {}",
        clean(&r.bag_id),
        if r.proven == "signed" { "signatures and custody proven" } else { "ONLY FIXITY PROVEN" },
        r.added.new_objects,
        r.added.sender_items,
        r.added.sender_claims,
        r.added.keys_registered,
        r.added.revocations,
        r.added.received_items.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
        r.added.transfer_event.map(|e| e.to_string()).unwrap_or_default()
    );
    s
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
