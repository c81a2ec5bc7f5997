//! Human-readable text for each report. Pure functions from report to
//! string; JSON output is the report itself, serialized by `main`.
//!
//! Must not: compute anything a report does not already say.

use std::fmt::Write;
use std::path::Path;

use crate::demo::DemoReport;
use custody::Identity;
use custody::claim::ClaimValue;
use custody::commands::audit::AuditReport;
use custody::commands::claim::ClaimReport;
use custody::commands::history::HistoryReport;
use custody::commands::ingest::{IngestReport, Outcome};
use custody::commands::inspect::{ClaimView, ItemView, ShowReport};
use custody::commands::keys::{KeyAddReport, KeyInfo, KeyNewReport, KeyRevokeReport};
use custody::commands::proof::VerifyProofReport;
use custody::custody_log::Subject;
use custody::custody_log::proof::Verified;

/// Text from evidence (file names, titles, raw metadata, free-text fields)
/// with control characters escaped, so it cannot forge or erase lines.
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
        .collect()
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

pub fn init(root: &Path, id: &Identity) -> String {
    format!(
        "created archive {:?} ({}) at {}\nnext: custody key new --name \"Your Name\", then custody key add FILE.pub\n",
        id.name,
        id.archive_id,
        root.display()
    )
}

pub fn key_new(r: &KeyNewReport) -> String {
    format!(
        "secret key: {} ({})\npublic key: {}\nkey id:     {}\nnext: custody key add {}\n",
        r.secret_file.display(),
        if r.encrypted { "passphrase-protected, mode 0600" } else { "UNENCRYPTED, mode 0600" },
        r.public_file.display(),
        r.keyid,
        r.public_file.display()
    )
}

pub fn key_add(r: &KeyAddReport) -> String {
    let verb = if r.added { "registered" } else { "already registered:" };
    format!("{verb} key {} for {}\n", r.key.keyid, r.key.owner)
}

pub fn key_list(keys: &[KeyInfo]) -> String {
    let mut s = String::new();
    for k in keys {
        let status = match &k.revoked_at {
            Some(t) => format!("revoked {t}"),
            None => "active".into(),
        };
        let _ = writeln!(s, "{}  {:<24} added {}  {status}", k.keyid, k.owner, k.added_at);
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
            let _ = writeln!(s, "          claims {}", ids.join(", "));
        }
        for p in &f.metadata_problems {
            let _ = writeln!(s, "          metadata problem (file archived): {}", clean(p));
        }
    }
    for e in &r.bad_rows {
        let _ = writeln!(s, "BAD ROW   manifest {e} (not ingested)");
    }
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
    if m.restored > 0 {
        let _ = writeln!(s, "{} missing object files were stored again", m.restored);
    }
    s
}

fn item_line(i: &ItemView) -> String {
    format!(
        "{:<5} {}  {:>10}  {:<24} {}  {}  {}",
        i.item,
        short(&i.blake3),
        i.size,
        i.media_type,
        i.ingested_at,
        if i.verified { "signature ok" } else { "NOT VERIFIED" },
        i.path
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
        let _ = writeln!(s, "object  {}", o.blake3);
        let _ = writeln!(s, "  blake3  {}\n  sha256  {}", o.blake3, o.sha256);
        let _ = writeln!(
            s,
            "  size    {} bytes, stored {} bytes ({})\n  file    {}\n  checked {}",
            o.size,
            o.stored_size,
            o.encoding,
            o.path,
            o.last_checked_at.as_deref().unwrap_or("never audited")
        );
    }
    for i in &r.items {
        let _ = writeln!(s, "item {} ({})", i.item, i.uuid);
        let _ = writeln!(s, "  name        {}\n  path        {}", clean(&i.name), clean(&i.path));
        let _ = writeln!(s, "  size        {} bytes\n  media type  {}", i.size, i.media_type);
        let _ = writeln!(s, "  ingested    {}", i.ingested_at);
        let _ = writeln!(
            s,
            "  collector   {} ({})",
            i.collector.as_deref().unwrap_or("unknown key"),
            i.collector_keyid
        );
        let status = if i.verified {
            "signature verifies; columns match the signed record"
        } else {
            "NOT VERIFIED"
        };
        let _ = writeln!(s, "  record      {} ingest (DSSE / in-toto): {status}", i.record);
        for p in &i.problems {
            let _ = writeln!(s, "    problem: {p}");
        }
    }
    let mut kind = "";
    for c in &r.claims {
        if c.kind != kind {
            kind = &c.kind;
            let _ = writeln!(s, "{kind}");
        }
        let _ = writeln!(s, "{}", claim_line(c));
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
            let _ = writeln!(s, "  {} (claims {}): {}", d.rule, ids.join(", "), d.message);
        }
    }
    s
}

