-- 0009_ingest_paths: what each ingested path looked like on disk when its
-- bytes were last hashed, so that re-running an ingest over files already
-- archived need not read them again (as restic trusts file metadata and
-- git its index). A cache, not evidence: nothing is signed over it, and a
-- wrong row can at worst make a re-ingest skip reading a file whose item
-- at that path already exists; `custody ingest --rehash` reads everything.
-- Never edit this file once released; add 0010_*.sql instead.
-- Applied in one transaction by src/db.rs, which then sets user_version = 9.
CREATE TABLE ingest_paths (
    path      BLOB PRIMARY KEY,           -- exact bytes, as the item's original_path
    item_id   INTEGER NOT NULL,           -- no foreign key: a cache constrains no evidence row
    dev       INTEGER NOT NULL,           -- st_dev, st_ino (u64 bit patterns)
    ino       INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,           -- st_mtime, st_ctime in ns since 1970
    ctime_ns  INTEGER NOT NULL,
    hashed_ns INTEGER NOT NULL            -- wall clock when the read began
) STRICT, WITHOUT ROWID;
