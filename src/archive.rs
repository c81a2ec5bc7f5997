//! The `Archive` façade: creates and opens an archive directory and owns its
//! parts (database, object store, clock); hands out the archive lock as a
//! guard (exclusive for ingest, shared for audit); resolves what a user
//! types to name an item or object. Commands reach the parts only through
//! it. (The default location is the binary's business.)
//!
//! Layout: `ARCHIVE/custody.db` (SQLite), `ARCHIVE/objects/` (the store),
//! `ARCHIVE/tmp/` (staged writes), `ARCHIVE/lock` (writers' lock),
//! `ARCHIVE/log.key` + `log.key.pub` (the custody log's signing key, made by
//! `init`). Opening runs pending migrations, including the custody log's
//! one-time backfill.
//!
//! Must not: print, read the environment, or hold SQL (see `db`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::clock::{Clock, rfc3339};
use crate::db::{DB_FILE, Db, ItemRow, ObjectRow};
use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;
use crate::text::quoted;

/// An open archive.
pub struct Archive {
    root: PathBuf,
    pub(crate) db: Db,
    pub(crate) store: Store,
    clock: Box<dyn Clock>,
}

/// The archive's identity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Identity {
    /// Random UUID.
    pub archive_id: String,
    /// Human name.
    pub name: String,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
}

/// Options for creating an archive.
pub struct InitOptions {
    /// The directory (created if absent; must be empty if present).
    pub root: PathBuf,
    /// The collection's name.
    pub name: String,
}