fn claim_line(c: &ClaimView) -> String {
    let mut s = String::new();
    let state = if c.current { "current   " } else { "superseded" };
    let who = clean(c.author.as_deref().unwrap_or("unknown key"));
    let sig = if c.verified { "signature ok" } else { "NOT VERIFIED" };
    let _ = write!(
        s,
        "  {state} claim {:<4} {:<8} by {who} ({}) at {}  {sig}",
        c.claim,
        c.basis,
        short(&c.author_keyid),
        c.signed_at
    );
    if let Some(conf) = c.confidence {
        let _ = write!(
            s,
            "  confidence {}",
            serde_json::to_string(&conf).unwrap_or_default().trim_matches('"')
        );
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

/// One line for a claim's value.
fn describe(v: &ClaimValue) -> String {
    let opt = |label: &str, o: &Option<String>| o.as_ref().map(|v| format!("{label} {v}"));
    let join =
        |parts: Vec<Option<String>>| parts.into_iter().flatten().collect::<Vec<_>>().join(", ");
    let name = |x: &dyn erased::Named| x.name();
    match v {
        ClaimValue::Source(x) => join(vec![
            opt("url", &x.url),
            opt("platform", &x.platform),
            opt("account", &x.account),
            opt("post", &x.post_id),
            opt("posted", &x.posted_at),
            opt("retrieved", &x.retrieved_at),
            x.acquisition.map(|a| format!("acquired by {}", name(&a))),
            opt("notes:", &x.notes),
        ]),
        ClaimValue::CaptureTime(t) => format!(
            "captured {}{} (precision: {})",
            t.at,
            if t.offset_unknown { " local time, UTC offset unknown" } else { "" },
            name(&t.precision)
        ),
        ClaimValue::Location(l) => join(vec![
            Some(format!("at {:.6}, {:.6}", l.lat, l.lon)),
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
            Some(format!("{} object {}", name(&r.relation), r.object.blake3)),
            opt("notes:", &r.notes),
        ]),
        ClaimValue::Verification(x) => join(vec![
            Some(format!("verdict {}", name(&x.verdict))),
            Some(format!("method: {}", x.method)),
            opt("notes:", &x.notes),
        ]),
    }
}

mod erased {
    /// The kebab-case name a claim enum serializes to.
    pub trait Named {
        fn name(&self) -> String;
    }

    impl<T: serde::Serialize> Named for T {
        fn name(&self) -> String {
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }
    }
}

pub fn claim(r: &ClaimReport) -> String {
    let mut s = format!("recorded claim {} about object {}", r.claim, r.blake3);
    if let Some(n) = r.supersedes {
        let _ = write!(s, " (supersedes claim {n})");
    }
    s.push('\n');
    for d in &r.discrepancies {
        let ids: Vec<String> = d.claims.iter().map(i64::to_string).collect();
        let _ = writeln!(s, "DISCREPANCY {} (claims {}): {}", d.rule, ids.join(", "), d.message);
    }
    s
}

pub fn key_revoke(r: &KeyRevokeReport) -> String {
    format!(
        "revoked key {} ({}) from {}: {}\nwhat it signed before then stays valid; anything signed later is an audit finding\n",
        r.key.keyid,
        r.key.owner,
        r.key.revoked_at.as_deref().unwrap_or("?"),
        r.reason
    )
}

pub fn audit(r: &AuditReport) -> String {
    let mut s = String::new();
    for f in &r.findings {
        let sev = match f.severity {
            custody::Severity::Error => "ERROR",
            custody::Severity::Warning => "WARNING",
        };
        let _ = writeln!(s, "{sev} {}: {}: {}", f.code.as_str(), f.subject, f.message);
        let _ = writeln!(s, "    where:  {}\n    repair: {}", f.location, f.repair);
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
    match &r.checkpoint {
        Some(cp) => {
            let size = cp.lines().nth(1).unwrap_or("?");
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
        let _ = writeln!(s, "\n== step {}: {}\n$ {}", n + 1, step.title, step.command);
        for line in step.result.lines() {
            let _ = writeln!(s, "  {line}");
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
        r.archive.display()
    );
    s
}

pub fn log(r: &HistoryReport) -> String {
    let mut s = String::new();
    for v in &r.events {
        match &v.event {
            None => {
                let _ = writeln!(s, "{:>6}  MALFORMED EVENT (run `custody audit`)", v.index);
            }
            Some(e) => {
                let subject = match &e.subject {
                    Subject::Object(d) => format!("object {}", short(&d.blake3)),
                    Subject::Key(k) => format!("key {}", short(k)),
                    Subject::Archive(_) => "archive".into(),
                };
                let who = match (&v.actor_name, &e.actor) {
                    (Some(n), Some(k)) => format!("{} ({})", clean(n), short(k)),
                    (None, Some(k)) => short(k).to_owned(),
                    _ => "-".into(),
                };
                let _ = writeln!(
                    s,
                    "{:>6}  {}  {:<16} {:<20} by {:<28} {}",
                    v.index,
                    e.time,
                    e.kind.name(),
                    subject,
                    who,
                    e.reference
                );
            }
        }
    }
    let _ = writeln!(s, "{} events shown; the log holds {}", r.events.len(), r.size);
    for c in &r.checkpoints {
        let cos = if c.cosigned_by.is_empty() {
            String::new()
        } else {
            format!("; cosigned by {}", c.cosigned_by.join(", "))
        };
        let _ = writeln!(s, "checkpoint {} at size {} ({}){cos}", c.id, c.size, c.created_at);
    }
    if !r.vkey.is_empty() {
        let _ = writeln!(s, "log verifier key: {}", r.vkey);
    }
    s
}

pub fn verify_proof(r: &VerifyProofReport) -> String {
    match (&r.verified, &r.problem) {
        (Some(Verified::Inclusion { index, tree_size, event, origin }), _) => format!(
            "valid: event {index} is in the tree of size {tree_size} of {origin}\n  {} at {} of {}\n",
            event.kind.name(),
            event.time,
            event.reference
        ),
        (Some(Verified::Consistency { old_size, new_size, origin }), _) => {
            format!(
                "valid: the tree of size {new_size} of {origin} extends the tree of size {old_size}\n"
            )
        }
        (None, Some(p)) => format!("INVALID: {}\n", clean(p)),
        (None, None) => "INVALID\n".into(),
    }
}
