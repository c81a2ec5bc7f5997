//! Human-readable text for each report. Pure functions from report to
//! string; JSON output is the report itself, serialized by `main`.
//!
//! Must not: compute anything a report does not already say.

use std::fmt::Write;
use std::path::Path;

use custody::Identity;
use custody::audit::AuditReport;
use custody::commands::demo::DemoReport;
use custody::commands::ingest::{IngestReport, Outcome};
use custody::commands::inspect::{ItemView, ShowReport};
use custody::commands::keys::{KeyAddReport, KeyInfo, KeyNewReport};

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
                f.path,
                if *deduplicated { "  (bytes already stored)" } else { "" }
            ),
            Outcome::AlreadyArchived { item, blake3, restored } => writeln!(
                s,
                "archived  item {item:<5} {}  {}{}",
                short(blake3),
                f.path,
                if *restored { "  (missing object file stored again)" } else { "" }
            ),
            Outcome::Skipped { reason } => writeln!(s, "SKIPPED   {}: {reason}", f.path),
        };
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
        let _ = writeln!(s, "  name        {}\n  path        {}", i.name, i.path);
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
    s
}

pub fn audit(r: &AuditReport) -> String {
    let mut s = String::new();
    for f in &r.findings {
        let sev = match f.severity {
            custody::audit::Severity::Error => "ERROR",
            custody::audit::Severity::Warning => "WARNING",
        };
        let _ = writeln!(s, "{sev} {}: {}: {}", f.code.as_str(), f.subject, f.message);
        let _ = writeln!(s, "    where:  {}\n    repair: {}", f.location, f.repair);
    }
    let _ = writeln!(
        s,
        "audit {}: {}{} objects ({:.1} MB{}), {} items, {} signed records; {} findings; {:.2} s, {:.0} MB/s",
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
        r.records_checked,
        r.findings.len(),
        r.seconds,
        r.mb_per_s
    );
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
            "demo passed: the audit was clean, then caught the deliberately corrupted object"
        } else {
            "DEMO FAILED: see the steps above"
        },
        r.archive.display()
    );
    s
}
