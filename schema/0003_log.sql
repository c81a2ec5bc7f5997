-- 0003_log: the custody log, an RFC 6962 Merkle tree of custody events,
-- and the signed checkpoints (C2SP tlog-checkpoint) and witness
-- cosignatures (C2SP tlog-cosignature) over it.
-- Released with custody 0.3: never edit this file; add 0004_*.sql instead.
-- Applied in one transaction by src/db/migrate.rs, which then sets user_version = 3.

-- One leaf per custody event, in append order (idx is the 0-based leaf
-- index). `event` is the leaf's bytes exactly (schema/FORMAT.md, "Custody
-- events"); `kind`, `ref` and `blake3` repeat parts of it as indexes.
CREATE TABLE log_leaves (
    idx     INTEGER PRIMARY KEY CHECK (idx >= 0),
    event   BLOB NOT NULL,
    kind    TEXT NOT NULL,
    ref     TEXT NOT NULL,
    blake3  TEXT
) STRICT;
CREATE INDEX log_leaves_ref ON log_leaves (ref);
CREATE INDEX log_leaves_blake3 ON log_leaves (blake3);

-- The hash of every complete subtree: level L, index I covers leaves
-- I*2^L .. (I+1)*2^L - 1. About two rows per leaf; any root or proof needs
-- O(log n) of them.
CREATE TABLE log_nodes (
    level   INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    hash    BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- Every checkpoint the archive signed, as the full signed note.
CREATE TABLE checkpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    size        INTEGER NOT NULL,
    root        BLOB NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Witness cosignatures of stored checkpoints: the signature line, and the
-- witness's verifier key it verifies under.
CREATE TABLE cosignatures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id),
    witness       TEXT NOT NULL,
    vkey          TEXT NOT NULL,
    line          TEXT NOT NULL,
    timestamp     INTEGER NOT NULL,
    added_at      TEXT NOT NULL
) STRICT;
