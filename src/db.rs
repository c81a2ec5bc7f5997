//! All SQL. Opens the SQLite database (WAL, `synchronous=FULL`, foreign
//! keys), applies `schema/` migrations, and offers typed reads (`Reader`) and
//! writes inside a transaction (`Tx`). Row types carry raw column values:
//! the audit compares them with the signed bytes, so they are not trusted.
//!
//! Must not: touch the object store, sign or verify anything.

pub mod migrate;
pub mod search;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::error::{Error, ErrorKind, Result};

/// The database file name inside an archive directory.
pub const DB_FILE: &str = "custody.db";

/// An open archive database.
pub struct Db {
    conn: Connection,
    read_only: bool,
    path: std::path::PathBuf,
}

/// A registered public key.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Key id (hex).
    pub keyid: String,
    /// Public key (hex).
    pub public_key: String,
    /// Owner's name.
    pub owner: String,
    /// When it was registered.
    pub added_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
    /// The archive it was registered from (a bag's sender), if not here.
    pub foreign_archive: Option<String>,
}

/// An object row.
#[derive(Debug, Clone)]
pub struct ObjectRow {
    /// BLAKE3 (hex).
    pub blake3: String,
    /// SHA-256 (hex).
    pub sha256: String,
    /// Original size in bytes.
    pub size: i64,
    /// `none` or `zstd`.
    pub encoding: String,
    /// Size on disk.
    pub stored_size: i64,
    /// When it was stored.
    pub stored_at: String,
    /// When an audit last found it intact.
    pub last_checked_at: Option<String>,
}

/// An item row.
#[derive(Debug, Clone)]
pub struct ItemRow {
    /// Row id (the item number users type).
    pub id: i64,
    /// The item's UUID, as signed.
    pub item_uuid: String,
    /// Its object.
    pub blake3: String,
    /// File name bytes.
    pub original_name: Vec<u8>,
    /// Absolute path bytes.
    pub original_path: Vec<u8>,
    /// Size in bytes.
    pub size: i64,
    /// Sniffed media type.
    pub media_type: String,
    /// Ingest time.
    pub ingested_at: String,
    /// Collector key id.
    pub collector_keyid: String,
    /// Provenance digest ('' = none).
    pub provenance: String,
    /// Its ingest record.
    pub record_id: i64,
}

/// What a file looked like on disk (`stat`), as the ingest cache keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Device (`st_dev`).
    pub dev: u64,
    /// Inode (`st_ino`).
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since 1970.
    pub mtime_ns: i64,
    /// Status change time, ns since 1970.
    pub ctime_ns: i64,
}

/// An ingested path's cached stat, with the item and object it was last
/// hashed as (`ingest_paths` joined with `items` and `objects`).
#[derive(Debug, Clone)]
pub struct PathRow {
    /// The file as it was when its read began.
    pub stat: FileStat,
    /// Wall clock when its read began, ns since 1970.
    pub hashed_ns: i64,
    /// The object it was hashed as.
    pub object: ObjectRow,
    /// Its sniffed media type.
    pub media_type: String,
}

/// A signed record row.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// Row id.
    pub id: i64,
    /// Record kind.
    pub kind: String,
    /// The object it is about (index column).
    pub blake3: String,
    /// The signing key id (index column).
    pub keyid: String,
    /// The DSSE envelope bytes as signed.
    pub envelope: Vec<u8>,
}

impl ObjectRow {
    /// The object's digest set, as records name it.
    pub fn digest(&self) -> crate::id::DigestSet {
        crate::id::DigestSet { blake3: self.blake3.clone(), sha256: self.sha256.clone() }
    }
}

/// A record's id and kind, as the audit reports a record no row names.
#[derive(Debug, Clone, Copy)]
pub struct RecordHead {
    /// Row id.
    pub id: i64,
    /// True for a claim's record (kind `claim`).
    pub claim: bool,
}

/// The tables whose ids are never reused (AUTOINCREMENT), which the
/// audit reads id by id to find deleted rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdTable {
    /// Signed records.
    Records,
    /// Items.
    Items,
    /// Claims.
    Claims,
    /// Checkpoints.
    Checkpoints,
    /// Cosignatures.
    Cosignatures,
    /// Exports.
    Exports,
    /// Imports.
    Transfers,
}

impl IdTable {
    /// Every such table.
    pub const ALL: [IdTable; 7] = [
        IdTable::Records,
        IdTable::Items,
        IdTable::Claims,
        IdTable::Checkpoints,
        IdTable::Cosignatures,
        IdTable::Exports,
        IdTable::Transfers,
    ];

    /// The table's name.
    pub fn name(self) -> &'static str {
        match self {
            IdTable::Records => "records",
            IdTable::Items => "items",
            IdTable::Claims => "claims",
            IdTable::Checkpoints => "checkpoints",
            IdTable::Cosignatures => "cosignatures",
            IdTable::Exports => "exports",
            IdTable::Transfers => "transfers",
        }
    }
}

/// A record no claim row names (`Reader::loose_records`).
#[derive(Debug, Clone)]
pub struct LooseRecord {
    /// Its id and kind.
    pub head: RecordHead,
    /// The object it is about (index column).
    pub blake3: String,
    /// Whether an item row names it.
    pub by_item: bool,
}

/// A stretch of the BLAKE3 key space: after `after` (`None`: from the
/// start) up to and including `upto` (`None`: to the end). The audit and
/// `reindex` read the search index a stretch at a time, and stretches that
/// follow one another cover every key, so every row falls in one.
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    /// The last key of the stretch before.
    pub after: Option<&'a str>,
    /// The last key of this one.
    pub upto: Option<&'a str>,
}

impl<'a> Span<'a> {
    /// The condition that `col` lies in the stretch, and its parameters.
    fn clause(&self, col: &str) -> (String, Vec<&'a str>) {
        let mut conds = Vec::new();
        let mut ps = Vec::new();
        for (bound, op) in [(self.after, ">"), (self.upto, "<=")] {
            if let Some(key) = bound {
                ps.push(key);
                conds.push(format!("{col} {op} ?{}", ps.len()));
            }
        }
        if conds.is_empty() { ("1".into(), ps) } else { (conds.join(" AND "), ps) }
    }
}

/// A claim row (index columns; the envelope is authoritative).
#[derive(Debug, Clone)]
pub struct ClaimRow {
    /// Row id (the claim number users type).
    pub id: i64,
    /// The claim's UUID.
    pub claim_uuid: String,
    /// Its object.
    pub blake3: String,
    /// Kind (kebab-case).
    pub kind: String,
    /// Basis (kebab-case).
    pub basis: String,
    /// Author key id.
    pub keyid: String,
    /// Signing time.
    pub signed_at: String,
    /// The claim UUID it supersedes.
    pub supersedes: Option<String>,
    /// The item it was made with.
    pub item_uuid: Option<String>,
    /// Its signed record.
    pub record_id: i64,
}

