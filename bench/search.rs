//! Search scale benchmark (`cargo bench --bench search`): builds an archive
//! of generated items through the library's own write path in bulk
//! (`commands::bulk`: signed ingest records and claims, custody events,
//! search index; the objects' bytes are not stored) — locations over Syria
//! (half around six cities, half anywhere), capture times over ten years
//! (10% local time with no offset, 10% known to the day), 300 sources, 10%
//! text items of 120 words in Arabic or English (Zipf-like vocabularies;
//! the queried phrases in 3% of them) and descriptions on a quarter of the
//! rest — and at 10k, 100k and 1M items times
//! five queries with `--limit 100`, warm: inside the library (query and row
//! fetch, median of 15) and end to end through the CLI (median of 5).
//! `SEARCH_BENCH_ITEMS=N` sets the largest size; with `SEARCH_BENCH_DIR`
//! holding an archive, `SEARCH_BENCH_PROFILE=K` runs query K alone, 50
//! times, inside the library (for a profiler). Without `--bench` (as
//! `cargo test --all-targets` runs it) it checks itself at 2,000 items.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use custody::claim::{Basis, CaptureTime, ClaimValue, Description, Location, Precision, Source};
use custody::commands::bulk::{Generated, record_without_bytes};
use custody::commands::keys::{KeyAddOptions, key_add};
use custody::commands::search::{Filters, SearchOptions, search, timeline};
use custody::crypto::SecretKey;
use custody::{Archive, DigestSet, InitOptions, SystemClock};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CITIES: &[(f64, f64)] = &[
    (36.2021, 37.1343),
    (33.5138, 36.2765),
    (34.7324, 36.7137),
    (35.9306, 36.6339),
    (35.3359, 40.1408),
    (35.5317, 35.7901),
];
const SYLLABLES: &[&str] = &[
    "al", "ba", "ker", "mon", "ti", "ra", "sen", "do", "vi", "lu", "qa", "shi", "nor", "pe", "gan",
    "zu",
];
const HARF: &[&str] =
    &["ب", "ت", "ح", "د", "ر", "س", "ع", "ف", "ق", "ك", "ل", "م", "ن", "ه", "و", "ي"];
const PHRASES: &[&str] = &[
    "the Military Operations Command announced",
    "إدارة العمليات العسكرية",
    "near the citadel",
    "قرب القلعة",
];

/// A word of a 4,096-word vocabulary per script, drawn Zipf-like (a few
/// words are very common, most are rare).
fn word(r: &mut Rng, arabic: bool) -> String {
    let n = (4096.0 * r.unit().powi(3)) as usize;
    let parts = if arabic { HARF } else { SYLLABLES };
    (0..3).map(|k| parts[(n >> (4 * k)) & 15]).collect()
}

/// A text of `len` words, each phrase slipped in with probability `p`.
fn prose(r: &mut Rng, len: usize, p: f64) -> String {
    let arabic = r.below(2) == 0;
    let mut words: Vec<String> = (0..len).map(|_| word(r, arabic)).collect();
    for ph in PHRASES {
        if r.unit() < p {
            let at = r.below(len as u64) as usize;
            words.insert(at, (*ph).to_owned());
        }
    }
    words.join(" ")
}

