-- 0001_init: archive identity, keys, objects, items, signed records, audit runs.
-- Released: never edit this file; add 0002_*.sql instead.
-- Applied in one transaction by src/db/migrate.rs, which then sets user_version = 1.

-- One row: who this archive is.
CREATE TABLE archive (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    archive_id  TEXT NOT NULL,              -- random UUID v4
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL               -- RFC 3339 UTC
) STRICT;

-- Public keys only. Private keys never enter the archive.
CREATE TABLE keys (
    keyid       TEXT PRIMARY KEY,           -- sha256 of securesystemslib canonical key JSON
    public_key  TEXT NOT NULL UNIQUE,       -- 64 hex chars, Ed25519
    owner       TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    revoked_at  TEXT,
    revoke_reason TEXT
) STRICT;

-- Stored bytes, named by the BLAKE3 of the original content.
CREATE TABLE objects (
    blake3      TEXT PRIMARY KEY,           -- 64 hex chars
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    encoding    TEXT NOT NULL CHECK (encoding IN ('none', 'zstd')),
    stored_size INTEGER NOT NULL CHECK (stored_size >= 0),
    stored_at   TEXT NOT NULL,
    last_checked_at TEXT
) STRICT;

-- Signed records: the DSSE envelope bytes exactly as signed. Every other
-- column of this file that repeats a signed value is an index only.
-- AUTOINCREMENT: ids are never reused, so a deleted row leaves a gap the
-- audit reports (the custody log will make this tamper-evident).
CREATE TABLE records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,              -- 'ingest'
    blake3      TEXT NOT NULL REFERENCES objects (blake3),
    keyid       TEXT NOT NULL,
    envelope    BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX records_blake3 ON records (blake3);

-- One acquisition of an object. Derived from its ingest record.
CREATE TABLE items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_uuid   TEXT NOT NULL UNIQUE,
    blake3      TEXT NOT NULL REFERENCES objects (blake3),
    original_name BLOB NOT NULL,            -- exact bytes of the file name
    original_path BLOB NOT NULL,            -- exact bytes of the absolute path
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    collector_keyid TEXT NOT NULL,
    provenance  TEXT NOT NULL DEFAULT '',   -- digest of collector-supplied provenance ('' = none)
    record_id   INTEGER NOT NULL UNIQUE REFERENCES records (id),
    UNIQUE (blake3, original_path, provenance)
) STRICT;

-- Every audit's outcome.
CREATE TABLE audit_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    deep        INTEGER NOT NULL,
    objects_checked INTEGER NOT NULL,
    bytes_checked INTEGER NOT NULL,
    records_checked INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    report      TEXT NOT NULL               -- the findings as JSON
) STRICT;