/// A log leaf row.
#[derive(Debug, Clone)]
pub struct LeafRow {
    /// 0-based leaf index.
    pub idx: i64,
    /// The event bytes.
    pub event: Vec<u8>,
    /// Event kind (index column).
    pub kind: String,
    /// What it refers to (index column).
    pub reference: String,
}

/// A log leaf with the numbers the other views name its rows by (what
/// `custody log` shows beside each event).
#[derive(Debug, Clone)]
pub struct NamedLeaf {
    /// The leaf.
    pub leaf: LeafRow,
    /// The item its `item:` reference names.
    pub item: Option<i64>,
    /// The claim (number, kind) its `claim:` reference names.
    pub claim: Option<(i64, String)>,
    /// How many findings the logged report of the audit run its `audit:`
    /// reference names holds (0 when that report is not a JSON array).
    pub findings: Option<i64>,
}

/// A stored checkpoint.
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    /// Row id.
    pub id: i64,
    /// Tree size.
    pub size: i64,
    /// Root hash.
    pub root: Vec<u8>,
    /// The signed note.
    pub note: String,
    /// When it was made.
    pub created_at: String,
}

/// A stored cosignature.
#[derive(Debug, Clone)]
pub struct CosignatureRow {
    /// Row id.
    pub id: i64,
    /// The checkpoint it cosigns.
    pub checkpoint_id: i64,
    /// Witness key name.
    pub witness: String,
    /// Witness verifier key.
    pub vkey: String,
    /// The signature line.
    pub line: String,
    /// Its timestamp.
    pub timestamp: i64,
}

/// A new item to insert.
pub struct NewItem<'a> {
    /// UUID.
    pub item_uuid: &'a str,
    /// Object.
    pub blake3: &'a str,
    /// Name bytes.
    pub original_name: &'a [u8],
    /// Path bytes.
    pub original_path: &'a [u8],
    /// Size.
    pub size: u64,
    /// Media type.
    pub media_type: &'a str,
    /// Ingest time.
    pub ingested_at: &'a str,
    /// Collector.
    pub collector_keyid: &'a str,
    /// Provenance digest.
    pub provenance: &'a str,
}

/// An export (a PREMIS dissemination).
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// Row id.
    pub id: i64,
    /// The bag's External-Identifier.
    pub bag_id: String,
    /// SHA-256 hex of the bag's manifest-sha256.txt.
    pub payload_digest: String,
    /// When.
    pub exported_at: String,
    /// Who (key id).
    pub exporter_keyid: String,
    /// Items in the bag.
    pub items: i64,
    /// Claims withheld.
    pub withheld: i64,
}

/// An import (a PREMIS transfer).
#[derive(Debug, Clone)]
pub struct TransferRow {
    /// Row id.
    pub id: i64,
    /// The bag's External-Identifier (or name).
    pub bag_id: String,
    /// The sending archive (None: a plain bag).
    pub sender_archive: Option<String>,
    /// The receiver's signed transfer record.
    pub envelope: Vec<u8>,
    /// The receiver's key id.
    pub keyid: String,
    /// When.
    pub received_at: String,
}

/// A recorded audit run.
#[derive(Debug, Clone)]
pub struct AuditRunRow {
    /// Row id.
    pub id: i64,
    /// When it finished.
    pub finished_at: String,
    /// Its findings as JSON (what its fixity-check event hashes).
    pub report: String,
    /// The number of findings (a column: the report is authoritative).
    pub findings: i64,
}

/// A finished audit to record.
pub struct AuditRun<'a> {
    /// Start time.
    pub started_at: &'a str,
    /// End time.
    pub finished_at: &'a str,
    /// Whether SHA-256 was recomputed.
    pub deep: bool,
    /// Objects read.
    pub objects_checked: u64,
    /// Bytes hashed.
    pub bytes_checked: u64,
    /// Records verified.
    pub records_checked: u64,
    /// Number of findings.
    pub findings: u64,
    /// The findings as JSON.
    pub report: &'a str,
}

fn sql_err(what: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    move |e| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return Error::new(ErrorKind::NoSpace, format!("no space left on device ({what})"))
                .hint("free some space and run the command again; nothing partial was kept")
                .source_err(e);
        }
        Error::db(what.to_owned(), e)
    }
}

const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                       PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// Reading: a 64 MiB page cache per connection (the default 2 MiB makes
/// every query over a large index re-read its pages from the OS).
const READ_PRAGMAS: &str = "PRAGMA cache_size = -65536;";

/// A second reader that looks rows up: 16 MiB of page cache.
const LOOKUP_PRAGMAS: &str = "PRAGMA cache_size = -16384;";

/// How much page cache a second reader gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderCache {
    /// 16 MiB: it looks rows up by key all over the database, beside other
    /// connections (measured on the audit of 100,000 items: faster than
    /// with 4 or 64 MiB).
    Lookups,
    /// SQLite's default 2 MiB: it streams one index in order.
    Streaming,
}

/// Prepared statements kept per connection. Recording one ingested file
/// runs more distinct statements (object, item, record, claims, events,
/// index rows) than rusqlite's default of 16 holds, so each was parsed
/// again for every file (a fifth of a small-file ingest's CPU time).
const STATEMENT_CACHE: usize = 256;