fn item(r: &mut Rng, i: u64) -> Generated {
    let mut claims = Vec::new();
    let base = 1_420_070_400i64; // 2015-01-01
    let t = base + (r.unit() * 10.0 * 365.25 * 86_400.0) as i64;
    let at = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
    let off = time::UtcOffset::from_hms(3, 0, 0).unwrap();
    let kind = r.below(10);
    let capture = match kind {
        0 => CaptureTime {
            at: at.to_offset(off).date().to_string(),
            precision: Precision::Day,
            offset_unknown: false,
        },
        1 => CaptureTime {
            at: at.to_offset(off).format(&time::format_description::well_known::Rfc3339).unwrap()
                [..19]
                .to_owned(),
            precision: Precision::Second,
            offset_unknown: true,
        },
        _ => CaptureTime {
            at: at.to_offset(off).format(&time::format_description::well_known::Rfc3339).unwrap(),
            precision: Precision::Second,
            offset_unknown: false,
        },
    };
    claims.push((
        ClaimValue::CaptureTime(capture),
        if r.below(2) == 0 { Basis::Embedded } else { Basis::Claimed },
    ));
    if r.below(10) < 7 {
        let (lat, lon) = if r.below(2) == 0 {
            let c = CITIES[r.below(CITIES.len() as u64) as usize];
            (c.0 + (r.unit() - 0.5) * 0.1, c.1 + (r.unit() - 0.5) * 0.1)
        } else {
            (32.3 + r.unit() * 5.0, 35.7 + r.unit() * 6.7)
        };
        let loc = Location {
            lat: Some(lat),
            lon: Some(lon),
            accuracy_m: Some(5.0 + r.unit() * 500.0),
            altitude_m: None,
            place: None,
            method: None,
        };
        claims.push((ClaimValue::Location(loc), Basis::Embedded));
    }
    let src = r.below(300);
    claims.push((
        ClaimValue::Source(Source {
            url: Some(format!("https://t.me/channel{src}/{i}")),
            platform: Some(["telegram", "x", "youtube"][(src % 3) as usize].into()),
            account: Some(format!("channel{src}")),
            ..Source::default()
        }),
        Basis::Claimed,
    ));
    let text_item = r.below(10) == 0;
    let text = text_item.then(|| prose(r, 120, 0.03));
    if !text_item && r.below(4) == 0 {
        let d = Description { text: Some(prose(r, 12, 0.01)), ..Description::default() };
        claims.push((ClaimValue::Description(d), Basis::Claimed));
    }
    let h = blake3::hash(&i.to_le_bytes());
    Generated {
        digest: DigestSet {
            blake3: h.to_hex().to_string(),
            sha256: format!("{:064x}", u128::from(i as u32) * 0x9e37_79b9_7f4a_7c15),
        },
        name: format!(
            "item-{i}.{}",
            if text_item {
                "txt"
            } else if r.below(3) == 0 {
                "mp4"
            } else {
                "jpg"
            }
        ),
        size: 1000 + r.below(5_000_000),
        media_type: if text_item {
            "text/plain".into()
        } else if i.is_multiple_of(3) {
            "video/mp4".into()
        } else {
            "image/jpeg".into()
        },
        text,
        claims,
    }
}

