//! `export`: a self-verifying BagIt bag of chosen items. The payload is
//! each object's original bytes, re-verified (BLAKE3 and size) as they
//! stream out — a damaged object fails the export with the audit's
//! finding. The evidence (`gather`: every ingest record and claim envelope
//! byte-exact, every custody event of them, the keys) and the seal
//! (`seal`: inclusion proofs against one checkpoint signed for this
//! export, the witnessed checkpoint, a BLAKE3 manifest, one statement
//! signed by the exporter and the log key over every payload and evidence
//! file, the READMEs, bag-info and the manifests) go into tag files. The
//! export is itself a custody event (a PREMIS dissemination), logged once
//! the payload is written and verified and before the checkpoint is
//! signed, so the bag proves its own export.
//!
//! Must not: export an object or record that does not verify, alter a
//! signed byte (a withheld claim is left out whole, and named), or leave a
//! bag that looks complete when it is not.

mod gather;
mod payload;
mod seal;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::archive::{Archive, Target};
use crate::bundle::evidence::Withheld;
pub use crate::bundle::sink::BagFormat;
use crate::bundle::sink::Sink;
use crate::claim::Kind;
use crate::commands::search::{Filters, matching_items};
use crate::crypto::SecretKey;
use crate::db::ItemRow;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;
use payload::Payload;
use seal::Seal;

/// Options for `export`.
pub struct ExportOptions<'k> {
    /// The bag to create (must not exist).
    pub out: PathBuf,
    /// Items or objects, as `show` takes them.
    pub refs: Vec<String>,
    /// Every item.
    pub all: bool,
    /// A file of references, one per line (`#` comments allowed).
    pub list: Option<PathBuf>,
    /// Every item these search filters match (`custody search`'s).
    pub filters: Option<Filters>,
    /// Directory, zip or tar.
    pub format: BagFormat,
    /// The exporter's key (registered, not revoked).
    pub key: &'k SecretKey,
    /// Claim kinds to leave out (named in the bag, not given).
    pub withhold: Vec<Kind>,
    /// Worker threads (0: twice the cores, at most 16).
    pub threads: usize,
}

/// What `export` made.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// Where the bag is.
    pub bag: PathBuf,
    /// Its External-Identifier.
    pub bag_id: String,
    /// How it is packed.
    pub format: BagFormat,
    /// Items in it.
    pub items: u64,
    /// Payload files (objects).
    pub objects: u64,
    /// Payload bytes.
    pub payload_bytes: u64,
    /// Signed records in it (ingest records and claims).
    pub records: u64,
    /// Claims withheld.
    pub withheld: Vec<Withheld>,
    /// Custody events proven in it.
    pub events: u64,
    /// The checkpoint's tree size.
    pub checkpoint_size: u64,
    /// The export's own event.
    pub event_index: u64,
    /// The log's verifier key (to give the recipient, to pin).
    pub log_vkey: String,
    /// The exporter's key id (the recipient pins the exporter's `.pub`).
    pub exporter: String,
    /// Wall time.
    pub seconds: f64,
    /// Payload throughput.
    pub mb_per_s: f64,
}

/// Export a bag.
pub fn export(
    archive: &mut Archive,
    opts: &ExportOptions<'_>,
    progress: &dyn Progress,
) -> Result<ExportReport> {
    let started = Instant::now();
    let items = select(archive, opts)?;
    let exporter = crate::trust::signer(&archive.db.read(), opts.key)?;
    let objects = gather::objects(archive, &items)?;
    let mut sink =
        Sink::create(&opts.out, opts.format, archive.now_utc().unix_timestamp().max(0) as u64)?;
    // The payload streams out on the workers while this thread reads and
    // checks the evidence.
    let writer = Payload { bag: objects.clone() };
    let (bag, payload) = {
        let (store, sink) = (&archive.store, &mut sink);
        let shared: &Archive = archive;
        std::thread::scope(|s| {
            let written = s.spawn(|| writer.write(store, sink, opts.threads, progress));
            let bag = gather::gather(shared, items, objects, &opts.withhold, &exporter);
            let payload = written.join().unwrap_or_else(|_| {
                Err(Error::new(ErrorKind::Io, "the payload writer stopped unexpectedly"))
            });
            (bag, payload)
        })
    };
    let written = bag.and_then(|bag| payload.map(|p| (bag, p))).and_then(|(bag, payload)| {
        let seal =
            Seal { bag: &bag, exporter: &exporter, key: opts.key, spool_dir: sink.spool_dir() };
        let sealed = seal.seal(archive, &mut sink, &payload)?;
        Ok((sealed, payload, bag))
    });
    let (sealed, payload, bag) = match written {
        Ok(x) => x,
        Err(e) => {
            sink.abandon();
            return Err(e);
        }
    };
    let out = sink.finish()?;
    let secs = started.elapsed().as_secs_f64();
    let payload_bytes = payload.iter().map(|p| p.digests.size).sum();
    Ok(ExportReport {
        bag: out,
        bag_id: sealed.bag_id,
        format: opts.format,
        items: bag.items.len() as u64,
        objects: bag.objects.len() as u64,
        payload_bytes,
        records: bag.records.len() as u64,
        withheld: bag.withheld.clone(),
        events: sealed.events,
        checkpoint_size: sealed.size,
        event_index: sealed.event_index,
        log_vkey: sealed.vkey,
        exporter,
        seconds: secs,
        mb_per_s: if secs > 0.0 { payload_bytes as f64 / 1e6 / secs } else { 0.0 },
    })
}

/// The items asked for, in item order (each once).
fn select(archive: &Archive, opts: &ExportOptions<'_>) -> Result<Vec<ItemRow>> {
    let mut refs = opts.refs.clone();
    if let Some(list) = &opts.list {
        let text = std::fs::read_to_string(list)
            .map_err(|e| Error::io("cannot read the list of items", list, e))?;
        refs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    let q = archive.db.read();
    let mut items = BTreeMap::new();
    if opts.all {
        items.extend(q.items()?.into_iter().map(|i| (i.id, i)));
    }
    if let Some(f) = &opts.filters {
        items.extend(matching_items(archive, f)?.into_iter().map(|i| (i.id, i)));
    }
    for r in &refs {
        match archive.resolve(r)? {
            Target::Item(i) => {
                items.insert(i.id, i);
            }
            Target::Object(o) => {
                items.extend(q.items_of(&o.blake3)?.into_iter().map(|i| (i.id, i)))
            }
        }
    }
    if items.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "nothing to export")
            .hint("name items or objects, give --list FILE, --all, or search filters that match (--from, --near, --text, … as `custody search` takes them)"));
    }
    Ok(items.into_values().collect())
}