/// A hold on the archive's lock file: exclusive for writers that stage
/// objects, shared for audits (which must not see a half-finished ingest).
/// Released when dropped.
pub struct ArchiveLock(#[allow(dead_code)] Option<File>);

/// The last schema version that changed the search tables.
const SEARCH_SCHEMA: i64 = 8;

/// Data migrations run inside a schema migration's transaction: an archive
/// from before the custody log (schema 3) gets its events there, exactly
/// once and atomically with the new tables (never later: an empty log on a
/// schema-3 archive is evidence of deletion, which the audit reports); an
/// archive from before owned key registrations (schema 4) gets one event
/// naming each key's owner; one from before the search indexes (6) or
/// from before positions were indexed with their capture times (7), or
/// flagged by the discrepancy rules of version 8, is
/// indexed from its envelopes and stored objects — once, at the last
/// migration that changed the search tables (`SEARCH_SCHEMA`), since a
/// reindex writes every one of them.
fn data_migrations(tx: &crate::db::Tx<'_>, version: i64, store: &Store) -> Result<()> {
    match version {
        3 => crate::custody_log::backfill(tx).map(drop),
        4 => crate::custody_log::own_keys(tx).map(drop),
        SEARCH_SCHEMA => crate::search::index::reindex(tx, store).map(drop),
        _ => Ok(()),
    }
}

/// What a user-typed reference names.
pub enum Target {
    /// An item (by number or UUID).
    Item(ItemRow),
    /// An object (by BLAKE3 or a unique prefix of 8+ hex digits).
    Object(ObjectRow),
}

impl Archive {
    /// Create a new archive: directory, store, database and identity.
    pub fn init(opts: &InitOptions, clock: Box<dyn Clock>) -> Result<Archive> {
        let root = &opts.root;
        if opts.name.trim().is_empty() {
            return Err(Error::new(ErrorKind::Usage, "the archive name is empty")
                .hint("pass --name \"Aleppo 2024 collection\""));
        }
        match fs::read_dir(root) {
            Ok(mut entries) => {
                if root.join(DB_FILE).exists() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("{} is already a custody archive", crate::text::shown(root)),
                    )
                    .hint("use it as it is, or choose another --archive directory"));
                }
                if entries.next().is_some() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("{} is not empty", crate::text::shown(root)),
                    )
                    .hint("an archive needs a new or empty directory"));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(|e| Error::io("cannot create", root, e))?;
            }
            Err(e) => return Err(Error::io("cannot read directory", root, e)),
        }
        let store = Store::create(root)?;
        let mut db = Db::create(&root.join(DB_FILE), &|tx, v| data_migrations(tx, v, &store))?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = rfc3339(clock.now());
        let tx = db.tx()?;
        tx.insert_identity(&id, opts.name.trim(), &now)?;
        tx.commit()?;
        crate::custody_log::log_key(&db.read(), root, &id, &now)?;
        Ok(Archive { root: root.clone(), db, store, clock })
    }

    /// Open an existing archive.
    pub fn open(root: &Path, clock: Box<dyn Clock>) -> Result<Archive> {
        if root.exists() && !root.is_dir() {
            return Err(Error::new(
                ErrorKind::NotAnArchive,
                format!("{} is a file, not an archive directory", crate::text::shown(root)),
            )
            .hint("point --archive at a directory made by `custody init`"));
        }
        if !root.is_dir() {
            return Err(Error::new(ErrorKind::NotFound, format!("no archive at {}", crate::text::shown(root)))
                .hint("create one with `custody init --archive DIR --name NAME`, or set --archive / CUSTODY_ARCHIVE"));
        }
        let db_path = root.join(DB_FILE);
        if !db_path.is_file() || !root.join("objects").is_dir() {
            return Err(Error::new(
                ErrorKind::NotAnArchive,
                format!(
                    "{} is not a custody archive (no {DB_FILE} or objects/)",
                    crate::text::shown(root)
                ),
            )
            .hint("point --archive at a directory made by `custody init`"));
        }
        // Read-only: a read-only mount, or files this user may not write.
        let writable = |p: &Path| rustix::fs::access(p, rustix::fs::Access::WRITE_OK).is_ok();
        let read_only = !writable(root) || !writable(&db_path);
        let store = Store::at(root);
        let db = Db::open(&db_path, &|tx, v| data_migrations(tx, v, &store), read_only)?;
        db.read().identity()?;
        Ok(Archive { root: root.to_owned(), db, store, clock })
    }

    /// The archive directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the archive can only be read (commands that write refuse).
    pub fn is_read_only(&self) -> bool {
        self.db.is_read_only()
    }

    /// The identity row.
    pub fn identity(&self) -> Result<Identity> {
        let (archive_id, name, created_at) = self.db.read().identity()?;
        Ok(Identity { archive_id, name, created_at })
    }

    /// Resolve an item number, item UUID, full BLAKE3 or unique BLAKE3
    /// prefix (at least 8 hex digits).
    pub fn resolve(&self, reference: &str) -> Result<Target> {
        let q = self.db.read();
        let r = reference.trim();
        let not_found = || {
            Error::new(
                ErrorKind::NotFound,
                format!("no item or object {} in this archive", quoted(r)),
            )
            .hint(
                "use an item number or a blake3 hash (or its first 8+ hex digits) from \
                     `custody list`",
            )
        };
        if let Ok(n) = r.parse::<i64>()
            && r.len() < 8
        {
            return q.item(n)?.map(Target::Item).ok_or_else(not_found);
        }
        if let Some(it) = q.item_by_uuid(r)? {
            return Ok(Target::Item(it));
        }
        let lower = r.to_ascii_lowercase();
        if (8..=64).contains(&lower.len()) && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut found = q.objects_with_prefix(&lower)?;
            if found.len() > 1 {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("{} matches several objects", quoted(r)),
                )
                .hint("type more hex digits"));
            }
            return found.pop().map(Target::Object).ok_or_else(not_found);
        }
        Err(not_found())
    }

    /// The object an item or object reference names.
    pub fn resolve_object(&self, reference: &str) -> Result<ObjectRow> {
        match self.resolve(reference)? {
            Target::Object(o) => Ok(o),
            Target::Item(it) => self.db.read().object(&it.blake3)?.ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("item {} names a missing object row", it.id),
                )
                .hint("run `custody audit`")
            }),
        }
    }

    /// Append events to the custody log in one transaction (for tools that
    /// record custody events of their own, and for the log benchmark);
    /// returns the log's size.
    pub fn record_events(&mut self, events: &[crate::custody_log::Event]) -> Result<u64> {
        let _lock = self.lock_for_writing()?;
        let tx = self.db.tx()?;
        for e in events {
            crate::custody_log::append(&tx, e)?;
        }
        let size = tx.read().log_size()?;
        tx.commit()?;
        Ok(size)
    }

    /// Now, formatted RFC 3339 UTC.
    pub fn now(&self) -> String {
        rfc3339(self.clock.now())
    }

    /// Now, as a time.
    pub fn now_utc(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Split borrows for writers that stream into the store while recording
    /// rows: (database, store, clock).
    pub(crate) fn parts(&mut self) -> (&mut Db, &Store, &dyn Clock) {
        (&mut self.db, &self.store, self.clock.as_ref())
    }

    fn lock_file(&self) -> Result<(File, PathBuf)> {
        let path = self.root.join("lock");
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open lock file", &path, e))?;
        Ok((f, path))
    }

    /// Take the lock exclusively (waits for running ingests and audits) and
    /// clear staged leftovers of a crashed writer. A read-only archive
    /// refuses.
    pub fn lock_for_writing(&self) -> Result<ArchiveLock> {
        if self.is_read_only() {
            return Err(crate::db::read_only_error());
        }
        let (f, path) = self.lock_file()?;
        f.lock().map_err(|e| Error::io("cannot lock", &path, e))?;
        self.store.prepare_tmp()?;
        Ok(ArchiveLock(Some(f)))
    }

    /// Take the lock shared (waits for a running ingest; audits may
    /// overlap). A read-only archive has no writer to wait for: the lock
    /// is taken on the existing lock file when it can be opened, else none.
    pub fn lock_for_reading(&self) -> Result<ArchiveLock> {
        if self.is_read_only() {
            let f = File::open(self.root.join("lock")).ok();
            if let Some(f) = &f {
                let _ = f.lock_shared();
            }
            return Ok(ArchiveLock(f));
        }
        let (f, path) = self.lock_file()?;
        f.lock_shared().map_err(|e| Error::io("cannot lock", &path, e))?;
        Ok(ArchiveLock(Some(f)))
    }
}