fn db_bytes(root: &Path) -> u64 {
    ["custody.db", "custody.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(root.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

struct Q {
    name: &'static str,
    args: &'static [&'static str],
    filters: Filters,
    timeline: bool,
}

fn queries() -> Vec<Q> {
    let f = Filters::default;
    vec![
        Q {
            name: "bbox + time (Aleppo, one month)",
            args: &[
                "search",
                "--bbox",
                "37.05,36.1,37.25,36.3",
                "--from",
                "2021-06-01",
                "--to",
                "2021-06-30",
            ],
            filters: Filters {
                bbox: Some("37.05,36.1,37.25,36.3".into()),
                from: Some("2021-06-01".into()),
                to: Some("2021-06-30".into()),
                ..f()
            },
            timeline: false,
        },
        Q {
            name: "radius (2 km of the citadel)",
            args: &["search", "--near", "36.1993,37.1627", "--radius", "2"],
            filters: Filters { near: Some("36.1993,37.1627".into()), radius_km: Some(2.0), ..f() },
            timeline: false,
        },
        Q {
            name: "text (\"Military Operations Command\")",
            args: &["search", "--text", "\"Military Operations Command\""],
            filters: Filters { text: Some("\"Military Operations Command\"".into()), ..f() },
            timeline: false,
        },
        Q {
            name: "combined (text + 10 km + a year + type)",
            args: &[
                "search",
                "--text",
                "citadel",
                "--near",
                "36.2,37.15",
                "--radius",
                "10",
                "--from",
                "2020-01-01",
                "--to",
                "2020-12-31",
                "--type",
                "text",
            ],
            filters: Filters {
                text: Some("citadel".into()),
                near: Some("36.2,37.15".into()),
                radius_km: Some(10.0),
                from: Some("2020-01-01".into()),
                to: Some("2020-12-31".into()),
                media_class: Some(custody::commands::search::MediaClass::Text),
                ..f()
            },
            timeline: false,
        },
        Q {
            name: "timeline of one day",
            args: &["timeline", "--from", "2022-03-15", "--to", "2022-03-15", "--tz", "+03:00"],
            filters: Filters {
                from: Some("2022-03-15".into()),
                to: Some("2022-03-15".into()),
                tz: Some("+03:00".into()),
                ..f()
            },
            timeline: true,
        },
    ]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn measure(a: &Archive, root: &Path, n: u64, bin: Option<&Path>) {
    println!(
        "\n{n} items: database {:.1} MB, {:.0} bytes/item",
        db_bytes(root) as f64 / 1e6,
        db_bytes(root) as f64 / n as f64
    );
    println!("| query | matches | library ms | CLI ms |");
    println!("|---|---|---|---|");
    for q in queries() {
        let opts =
            SearchOptions { filters: q.filters.clone(), sort: None, limit: Some(100), offset: 0 };
        let run = || {
            if q.timeline {
                timeline(a, &opts).unwrap().entries.len() + 100_000
            } else {
                search(a, &opts).unwrap().total
            }
        };
        let matches = run();
        let lib = median(
            (0..15)
                .map(|_| {
                    let t = Instant::now();
                    run();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        let cli = bin.map(|b| {
            median(
                (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        let mut c = Command::new(b);
                        c.arg("--archive").arg(root).args(q.args);
                        c.args(["--limit", "100"]);
                        let o = c.output().unwrap();
                        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                        t.elapsed().as_secs_f64() * 1e3
                    })
                    .collect(),
            )
        });
        let shown =
            if q.timeline { format!("{} (day)", matches - 100_000) } else { matches.to_string() };
        println!(
            "| {} | {} | {:.1} | {} |",
            q.name,
            shown,
            lib,
            cli.map_or("-".into(), |c| format!("{c:.1}"))
        );
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let max: u64 = std::env::var("SEARCH_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 1_000_000 } else { 2_000 });
    let dir = std::env::var("SEARCH_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tempfile::tempdir().unwrap().keep());
    let root = dir.join("archive");
    // The release binary next to this benchmark, when it was built.
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent().map(|d| d.join("custody")))
        .filter(|p| p.is_file());
    if root.join("custody.db").is_file() {
        // An archive a previous run built: measure it as it is.
        let a = Archive::open(&root, Box::new(SystemClock)).unwrap();
        if let Some(k) =
            std::env::var("SEARCH_BENCH_PROFILE").ok().and_then(|v| v.parse::<usize>().ok())
        {
            // One query, inside the library, over and over (for a profiler).
            let q = queries().swap_remove(k);
            let opts =
                SearchOptions { filters: q.filters, sort: None, limit: Some(100), offset: 0 };
            let t = Instant::now();
            for _ in 0..50 {
                search(&a, &opts).unwrap();
            }
            println!("{}: {:.1} ms a query", q.name, t.elapsed().as_secs_f64() * 1e3 / 50.0);
            return;
        }
        let all =
            SearchOptions { filters: Filters::default(), sort: None, limit: Some(0), offset: 0 };
        let n = search(&a, &all).unwrap().total as u64;
        measure(&a, &root, n, bin.as_deref());
        return;
    }
    let mut a = Archive::init(
        &InitOptions { root: root.clone(), name: "search bench".into() },
        Box::new(SystemClock),
    )
    .unwrap();
    let key = SecretKey::from_seed(&[7; 32]);
    let pubfile = dir.join("bench.pub");
    std::fs::write(
        &pubfile,
        custody::crypto::keyfile::public_file_json("bench", &key.public()).to_string(),
    )
    .unwrap();
    key_add(&mut a, &KeyAddOptions { file: pubfile, owner: None }).unwrap();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut done = 0u64;
    let started = Instant::now();
    for stop in [10_000u64, 100_000, 1_000_000]
        .into_iter()
        .filter(|s| *s <= max)
        .chain((max < 10_000).then_some(max))
    {
        while done < stop {
            let batch: Vec<Generated> =
                (done..(done + 5_000).min(stop)).map(|i| item(&mut r, i)).collect();
            done += batch.len() as u64;
            record_without_bytes(&mut a, &key, batch).unwrap();
        }
        println!("\nbuilt {done} items in {:.0} s", started.elapsed().as_secs_f64());
        measure(&a, &root, done, bin.as_deref());
    }
    if !bench {
        // The self-check: the queries found something at all.
        let opts = SearchOptions {
            filters: queries().remove(1).filters,
            sort: None,
            limit: Some(100),
            offset: 0,
        };
        assert!(search(&a, &opts).unwrap().total > 0);
    }
}