impl Db {
    /// Create a new database at `path` (which must not exist) and migrate it.
    pub fn create(path: &Path, after: After<'_>) -> Result<Db> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| {
            Error::db(format!("cannot create database {}", crate::text::shown(path)), e)
        })?;
        conn.execute_batch(PRAGMAS).map_err(sql_err("cannot configure the database"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        apply_migrations(&mut conn, &format!("database {}", crate::text::shown(path)), after)?;
        Ok(Db { conn, read_only: false, path: path.to_path_buf() })
    }

    /// Open an existing database, refusing a newer schema before writing
    /// anything, then applying pending migrations. With `read_only` (the
    /// archive is on a read-only mount or not writable), nothing is
    /// written: the database must be closed cleanly (no write-ahead log
    /// left) and of the current schema.
    pub fn open(path: &Path, after: After<'_>, read_only: bool) -> Result<Db> {
        let what = format!("database {}", crate::text::shown(path));
        let mut conn = if read_only { open_read_only(path, &what)? } else { open_rw(path, &what)? };
        // Reading user_version also proves the file is a SQLite database.
        let v = migrate::refuse_newer(&conn, &what).map_err(|e| {
            // A file with SQLite's header that cannot be read is an
            // operational failure, not a stranger's file.
            if e.kind() == ErrorKind::Database && !sqlite_header(path) {
                Error::new(ErrorKind::NotAnArchive, format!("{what} is not a custody database"))
                    .hint("point --archive at a directory made by `custody init`")
            } else {
                e
            }
        })?;
        if v == 0 {
            return Err(Error::new(
                ErrorKind::NotAnArchive,
                format!("{what} is not a custody database"),
            )
            .hint("point --archive at a directory made by `custody init`"));
        }
        conn.execute_batch(READ_PRAGMAS).map_err(sql_err("cannot configure the database"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        if read_only {
            if v < migrate::LATEST {
                return Err(Error::new(
                    ErrorKind::ReadOnly,
                    format!("{what} has schema {v}, older than this custody ({}), and is read-only", migrate::LATEST),
                )
                .hint("open it once where it is writable to migrate it (the migration is logged), then read it anywhere"));
            }
            return Ok(Db { conn, read_only, path: path.to_path_buf() });
        }
        conn.execute_batch(PRAGMAS).map_err(sql_err("cannot configure the database"))?;
        apply_migrations(&mut conn, &what, after)?;
        Ok(Db { conn, read_only, path: path.to_path_buf() })
    }

    /// A second connection to the same database that only reads (so that
    /// another thread can stream rows, or run its own checks, while this
    /// one queries).
    pub fn second_reader(&self, cache: ReaderCache) -> Result<Db> {
        let what = format!("database {}", crate::text::shown(&self.path));
        let conn = if self.read_only {
            open_read_only(&self.path, &what)?
        } else {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            Connection::open_with_flags(&self.path, flags)
                .map_err(|e| Error::db(format!("cannot open {what} again to read it"), e))?
        };
        if cache == ReaderCache::Lookups {
            conn.execute_batch(LOOKUP_PRAGMAS).map_err(sql_err("cannot configure the database"))?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Db { conn, read_only: true, path: self.path.clone() })
    }

    /// Whether it was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Read queries.
    pub fn read(&self) -> Reader<'_> {
        Reader(&self.conn)
    }

    /// Begin a write transaction (IMMEDIATE: writers are serialized).
    pub fn tx(&mut self) -> Result<Tx<'_>> {
        if self.read_only {
            return Err(read_only_error());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err("cannot begin a transaction"))?;
        Ok(Tx(tx))
    }
}

/// Whether `path` begins with SQLite's file header.
fn sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && &head == b"SQLite format 3\0"
}

fn open_rw(path: &Path, what: &str) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).map_err(|e| {
        Error::new(ErrorKind::NotAnArchive, format!("cannot open {what}")).source_err(e)
    })
}

/// Open a database that must not be written: SQLite's `immutable` mode
/// (no locks, no write-ahead log, no shared memory file). A write-ahead
/// log left by a writer holds committed rows this mode would not see, so
/// it is refused rather than read past.
fn open_read_only(path: &Path, what: &str) -> Result<Connection> {
    let wal = path.with_extension("db-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(Error::new(
            ErrorKind::ReadOnly,
            format!("{what} is read-only and its last writes are still in {}", crate::text::shown(&wal)),
        )
        .hint("open the archive once where it is writable (that applies the log), then read it read-only"));
    }
    // A URI path: '%', '?' and '#' must be escaped.
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(&uri, flags).map_err(|e| {
        Error::new(ErrorKind::NotAnArchive, format!("cannot open {what} read-only")).source_err(e)
    })
}

/// The error for a write to a read-only archive.
pub fn read_only_error() -> Error {
    Error::new(ErrorKind::ReadOnly, "the archive is read-only: nothing can be written to it")
        .hint("run this where the archive is writable (reading — list, show, cat, log, prove with --checkpoint, verify-proof, audit — works here)")
}

/// What runs inside a migration's transaction after its SQL, given the
/// version it brings the database to (data migrations written in Rust, such
/// as the custody log's backfill).
pub type After<'a> = &'a dyn Fn(&Tx<'_>, i64) -> Result<()>;

/// Apply every migration after the current version, one transaction each.
fn apply_migrations(conn: &mut Connection, what: &str, after: After<'_>) -> Result<()> {
    let current = migrate::refuse_newer(conn, what)?;
    for (i, (name, sql)) in migrate::MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn
            .transaction()
            .map_err(|e| Error::db(format!("cannot start migration {name}"), e))?;
        tx.execute_batch(sql).map_err(|e| Error::db(format!("migration {name} failed"), e))?;
        let tx = Tx(tx);
        after(&tx, i as i64 + 1)?;
        tx.0.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(|e| Error::db(format!("migration {name}: cannot set user_version"), e))?;
        tx.0.commit().map_err(|e| Error::db(format!("cannot commit migration {name}"), e))?;
    }
    Ok(())
}

/// Typed read queries over a connection or transaction.
pub struct Reader<'a>(&'a Connection);

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        keyid: r.get(0)?,
        public_key: r.get(1)?,
        owner: r.get(2)?,
        added_at: r.get(3)?,
        revoked_at: r.get(4)?,
        revoke_reason: r.get(5)?,
        foreign_archive: r.get(6)?,
    })
}

fn object_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectRow> {
    Ok(ObjectRow {
        blake3: r.get(0)?,
        sha256: r.get(1)?,
        size: r.get(2)?,
        encoding: r.get(3)?,
        stored_size: r.get(4)?,
        stored_at: r.get(5)?,
        last_checked_at: r.get(6)?,
    })
}

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        item_uuid: r.get(1)?,
        blake3: r.get(2)?,
        original_name: r.get(3)?,
        original_path: r.get(4)?,
        size: r.get(5)?,
        media_type: r.get(6)?,
        ingested_at: r.get(7)?,
        collector_keyid: r.get(8)?,
        provenance: r.get(9)?,
        record_id: r.get(10)?,
    })
}

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        blake3: r.get(2)?,
        keyid: r.get(3)?,
        envelope: r.get(4)?,
    })
}

/// A row count or limit as SQLite takes it (at most `i64::MAX`).
fn sql_limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Keys as the map a keyed read returns holds them.
fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// The order the audit reads objects in: never checked first, then least
/// recently checked (BLAKE3 breaks ties, so the order is total).
const CHECK_ORDER: &str = "ORDER BY last_checked_at IS NOT NULL, last_checked_at, blake3";

const KEY_COLS: &str =
    "keyid, public_key, owner, added_at, revoked_at, revoke_reason, foreign_archive";
const OBJECT_COLS: &str = "blake3, sha256, size, encoding, stored_size, stored_at, last_checked_at";
const ITEM_COLS: &str = "id, item_uuid, blake3, original_name, original_path, size, \
                         media_type, ingested_at, collector_keyid, provenance, record_id";
const RECORD_COLS: &str = "id, kind, blake3, keyid, envelope";
const CLAIM_COLS: &str =
    "id, claim_uuid, blake3, kind, basis, keyid, signed_at, supersedes, item_uuid, record_id";

fn leaf_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LeafRow> {
    Ok(LeafRow { idx: r.get(0)?, event: r.get(1)?, kind: r.get(2)?, reference: r.get(3)? })
}

