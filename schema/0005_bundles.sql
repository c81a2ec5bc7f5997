-- 0005_bundles: evidence leaving and entering the archive as BagIt bags.
-- Released with custody 0.5: never edit this file; add 0006_*.sql instead.
-- Applied in one transaction by src/db.rs, which then sets user_version = 5.

-- A key registered from another archive's bag (its claims and records stay
-- verifiable here): the sending archive's id. NULL: registered here. Its
-- key registration event names it (schema/FORMAT.md, "Custody events").
ALTER TABLE keys ADD COLUMN foreign_archive TEXT;

-- Every export: a PREMIS "dissemination" custody event, recomputed from
-- this row by the audit.
CREATE TABLE exports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    bag_id          TEXT NOT NULL UNIQUE,   -- the bag's External-Identifier (a new UUID)
    payload_digest  TEXT NOT NULL,          -- SHA-256 of the bag's manifest-sha256.txt
    exported_at     TEXT NOT NULL,
    exporter_keyid  TEXT NOT NULL REFERENCES keys (keyid),
    items           INTEGER NOT NULL,
    withheld        INTEGER NOT NULL        -- claims left out (--withhold)
) STRICT;

-- Every import: a PREMIS "transfer" custody event, and the receiver's
-- signed transfer record (DSSE / in-toto, predicate transfer/v1), which
-- names the bag, the sending archive and its checkpoint.
CREATE TABLE transfers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    bag_id          TEXT NOT NULL UNIQUE,   -- External-Identifier (or the bag's name)
    sender_archive  TEXT,                   -- NULL: a plain bag made by another tool
    envelope        BLOB NOT NULL,          -- the receiver's signed transfer record
    keyid           TEXT NOT NULL REFERENCES keys (keyid),
    received_at     TEXT NOT NULL
) STRICT;
