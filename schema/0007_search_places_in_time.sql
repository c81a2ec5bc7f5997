-- 0007_search_places_in_time: positions indexed with their object's
-- capture times, and on a grid read in order (`custody search` by place).
-- Never edit this file once released; add 0008_*.sql instead.
-- Applied in one transaction by src/db.rs, which then sets user_version = 7;
-- src/search/index.rs refills every search table (a full reindex) inside
-- the same transaction.
--
-- With search_places (0006) alone, a query with a wide area and a wide
-- time range intersected two large candidate sets, and every candidate of
-- a place cost a lookup in search_claims. Both trees are replaced:
--
-- search_spacetime: the accuracy-circle boxes (id = claim * 2 + part)
-- spanning, on a third axis, their object's capture times (the hull of its
-- current capture-time windows, unix seconds; an undated object sits at
-- 1e30, beyond every time a query can give): a place and a time in one
-- lookup.
--
-- search_cells: every position once, at the level of a hierarchical grid
-- whose cells are as large as its accuracy box, in the cell of its centre
-- (src/search/grid.rs numbers the cells so that a block of cells is a range),
-- with what the exact test and the results need: a place alone is a few
-- ordered range reads and no join.
--
-- Candidates only, as before: every row found is checked exactly.
DROP TABLE search_places;
CREATE VIRTUAL TABLE search_spacetime USING rtree (id, min_lat, max_lat, min_lon, max_lon, t_lo, t_hi);
CREATE TABLE search_cells (
    cell        INTEGER NOT NULL,           -- level * 2^50 + Morton code of the centre's cell
    claim_id    INTEGER NOT NULL,
    blake3      TEXT NOT NULL,
    basis       TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    accuracy_m  REAL NOT NULL,              -- 0 when none
    PRIMARY KEY (cell, claim_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX search_cells_claim ON search_cells (claim_id);

-- Objects with more than one item, and how many: a search's total is the
-- number of matching objects plus these, with no lookup per object (every
-- object has an item; the audit reports one that has none). Kept by a
-- trigger on items, which are never edited or deleted.
CREATE TABLE search_multi (
    blake3      TEXT PRIMARY KEY,
    items       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TRIGGER search_multi_items AFTER INSERT ON items
WHEN (SELECT count(*) FROM items WHERE blake3 = NEW.blake3) > 1
BEGIN
    INSERT INTO search_multi (blake3, items)
        VALUES (NEW.blake3, (SELECT count(*) FROM items WHERE blake3 = NEW.blake3))
        ON CONFLICT (blake3) DO UPDATE SET items = excluded.items;
END;
INSERT INTO search_multi (blake3, items)
    SELECT blake3, count(*) FROM items GROUP BY blake3 HAVING count(*) > 1;