/// Leaves joined with the rows their references name, one index lookup
/// each (`substr` of the reference against a unique column).
const NAMED_LEAF_SQL: &str = "SELECT l.idx, l.event, l.kind, l.ref, i.id, c.id, c.kind, \
         CASE WHEN json_valid(r.report) THEN json_array_length(r.report) ELSE 0 END, r.id \
     FROM log_leaves l \
     LEFT JOIN items i ON substr(l.ref, 1, 5) = 'item:' AND i.item_uuid = substr(l.ref, 6) \
     LEFT JOIN claims c ON substr(l.ref, 1, 6) = 'claim:' AND c.claim_uuid = substr(l.ref, 7) \
     LEFT JOIN audit_runs r ON substr(l.ref, 1, 6) = 'audit:' \
         AND r.id = CAST(substr(l.ref, 7) AS INTEGER)";

fn named_leaf(r: &rusqlite::Row<'_>) -> rusqlite::Result<NamedLeaf> {
    let claim = match (r.get::<_, Option<i64>>(5)?, r.get::<_, Option<String>>(6)?) {
        (Some(id), Some(kind)) => Some((id, kind)),
        _ => None,
    };
    Ok(NamedLeaf {
        leaf: leaf_row(r)?,
        item: r.get(4)?,
        claim,
        findings: r.get::<_, Option<i64>>(8)?.and(r.get(7)?),
    })
}

const AUDIT_RUN_COLS: &str = "id, finished_at, report, findings";

fn audit_run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRunRow> {
    Ok(AuditRunRow {
        id: r.get(0)?,
        finished_at: r.get(1)?,
        report: r.get(2)?,
        findings: r.get(3)?,
    })
}

fn claim_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimRow> {
    Ok(ClaimRow {
        id: r.get(0)?,
        claim_uuid: r.get(1)?,
        blake3: r.get(2)?,
        kind: r.get(3)?,
        basis: r.get(4)?,
        keyid: r.get(5)?,
        signed_at: r.get(6)?,
        supersedes: r.get(7)?,
        item_uuid: r.get(8)?,
        record_id: r.get(9)?,
    })
}

