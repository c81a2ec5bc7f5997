//! Schema migrations: the numbered files in `schema/`, compiled in, applied
//! in order, each in one transaction that ends by setting `user_version`.
//! A database newer than this binary is refused before anything is written.
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
];

/// The schema version this binary writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Read `user_version` without writing anything.
pub fn version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| Error::db("cannot read the database schema version", e))
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

/// What runs inside a migration's transaction after its SQL, given the
/// version it brings the database to (data migrations written in Rust, such
/// as the custody log's backfill).
pub type After<'a> = &'a dyn Fn(&super::Tx<'_>, i64) -> Result<()>;

/// Apply every migration after the current version, one transaction each.
pub fn migrate(conn: &mut Connection, what: &str, after: After<'_>) -> Result<()> {
    let current = refuse_newer(conn, what)?;
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn
            .transaction()
            .map_err(|e| Error::db(format!("cannot start migration {name}"), e))?;
        tx.execute_batch(sql).map_err(|e| Error::db(format!("migration {name} failed"), e))?;
        let tx = super::Tx(tx);
        after(&tx, i as i64 + 1)?;
        tx.0.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(|e| Error::db(format!("migration {name}: cannot set user_version"), e))?;
        tx.0.commit().map_err(|e| Error::db(format!("cannot commit migration {name}"), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_and_refuses_newer() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, "test db", &|_, _| Ok(())).unwrap();
        assert_eq!(version(&c).unwrap(), LATEST);
        migrate(&mut c, "test db", &|_, _| Ok(())).unwrap(); // idempotent
        c.pragma_update(None, "user_version", LATEST + 1).unwrap();
        let err = migrate(&mut c, "test db", &|_, _| Ok(())).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::NotAnArchive);
    }
}
