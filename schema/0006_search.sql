-- 0006_search: the search indexes (`custody search`, `custody timeline`).
-- Released with custody 0.6: never edit this file; add 0007_*.sql instead.
-- Applied in one transaction by src/db.rs, which then sets user_version = 6;
-- filling the tables needs Rust (envelopes, decompression, charsets, HTML),
-- so src/search/index.rs reindexes inside the same transaction.
--
-- Everything here is derived data: recomputed from the signed claims and
-- the stored objects by `custody reindex`, maintained in the transaction
-- that writes a claim or an item, and compared with a fresh recomputation
-- by the audit (a missing, edited or extra row is an `index-mismatch`
-- finding whose repair is `custody reindex`). Nothing here is evidence.

-- One row per *current* claim (superseded claims are not searchable): its
-- value as signed (canonical JSON) and the columns the filters use.
CREATE TABLE search_claims (
    claim_id    INTEGER PRIMARY KEY,          -- claims.id (no foreign key: derived data never constrains evidence)
    blake3      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    basis       TEXT NOT NULL,
    value       TEXT NOT NULL,              -- the signed ClaimValue, as JSON
    t_lo        INTEGER,                    -- capture time: the UTC window it lies in
    t_hi        INTEGER,                    --   (unix seconds; CaptureTime::window)
    approximate INTEGER,                    -- 1: offset unknown, or day / rough precision
    lat         REAL,                       -- location: the position (WGS 84) …
    lon         REAL,
    accuracy_m  REAL                        -- … and its accuracy radius
) STRICT;
CREATE INDEX search_claims_blake3 ON search_claims (blake3);

-- Capture-time windows (id = claim_id). R*Tree coordinates are 32-bit
-- floats rounded outwards: candidates only, checked against t_lo / t_hi.
CREATE VIRTUAL TABLE search_times USING rtree (id, lo, hi);

-- Positions as the box of their accuracy circle (id = claim_id * 2 + part:
-- a circle across the antimeridian is two boxes; one around a pole spans
-- every longitude). Candidates only, checked by great-circle distance.
CREATE VIRTUAL TABLE search_places USING rtree (id, min_lat, max_lat, min_lon, max_lon);

-- Exact-match and glob terms of current claims: a source's url, platform
-- and account; a description's tags; a verification's verdict.
CREATE TABLE search_terms (
    claim_id    INTEGER NOT NULL,
    blake3      TEXT NOT NULL,
    field       TEXT NOT NULL,              -- url, platform, account, tag, verdict
    value       TEXT NOT NULL
) STRICT;
CREATE INDEX search_terms_value ON search_terms (field, value);
CREATE INDEX search_terms_claim ON search_terms (claim_id);
CREATE INDEX search_terms_blake3 ON search_terms (blake3);

-- Searchable text: an object's own text (text and HTML items: visible text,
-- charset detected; claim_id NULL) or a current claim's free text
-- (titles, descriptions, tags, notes, place names, methods). `original`
-- is what snippets are cut from; `search_text.body` (rowid = id) holds the
-- same words normalised (src/search/normal.rs).
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    blake3      TEXT NOT NULL,
    claim_id    INTEGER,
    original    TEXT NOT NULL
) STRICT;
CREATE INDEX search_docs_blake3 ON search_docs (blake3);
CREATE INDEX search_docs_claim ON search_docs (claim_id);
CREATE VIRTUAL TABLE search_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 0');

-- Objects whose current claims disagree (`--flagged`): the discrepancy
-- rules, comma-separated. Rules that depend on the time of asking
-- (capture-in-future) are judged when asked, never stored.
CREATE TABLE search_flags (
    blake3      TEXT PRIMARY KEY,
    rules       TEXT NOT NULL
) STRICT;
