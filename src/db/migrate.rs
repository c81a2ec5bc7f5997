//! Schema migrations: the numbered files in `schema/`, compiled in, and the
//! schema version a database has. (`db` applies them, each in one
//! transaction that ends by setting `user_version`.) A database newer than
//! this binary is refused before anything is written.
//!
//! Must not: set per-connection pragmas (that is `db::open`'s job) or edit a
//! released migration (tests/tidy.rs pins their digests).

use rusqlite::Connection;

use crate::error::{Error, ErrorKind, Result};

/// The migrations, in order; index + 1 is the `user_version` each leaves.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init.sql", include_str!("../../schema/0001_init.sql")),
    ("0002_claims.sql", include_str!("../../schema/0002_claims.sql")),
    ("0003_log.sql", include_str!("../../schema/0003_log.sql")),
    ("0004_key_owners.sql", include_str!("../../schema/0004_key_owners.sql")),
    ("0005_bundles.sql", include_str!("../../schema/0005_bundles.sql")),
    ("0006_search.sql", include_str!("../../schema/0006_search.sql")),
    ("0007_search_places_in_time.sql", include_str!("../../schema/0007_search_places_in_time.sql")),
    (
        "0008_search_flags_after_ingest.sql",
        include_str!("../../schema/0008_search_flags_after_ingest.sql"),
    ),
    ("0009_ingest_paths.sql", include_str!("../../schema/0009_ingest_paths.sql")),
];

/// The schema version this binary writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Read `user_version` without writing anything.
pub fn version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            // Opening a database in WAL mode writes its shared-memory file.
            return Error::new(
                ErrorKind::NoSpace,
                "no space left on device (cannot open the database)",
            )
            .hint("free some space and run the command again")
            .source_err(e);
        }
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure) {
            return Error::db("cannot read the database schema version", e)
                .hint("is the disk full (df) or failing (dmesg)? nothing was changed");
        }
        Error::db("cannot read the database schema version", e)
    })
}

/// Refuse a database written by a newer custody (checked before any write).
pub fn refuse_newer(conn: &Connection, what: &str) -> Result<i64> {
    let v = version(conn)?;
    if v > LATEST {
        return Err(Error::new(
            ErrorKind::NotAnArchive,
            format!(
                "{what} has schema version {v}, newer than this custody understands ({LATEST})"
            ),
        )
        .hint("upgrade custody; the database was left untouched"));
    }
    Ok(v)
}
