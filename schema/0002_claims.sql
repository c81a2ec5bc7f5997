-- 0002_claims: signed provenance claims about objects.
-- Released with custody 0.2: never edit this file; add 0003_*.sql instead.
-- Applied in one transaction by src/db/migrate.rs, which then sets user_version = 2.

-- One claim (source, capture time, location, description, relation or
-- verification) about an object. The signed envelope lives in `records`
-- (kind 'claim'); every column here repeats a signed value and is an index
-- only: the audit compares each with the envelope.
-- A claim is never edited or deleted; a correction is a new claim whose
-- `supersedes` names the claim it replaces.
CREATE TABLE claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    claim_uuid  TEXT NOT NULL UNIQUE,
    blake3      TEXT NOT NULL REFERENCES objects (blake3),
    kind        TEXT NOT NULL,              -- source, capture-time, location, description, relation, verification
    basis       TEXT NOT NULL,              -- embedded, claimed, analyst, device
    keyid       TEXT NOT NULL,              -- the author
    signed_at   TEXT NOT NULL,
    supersedes  TEXT,                       -- claim_uuid of the claim it replaces
    item_uuid   TEXT,                       -- the acquisition it was made with, if any
    record_id   INTEGER NOT NULL UNIQUE REFERENCES records (id)
) STRICT;
CREATE INDEX claims_blake3 ON claims (blake3, kind);