impl Reader<'_> {
    fn all<T>(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut st = self.0.prepare_cached(sql).map_err(sql_err("cannot prepare a query"))?;
        let rows = st.query_map(p, f).map_err(sql_err("query failed"))?;
        rows.collect::<rusqlite::Result<Vec<T>>>().map_err(sql_err("cannot read a row"))
    }

    fn one<T>(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        let mut st = self.0.prepare_cached(sql).map_err(sql_err("cannot prepare a query"))?;
        st.query_row(p, f).optional().map_err(sql_err("query failed"))
    }

    /// Rows handed out one at a time (a table too large to hold) until
    /// `each` says stop.
    fn each<T>(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        mut each: impl FnMut(T) -> bool,
    ) -> Result<()> {
        let mut st = self.0.prepare_cached(sql).map_err(sql_err("cannot prepare a query"))?;
        let mut rows = st.query(p).map_err(sql_err("query failed"))?;
        while let Some(r) = rows.next().map_err(sql_err("cannot read a row"))? {
            if !each(f(r).map_err(sql_err("cannot read a row"))?) {
                break;
            }
        }
        Ok(())
    }

    /// The rows of `table` whose `col` is one of `keys` (one query: a
    /// json_each list), by that key.
    fn keyed<K: serde::Serialize + Eq + std::hash::Hash, T>(
        &self,
        cols: &str,
        table: &str,
        col: &str,
        keys: &[K],
        f: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        key: fn(&T) -> K,
    ) -> Result<HashMap<K, T>> {
        let sql =
            format!("SELECT {cols} FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1))");
        let list = serde_json::to_string(keys).map_err(|e| {
            Error::new(ErrorKind::Database, format!("cannot list the keys of a {table} query: {e}"))
        })?;
        Ok(self.all(&sql, [list], f)?.into_iter().map(|r| (key(&r), r)).collect())
    }

    /// The number of rows of a table.
    fn count_of(&self, table: &str) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM {table}");
        Ok(self.one(&sql, [], |r| r.get::<_, i64>(0))?.unwrap_or(0).max(0) as u64)
    }

    /// The archive's identity: (id, name, created_at).
    pub fn identity(&self) -> Result<(String, String, String)> {
        self.one("SELECT archive_id, name, created_at FROM archive", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .ok_or_else(|| Error::new(ErrorKind::NotAnArchive, "the archive has no identity row"))
    }

    /// All registered keys.
    pub fn keys(&self) -> Result<Vec<KeyRow>> {
        self.all(&format!("SELECT {KEY_COLS} FROM keys ORDER BY added_at, keyid"), [], key_row)
    }

    /// All keys, with the columns schema 3 and 4 have (for the data
    /// migrations of those versions, which run before `foreign_archive`
    /// exists).
    pub fn keys_before_bundles(&self) -> Result<Vec<KeyRow>> {
        self.all(
            "SELECT keyid, public_key, owner, added_at, revoked_at, revoke_reason FROM keys \
             ORDER BY added_at, keyid",
            [],
            |r| {
                Ok(KeyRow {
                    keyid: r.get(0)?,
                    public_key: r.get(1)?,
                    owner: r.get(2)?,
                    added_at: r.get(3)?,
                    revoked_at: r.get(4)?,
                    revoke_reason: r.get(5)?,
                    foreign_archive: None,
                })
            },
        )
    }

    /// One key by id.
    pub fn key(&self, keyid: &str) -> Result<Option<KeyRow>> {
        self.one(&format!("SELECT {KEY_COLS} FROM keys WHERE keyid = ?1"), [keyid], key_row)
    }

    /// One object by BLAKE3 hex.
    pub fn object(&self, blake3: &str) -> Result<Option<ObjectRow>> {
        self.one(
            &format!("SELECT {OBJECT_COLS} FROM objects WHERE blake3 = ?1"),
            [blake3],
            object_row,
        )
    }

    /// Objects whose BLAKE3 hex starts with `prefix`.
    pub fn objects_with_prefix(&self, prefix: &str) -> Result<Vec<ObjectRow>> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        self.all(
            &format!("SELECT {OBJECT_COLS} FROM objects WHERE blake3 LIKE ?1 LIMIT 2"),
            [pattern],
            object_row,
        )
    }

    /// The first `limit` objects to check (never checked first, then least
    /// recently checked), handed out one at a time until `each` says stop.
    pub fn each_object_to_check(
        &self,
        limit: u64,
        each: impl FnMut(ObjectRow) -> bool,
    ) -> Result<()> {
        let sql = format!("SELECT {OBJECT_COLS} FROM objects {CHECK_ORDER} LIMIT ?1");
        self.each(&sql, [sql_limit(limit)], object_row, each)
    }

    /// How many objects, and how many original bytes, the first `limit` to
    /// check hold.
    pub fn to_check(&self, limit: u64) -> Result<(u64, u64)> {
        let sql = format!(
            "SELECT count(*), total(size) FROM (SELECT size FROM objects {CHECK_ORDER} LIMIT ?1)"
        );
        let row =
            self.one(&sql, [sql_limit(limit)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
        Ok(row.map_or((0, 0), |(n, b)| (n.max(0) as u64, b.max(0.0) as u64)))
    }

    /// All objects, in BLAKE3 order.
    pub fn objects(&self) -> Result<Vec<ObjectRow>> {
        self.all(&format!("SELECT {OBJECT_COLS} FROM objects ORDER BY blake3"), [], object_row)
    }

    /// The number of objects.
    pub fn object_count(&self) -> Result<u64> {
        self.count_of("objects")
    }

    /// The objects with these BLAKE3s, by BLAKE3 (one query).
    pub fn objects_named(&self, blake3s: &[&str]) -> Result<HashMap<String, ObjectRow>> {
        self.keyed(OBJECT_COLS, "objects", "blake3", &owned(blake3s), object_row, |o| {
            o.blake3.clone()
        })
    }

    /// The objects whose BLAKE3 hex starts with the two characters of a
    /// fan-out directory's name, in BLAKE3 order.
    pub fn objects_in_dir(&self, dir: &str) -> Result<Vec<ObjectRow>> {
        self.all(
            &format!(
                "SELECT {OBJECT_COLS} FROM objects WHERE blake3 >= ?1 AND blake3 < ?1 || '~' \
                 ORDER BY blake3"
            ),
            [dir],
            object_row,
        )
    }

    /// Objects no item names.
    pub fn unnamed_objects(&self) -> Result<Vec<String>> {
        self.all(
            "SELECT blake3 FROM objects o \
             WHERE NOT EXISTS (SELECT 1 FROM items WHERE blake3 = o.blake3) ORDER BY blake3",
            [],
            |r| r.get(0),
        )
    }

    /// Up to `limit` objects after `after`, in BLAKE3 order.
    pub fn objects_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<ObjectRow>> {
        let (cond, ps) = Span { after, upto: None }.clause("blake3");
        self.all(
            &format!(
                "SELECT {OBJECT_COLS} FROM objects WHERE {cond} ORDER BY blake3 LIMIT {limit}"
            ),
            rusqlite::params_from_iter(ps),
            object_row,
        )
    }

    /// The items of the objects in `span`, in ingest order.
    pub fn items_in(&self, span: Span<'_>) -> Result<Vec<ItemRow>> {
        let (cond, ps) = span.clause("blake3");
        self.all(
            &format!("SELECT {ITEM_COLS} FROM items WHERE {cond} ORDER BY id"),
            rusqlite::params_from_iter(ps),
            item_row,
        )
    }

    /// Up to `limit` items after item number `after`, in ingest order (the
    /// audit reads items a page at a time).
    pub fn items_after(&self, after: i64, limit: usize) -> Result<Vec<ItemRow>> {
        self.all(
            &format!("SELECT {ITEM_COLS} FROM items WHERE id > ?1 ORDER BY id LIMIT {limit}"),
            [after],
            item_row,
        )
    }

    /// The items with these UUIDs, by UUID (one query).
    pub fn items_with_uuids(&self, uuids: &[&str]) -> Result<HashMap<String, ItemRow>> {
        self.keyed(ITEM_COLS, "items", "item_uuid", &owned(uuids), item_row, |i| {
            i.item_uuid.clone()
        })
    }

    /// Items no custody-log leaf of kind `kind` refers to, by the leaves'
    /// `ref` column: (number, UUID).
    pub fn unlogged_items(&self, kind: &str) -> Result<Vec<(i64, String)>> {
        self.all(
            "SELECT i.id, i.item_uuid FROM items i WHERE NOT EXISTS (SELECT 1 FROM log_leaves l \
             WHERE l.ref = 'item:' || i.item_uuid AND l.kind = ?1) ORDER BY i.id",
            [kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// All items in ingest order.
    pub fn items(&self) -> Result<Vec<ItemRow>> {
        self.all(&format!("SELECT {ITEM_COLS} FROM items ORDER BY id"), [], item_row)
    }

    /// One item by number.
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>> {
        self.one(&format!("SELECT {ITEM_COLS} FROM items WHERE id = ?1"), [id], item_row)
    }

    /// One item by UUID.
    pub fn item_by_uuid(&self, uuid: &str) -> Result<Option<ItemRow>> {
        self.one(&format!("SELECT {ITEM_COLS} FROM items WHERE item_uuid = ?1"), [uuid], item_row)
    }

    /// Items of one object.
    pub fn items_of(&self, blake3: &str) -> Result<Vec<ItemRow>> {
        self.all(
            &format!("SELECT {ITEM_COLS} FROM items WHERE blake3 = ?1 ORDER BY id"),
            [blake3],
            item_row,
        )
    }

    /// The item for this acquisition, if it was already archived.
    pub fn find_item(
        &self,
        blake3: &str,
        path: &[u8],
        provenance: &str,
    ) -> Result<Option<ItemRow>> {
        self.one(
            &format!(
                "SELECT {ITEM_COLS} FROM items WHERE blake3 = ?1 AND original_path = ?2 \
                 AND provenance = ?3"
            ),
            params![blake3, path, provenance],
            item_row,
        )
    }

    /// The cached stat of an ingested path, if its item and object are
    /// still what the row names. (`+?1`, here and in `claims_of`: with a
    /// bare parameter, SQLite's planner marks this join or sort to be
    /// planned again at every new binding — a full re-parse per call,
    /// a third of an unchanged re-ingest's time; the unary plus changes
    /// neither the value nor the plan, a primary-key search.)
    pub fn ingest_path(&self, path: &[u8]) -> Result<Option<PathRow>> {
        self.one(
            "SELECT p.dev, p.ino, p.size, p.mtime_ns, p.ctime_ns, p.hashed_ns, i.media_type, \
                 o.blake3, o.sha256, o.size, o.encoding, o.stored_size, o.stored_at, \
                 o.last_checked_at \
             FROM ingest_paths p JOIN items i ON i.id = p.item_id \
                 JOIN objects o ON o.blake3 = i.blake3 \
             WHERE p.path = +?1 AND i.original_path = p.path",
            [path],
            |r| {
                Ok(PathRow {
                    stat: FileStat {
                        dev: r.get::<_, i64>(0)? as u64,
                        ino: r.get::<_, i64>(1)? as u64,
                        size: r.get::<_, i64>(2)? as u64,
                        mtime_ns: r.get(3)?,
                        ctime_ns: r.get(4)?,
                    },
                    hashed_ns: r.get(5)?,
                    media_type: r.get(6)?,
                    object: ObjectRow {
                        blake3: r.get(7)?,
                        sha256: r.get(8)?,
                        size: r.get(9)?,
                        encoding: r.get(10)?,
                        stored_size: r.get(11)?,
                        stored_at: r.get(12)?,
                        last_checked_at: r.get(13)?,
                    },
                })
            },
        )
    }

    /// One record by id.
    pub fn record(&self, id: i64) -> Result<Option<RecordRow>> {
        self.one(&format!("SELECT {RECORD_COLS} FROM records WHERE id = ?1"), [id], record_row)
    }

    /// The highest id ever given out in an AUTOINCREMENT table.
    pub fn sequence(&self, table: &str) -> Result<Option<i64>> {
        self.one("SELECT seq FROM sqlite_sequence WHERE name = ?1", [table], |r| r.get(0))
    }

    /// The records with these ids (one query; ids with no record are absent).
    pub fn records_with_ids(&self, ids: &[i64]) -> Result<HashMap<i64, RecordRow>> {
        self.keyed(RECORD_COLS, "records", "id", ids, record_row, |r| r.id)
    }

    /// Records no claim row names that are claims' records or that no item
    /// row names either (one scan of the records): a claim's record whose
    /// claim was deleted, or a record nothing refers to.
    pub fn loose_records(&self) -> Result<Vec<LooseRecord>> {
        self.all(
            "SELECT id, kind = 'claim', blake3, \
                 EXISTS (SELECT 1 FROM items WHERE record_id = r.id) AS by_item \
             FROM records r WHERE NOT EXISTS (SELECT 1 FROM claims WHERE record_id = r.id) \
             AND (kind = 'claim' OR NOT by_item) ORDER BY id",
            [],
            |r| {
                Ok(LooseRecord {
                    head: RecordHead { id: r.get(0)?, claim: r.get(1)? },
                    blake3: r.get(2)?,
                    by_item: r.get(3)?,
                })
            },
        )
    }

    /// Every id of `table`, in order, handed out one at a time.
    pub fn each_id(&self, table: IdTable, mut each: impl FnMut(i64)) -> Result<()> {
        let sql = format!("SELECT id FROM {} ORDER BY id", table.name());
        self.each(
            &sql,
            [],
            |r| r.get(0),
            |id| {
                each(id);
                true
            },
        )
    }

    /// All records.
    pub fn records(&self) -> Result<Vec<RecordRow>> {
        self.all(&format!("SELECT {RECORD_COLS} FROM records ORDER BY id"), [], record_row)
    }

    /// Number of leaves in the custody log.
    pub fn log_size(&self) -> Result<u64> {
        self.one("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_leaves", [], |r| r.get::<_, i64>(0))
            .map(|n| n.unwrap_or(0).max(0) as u64)
    }

    /// A complete subtree's hash.
    pub fn log_node(&self, level: u32, idx: u64) -> Result<Option<Vec<u8>>> {
        self.one(
            "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2",
            params![level, idx as i64],
            |r| r.get(0),
        )
    }

    /// One leaf.
    pub fn log_leaf(&self, idx: u64) -> Result<Option<LeafRow>> {
        self.one(
            "SELECT idx, event, kind, ref FROM log_leaves WHERE idx = ?1",
            [idx as i64],
            leaf_row,
        )
    }

    /// Leaves in index order, from `start`, at most `limit`.
    pub fn log_leaves(&self, start: u64, limit: u64) -> Result<Vec<LeafRow>> {
        self.all(
            "SELECT idx, event, kind, ref FROM log_leaves WHERE idx >= ?1 ORDER BY idx LIMIT ?2",
            params![start as i64, limit as i64],
            leaf_row,
        )
    }

    /// Up to `limit` leaves from `start`, with the rows they name.
    pub fn named_leaves(&self, start: u64, limit: u64) -> Result<Vec<NamedLeaf>> {
        self.all(
            &format!("{NAMED_LEAF_SQL} WHERE l.idx >= ?1 ORDER BY l.idx LIMIT ?2"),
            params![start as i64, limit as i64],
            named_leaf,
        )
    }

    /// Leaves that refer to `reference` or to object `blake3`, with the
    /// rows they name.
    pub fn named_leaves_about(&self, reference: &str, blake3: &str) -> Result<Vec<NamedLeaf>> {
        self.all(
            &format!("{NAMED_LEAF_SQL} WHERE l.ref = ?1 OR l.blake3 = ?2 ORDER BY l.idx"),
            params![reference, blake3],
            named_leaf,
        )
    }

    /// Leaves that refer to `reference` or to object `blake3`.
    pub fn log_leaves_about(&self, reference: &str, blake3: &str) -> Result<Vec<LeafRow>> {
        self.all(
            "SELECT idx, event, kind, ref FROM log_leaves WHERE ref = ?1 OR blake3 = ?2 ORDER BY idx",
            params![reference, blake3],
            leaf_row,
        )
    }

    /// The stored nodes of `level` from index `first` to `last`, in order,
    /// handed out one at a time.
    pub fn each_log_node_in(
        &self,
        level: u32,
        first: u64,
        last: u64,
        mut each: impl FnMut(u64, &[u8]),
    ) -> Result<()> {
        let sql = "SELECT idx, hash FROM log_nodes WHERE level = ?1 AND idx BETWEEN ?2 AND ?3 \
                   ORDER BY idx";
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, Vec<u8>)> {
            Ok((r.get(0)?, r.get(1)?))
        };
        self.each(sql, params![level, first as i64, last as i64], read, |(idx, hash)| {
            each(idx as u64, &hash);
            true
        })
    }

    /// The number of stored nodes.
    pub fn log_node_count(&self) -> Result<u64> {
        self.count_of("log_nodes")
    }

    /// Every stored checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        self.all("SELECT id, size, root, note, created_at FROM checkpoints ORDER BY id", [], |r| {
            Ok(CheckpointRow {
                id: r.get(0)?,
                size: r.get(1)?,
                root: r.get(2)?,
                note: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
    }

    /// Every stored cosignature.
    pub fn cosignatures(&self) -> Result<Vec<CosignatureRow>> {
        self.all(
            "SELECT id, checkpoint_id, witness, vkey, line, timestamp FROM cosignatures ORDER BY id",
            [],
            |r| {
                Ok(CosignatureRow {
                    id: r.get(0)?,
                    checkpoint_id: r.get(1)?,
                    witness: r.get(2)?,
                    vkey: r.get(3)?,
                    line: r.get(4)?,
                    timestamp: r.get(5)?,
                })
            },
        )
    }

    /// How far audits have got over the objects: (objects, never checked,
    /// least and most recent last check).
    pub fn check_coverage(&self) -> Result<(i64, i64, Option<String>, Option<String>)> {
        let row = self.one(
            "SELECT count(*), count(*) - count(last_checked_at), min(last_checked_at), \
                 max(last_checked_at) FROM objects",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(row.unwrap_or((0, 0, None, None)))
    }

    /// Audit runs, oldest first.
    pub fn audit_runs(&self) -> Result<Vec<AuditRunRow>> {
        self.all(&format!("SELECT {AUDIT_RUN_COLS} FROM audit_runs ORDER BY id"), [], audit_run_row)
    }

    /// The most recent audit run.
    pub fn last_audit_run(&self) -> Result<Option<AuditRunRow>> {
        self.one(
            &format!("SELECT {AUDIT_RUN_COLS} FROM audit_runs ORDER BY id DESC LIMIT 1"),
            [],
            audit_run_row,
        )
    }

    /// Every export, oldest first.
    pub fn exports(&self) -> Result<Vec<ExportRow>> {
        self.all(
            "SELECT id, bag_id, payload_digest, exported_at, exporter_keyid, items, withheld \
             FROM exports ORDER BY id",
            [],
            |r| {
                Ok(ExportRow {
                    id: r.get(0)?,
                    bag_id: r.get(1)?,
                    payload_digest: r.get(2)?,
                    exported_at: r.get(3)?,
                    exporter_keyid: r.get(4)?,
                    items: r.get(5)?,
                    withheld: r.get(6)?,
                })
            },
        )
    }

    /// Every import, oldest first.
    pub fn transfers(&self) -> Result<Vec<TransferRow>> {
        self.all(
            "SELECT id, bag_id, sender_archive, envelope, keyid, received_at FROM transfers ORDER BY id",
            [],
            |r| {
                Ok(TransferRow {
                    id: r.get(0)?,
                    bag_id: r.get(1)?,
                    sender_archive: r.get(2)?,
                    envelope: r.get(3)?,
                    keyid: r.get(4)?,
                    received_at: r.get(5)?,
                })
            },
        )
    }

    /// The claims about the objects in `span`, oldest first.
    pub fn claims_in(&self, span: Span<'_>) -> Result<Vec<ClaimRow>> {
        let (cond, ps) = span.clause("blake3");
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE {cond} ORDER BY id"),
            rusqlite::params_from_iter(ps),
            claim_row,
        )
    }

    /// Up to `limit` claims after claim number `after`, oldest first (the
    /// audit reads claims a page at a time).
    pub fn claims_after(&self, after: i64, limit: usize) -> Result<Vec<ClaimRow>> {
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE id > ?1 ORDER BY id LIMIT {limit}"),
            [after],
            claim_row,
        )
    }

    /// The claims with these UUIDs, by UUID (one query).
    pub fn claims_with_uuids(&self, uuids: &[&str]) -> Result<HashMap<String, ClaimRow>> {
        self.keyed(CLAIM_COLS, "claims", "claim_uuid", &owned(uuids), claim_row, |c| {
            c.claim_uuid.clone()
        })
    }

    /// Claims that say they supersede another, oldest first (corrections:
    /// a few among many).
    pub fn superseding_claims(&self) -> Result<Vec<ClaimRow>> {
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE supersedes IS NOT NULL ORDER BY id"),
            [],
            claim_row,
        )
    }

    /// Claims no custody-log leaf of kind `kind` refers to, by the leaves'
    /// `ref` column: (number, UUID).
    pub fn unlogged_claims(&self, kind: &str) -> Result<Vec<(i64, String)>> {
        self.all(
            "SELECT c.id, c.claim_uuid FROM claims c WHERE NOT EXISTS (SELECT 1 FROM log_leaves l \
             WHERE l.ref = 'claim:' || c.claim_uuid AND l.kind = ?1) ORDER BY c.id",
            [kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// All claims, oldest first.
    pub fn claims(&self) -> Result<Vec<ClaimRow>> {
        self.all(&format!("SELECT {CLAIM_COLS} FROM claims ORDER BY id"), [], claim_row)
    }

    /// The claims about one object, oldest first.
    pub fn claims_of(&self, blake3: &str) -> Result<Vec<ClaimRow>> {
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE blake3 = +?1 ORDER BY id"),
            [blake3],
            claim_row,
        )
    }

    /// One claim by number or UUID.
    pub fn claim(&self, id_or_uuid: &str) -> Result<Option<ClaimRow>> {
        match id_or_uuid.parse::<i64>() {
            Ok(n) => {
                self.one(&format!("SELECT {CLAIM_COLS} FROM claims WHERE id = ?1"), [n], claim_row)
            }
            Err(_) => self.one(
                &format!("SELECT {CLAIM_COLS} FROM claims WHERE claim_uuid = ?1"),
                [id_or_uuid],
                claim_row,
            ),
        }
    }
}

/// A write transaction. Dropped without `commit`, it rolls back.
pub struct Tx<'a>(rusqlite::Transaction<'a>);

impl Tx<'_> {
    /// Run one statement, prepared once per connection (writes repeat).
    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.0.prepare_cached(sql)?.execute(p)
    }

    /// Reads inside this transaction.
    pub fn read(&self) -> Reader<'_> {
        Reader(&self.0)
    }

    /// Commit.
    pub fn commit(self) -> Result<()> {
        self.0.commit().map_err(sql_err("cannot commit the transaction"))
    }

    /// Write the identity row.
    pub fn insert_identity(&self, archive_id: &str, name: &str, created_at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO archive (singleton, archive_id, name, created_at) VALUES (1, ?1, ?2, ?3)",
            params![archive_id, name, created_at],
        )
        .map_err(sql_err("cannot write the archive identity"))?;
        Ok(())
    }

    /// Register a key (`foreign`: the archive it comes from, for a key a
    /// bag's sender registered); false if it was already there.
    pub fn insert_key(
        &self,
        keyid: &str,
        public_hex: &str,
        owner: &str,
        at: &str,
        foreign: Option<&str>,
    ) -> Result<bool> {
        let n = self
            .0
            .execute(
                "INSERT OR IGNORE INTO keys (keyid, public_key, owner, added_at, foreign_archive) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![keyid, public_hex, owner, at, foreign],
            )
            .map_err(sql_err("cannot register the key"))?;
        Ok(n == 1)
    }

    /// Record an export; returns its id.
    pub fn insert_export(&self, e: &ExportRow) -> Result<i64> {
        self.exec(
            "INSERT INTO exports (bag_id, payload_digest, exported_at, exporter_keyid, items, \
                 withheld) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                e.bag_id,
                e.payload_digest,
                e.exported_at,
                e.exporter_keyid,
                e.items,
                e.withheld
            ],
        )
        .map_err(sql_err("cannot record the export"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Record an import; returns its id.
    pub fn insert_transfer(&self, t: &TransferRow) -> Result<i64> {
        self.exec(
            "INSERT INTO transfers (bag_id, sender_archive, envelope, keyid, received_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.bag_id, t.sender_archive, t.envelope, t.keyid, t.received_at],
        )
        .map_err(sql_err("cannot record the transfer"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Record an object (no-op if it is already there).
    pub fn insert_object(&self, o: &ObjectRow) -> Result<()> {
        self
            .exec(
                "INSERT OR IGNORE INTO objects (blake3, sha256, size, encoding, stored_size, stored_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![o.blake3, o.sha256, o.size, o.encoding, o.stored_size, o.stored_at],
            )
            .map_err(sql_err("cannot record the object"))?;
        Ok(())
    }

    /// Remember how an ingested path looked when its read began (`hashed_ns`)
    /// and the item it was recorded as.
    pub fn put_ingest_path(
        &self,
        path: &[u8],
        item_id: i64,
        stat: &FileStat,
        hashed_ns: i64,
    ) -> Result<()> {
        self.exec(
            "INSERT OR REPLACE INTO ingest_paths (path, item_id, dev, ino, size, mtime_ns, \
                 ctime_ns, hashed_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                path,
                item_id,
                stat.dev as i64,
                stat.ino as i64,
                stat.size as i64,
                stat.mtime_ns,
                stat.ctime_ns,
                hashed_ns
            ],
        )
        .map_err(sql_err("cannot record the ingested path's metadata"))?;
        Ok(())
    }

    /// Store a signed record; returns its id.
    pub fn insert_record(
        &self,
        kind: crate::record::RecordKind,
        blake3: &str,
        keyid: &str,
        envelope: &[u8],
        at: &str,
    ) -> Result<i64> {
        self
            .exec(
                "INSERT INTO records (kind, blake3, keyid, envelope, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kind.name(), blake3, keyid, envelope, at],
            )
            .map_err(sql_err("cannot store the signed record"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Insert an item; returns its number.
    pub fn insert_item(&self, it: &NewItem<'_>, record_id: i64) -> Result<i64> {
        self.exec(
            "INSERT INTO items (item_uuid, blake3, original_name, original_path, size, media_type, \
                 ingested_at, collector_keyid, provenance, record_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                it.item_uuid,
                it.blake3,
                it.original_name,
                it.original_path,
                it.size as i64,
                it.media_type,
                it.ingested_at,
                it.collector_keyid,
                it.provenance,
                record_id
            ],
        )
        .map_err(sql_err("cannot insert the item"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Record a claim (its signed record is already stored); returns its number.
    pub fn insert_claim(&self, c: &ClaimRow) -> Result<i64> {
        self.exec(
            "INSERT INTO claims (claim_uuid, blake3, kind, basis, keyid, signed_at, supersedes, \
                 item_uuid, record_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.claim_uuid,
                c.blake3,
                c.kind,
                c.basis,
                c.keyid,
                c.signed_at,
                c.supersedes,
                c.item_uuid,
                c.record_id
            ],
        )
        .map_err(sql_err("cannot record the claim"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Append a leaf (the caller computed its index and nodes).
    pub fn insert_log_leaf(
        &self,
        idx: u64,
        event: &[u8],
        kind: &str,
        reference: &str,
        blake3: Option<&str>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO log_leaves (idx, event, kind, ref, blake3) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![idx as i64, event, kind, reference, blake3],
        )
        .map_err(sql_err("cannot append to the custody log"))?;
        Ok(())
    }

    /// Store a complete subtree's hash.
    pub fn insert_log_node(&self, level: u32, idx: u64, hash: &[u8]) -> Result<()> {
        self.exec(
            "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
            params![level, idx as i64, hash],
        )
        .map_err(sql_err("cannot store a custody log node"))?;
        Ok(())
    }

    /// Store a signed checkpoint; returns its id.
    pub fn insert_checkpoint(&self, size: u64, root: &[u8], note: &str, at: &str) -> Result<i64> {
        self.exec(
            "INSERT INTO checkpoints (size, root, note, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![size as i64, root, note, at],
        )
        .map_err(sql_err("cannot store the checkpoint"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Store a cosignature.
    pub fn insert_cosignature(
        &self,
        checkpoint_id: i64,
        witness: &str,
        vkey: &str,
        line: &str,
        timestamp: u64,
        at: &str,
    ) -> Result<i64> {
        self.exec(
            "INSERT INTO cosignatures (checkpoint_id, witness, vkey, line, timestamp, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![checkpoint_id, witness, vkey, line, timestamp as i64, at],
        )
        .map_err(sql_err("cannot store the cosignature"))?;
        Ok(self.0.last_insert_rowid())
    }

    /// Mark a key revoked from `at` on; false if it was already revoked.
    pub fn revoke_key(&self, keyid: &str, at: &str, reason: &str) -> Result<bool> {
        let n = self
            .0
            .execute(
                "UPDATE keys SET revoked_at = ?2, revoke_reason = ?3 \
                 WHERE keyid = ?1 AND revoked_at IS NULL",
                params![keyid, at, reason],
            )
            .map_err(sql_err("cannot revoke the key"))?;
        Ok(n == 1)
    }

    /// Mark as found intact at `at` the first `first` objects of the audit's
    /// order (those it read), but for `except` (those it found damaged).
    pub fn mark_checked(&self, first: u64, except: &[&str], at: &str) -> Result<()> {
        let sql = format!(
            "UPDATE objects SET last_checked_at = ?1 WHERE blake3 IN \
             (SELECT blake3 FROM objects {CHECK_ORDER} LIMIT ?2) \
             AND blake3 NOT IN (SELECT value FROM json_each(?3))"
        );
        let except = serde_json::Value::from(except).to_string();
        self.exec(&sql, params![at, sql_limit(first), except])
            .map_err(sql_err("cannot mark objects checked"))?;
        Ok(())
    }

    /// Record an audit run.
    pub fn insert_audit_run(&self, a: &AuditRun<'_>) -> Result<i64> {
        self
            .exec(
                "INSERT INTO audit_runs (started_at, finished_at, deep, objects_checked, bytes_checked, \
                 records_checked, findings, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    a.started_at,
                    a.finished_at,
                    a.deep,
                    a.objects_checked as i64,
                    a.bytes_checked as i64,
                    a.records_checked as i64,
                    a.findings as i64,
                    a.report
                ],
            )
            .map_err(sql_err("cannot record the audit"))?;
        Ok(self.0.last_insert_rowid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate::{LATEST, version};

    #[test]
    fn migrates_and_refuses_newer() {
        let mut c = Connection::open_in_memory().unwrap();
        apply_migrations(&mut c, "test db", &|_, _| Ok(())).unwrap();
        assert_eq!(version(&c).unwrap(), LATEST);
        apply_migrations(&mut c, "test db", &|_, _| Ok(())).unwrap(); // idempotent
        c.pragma_update(None, "user_version", LATEST + 1).unwrap();
        let err = apply_migrations(&mut c, "test db", &|_, _| Ok(())).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::NotAnArchive);
    }
}
