//! Million-item benchmark (`cargo bench --bench million`): builds an
//! archive of generated small items through the library's bulk path
//! (`commands::bulk`: each item's bytes stored as an object, its signed
//! ingest record and claims, custody events and search index) — locations
//! over Syria (half around six cities, half anywhere), capture times over
//! ten years (10% local time with no offset, 10% known to the day), 300
//! sources, 10% text items of 120 words in Arabic or English (Zipf-like
//! vocabularies; the queried phrases in 3% of them; their bytes are their
//! text), descriptions on a quarter of the rest, 0.5–3 KB of bytes each —
//! and at 10k, 100k and 1M items measures: the build rate; database and
//! store bytes per item; five search queries with `--limit 100`, warm,
//! inside the library (median of 15) and through the CLI (median of 5);
//! `show` and `prove` latency (library median of 50, CLI median of 10); a
//! full `custody audit` through the CLI (time, signed records verified,
//! peak RSS; it must come out clean); `custody --json log` of the whole
//! archive into /dev/null (time, peak RSS). Peak RSS needs `/usr/bin/time`
//! (`-` without it). One table at the end.
//!
//! `MILLION_BENCH_ITEMS=N` sets the largest size; with `MILLION_BENCH_DIR`
//! holding an archive, it is measured as it is;
//! `MILLION_BENCH_PROFILE=K` then runs query K alone, 50 times, inside
//! the library (for a profiler). Without `--bench` (as `cargo test
//! --all-targets` runs it) it checks itself at 2,000 items.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use custody::claim::{Basis, CaptureTime, ClaimValue, Description, Location, Precision, Source};
use custody::commands::bulk::{Generated, record};
use custody::commands::inspect::show;
use custody::commands::keys::{KeyAddOptions, key_add};
use custody::commands::proof::{ProveTarget, prove};
use custody::commands::search::{Filters, SearchOptions, search, timeline};
use custody::crypto::SecretKey;
use custody::{Archive, InitOptions, SystemClock};

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
    let bytes = match &text {
        Some(t) => t.clone().into_bytes(),
        None => {
            let len = 500 + r.below(2_500) as usize;
            let mut b: Vec<u8> =
                (0..len.div_ceil(8)).flat_map(|_| r.next().to_le_bytes()).collect();
            b.truncate(len);
            b
        }
    };
    Generated {
        bytes,
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

/// Bytes of every file under `dir`: (their lengths, what they take on disk).
fn tree_bytes(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0), |(l, d), m| (l + m.len(), d + m.blocks() * 512))
}

/// Run the CLI once (it must succeed); what it printed.
fn run_cli(bin: &Path, root: &Path, args: &[&str]) -> String {
    let o = Command::new(bin).arg("--archive").arg(root).args(args).output().unwrap();
    assert!(o.status.success(), "custody {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run the CLI once: wall seconds, peak RSS in MiB (with `/usr/bin/time`)
/// and what it printed; it must succeed.
fn peak(bin: &Path, root: &Path, args: &[&str], keep_stdout: bool) -> (f64, Option<f64>, String) {
    let timer = Path::new("/usr/bin/time");
    let mut c = if timer.is_file() {
        let mut c = Command::new(timer);
        c.args(["-f", "rss-kb %M"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.arg("--archive").arg(root).args(args);
    if !keep_stdout {
        c.stdout(std::process::Stdio::null());
    }
    let t = Instant::now();
    let o = c.output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "custody {args:?} failed: {err}");
    let rss = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("rss-kb "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    (secs, rss, String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Median milliseconds of `runs` calls of `f`.
fn ms(runs: usize, mut f: impl FnMut()) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// What one size measured, for the table at the end.
#[derive(Default)]
struct Stop {
    items: u64,
    build_rate: Option<f64>,
    db_per_item: f64,
    store_per_item: f64,
    store_disk_per_item: f64,
    show: (f64, Option<f64>),
    prove: (f64, Option<f64>),
    audit_s: Option<f64>,
    audit_records: u64,
    audit_rss: Option<f64>,
    log_s: Option<f64>,
    log_rss: Option<f64>,
}

/// `show` and `prove` of items spread over the archive: library and CLI
/// medians in ms.
fn lookups(a: &mut Archive, root: &Path, n: u64, bin: Option<&Path>, stop: &mut Stop) {
    let mut r = Rng(n | 1);
    let mut pick = || (1 + r.below(n)).to_string();
    stop.show.0 = ms(50, || {
        show(a, &pick()).unwrap();
    });
    stop.prove.0 = ms(50, || {
        prove(a, ProveTarget::Item(pick()), None).unwrap();
    });
    if let Some(b) = bin {
        stop.show.1 = Some(ms(10, || {
            run_cli(b, root, &["show", &pick()]);
        }));
        stop.prove.1 = Some(ms(10, || {
            run_cli(b, root, &["prove", &pick()]);
        }));
    }
}

/// A full audit and the whole log, through the CLI.
fn whole(root: &Path, bin: &Path, stop: &mut Stop) {
    let (secs, rss, out) = peak(bin, root, &["--json", "audit"], true);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0), "the audit found: {out}");
    assert_eq!(report["objects_checked"].as_u64(), Some(stop.items));
    stop.audit_s = Some(secs);
    stop.audit_rss = rss;
    stop.audit_records = report["records_checked"].as_u64().unwrap_or(0);
    let (secs, rss, _) = peak(bin, root, &["--json", "log"], false);
    stop.log_s = Some(secs);
    stop.log_rss = rss;
}

fn measure(a: &mut Archive, root: &Path, n: u64, bin: Option<&Path>) -> Stop {
    let (store, disk) = tree_bytes(&root.join("objects"));
    let mut stop = Stop {
        items: n,
        db_per_item: db_bytes(root) as f64 / n as f64,
        store_per_item: store as f64 / n as f64,
        store_disk_per_item: disk as f64 / n as f64,
        ..Stop::default()
    };
    println!(
        "\n{n} items: database {:.1} MB, {:.0} bytes/item; store {:.1} MB ({:.0} on disk)",
        db_bytes(root) as f64 / 1e6,
        stop.db_per_item,
        store as f64 / 1e6,
        disk as f64 / 1e6,
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
        let lib = ms(15, || {
            run();
        });
        let cli = bin.map(|b| {
            let mut args = q.args.to_vec();
            args.extend(["--limit", "100"]);
            ms(5, || {
                run_cli(b, root, &args);
            })
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
    lookups(a, root, n, bin, &mut stop);
    if let Some(b) = bin {
        whole(root, b, &mut stop);
    }
    stop
}

/// The table of every size measured.
fn table(stops: &[Stop]) {
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
    let row = |name: &str, cell: &dyn Fn(&Stop) -> String| {
        let cells: Vec<String> = stops.iter().map(cell).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    println!();
    let sizes: Vec<String> = stops.iter().map(|s| format!("{} items", s.items)).collect();
    println!("| measure | {} |", sizes.join(" | "));
    println!("|---|{}", "---|".repeat(stops.len()));
    row("build, items/s (bulk path)", &|s| opt(s.build_rate, 0));
    row("database, bytes/item", &|s| format!("{:.0}", s.db_per_item));
    row("store, bytes/item (on disk)", &|s| {
        format!("{:.0} ({:.0})", s.store_per_item, s.store_disk_per_item)
    });
    row("show, ms (library / CLI)", &|s| format!("{:.2} / {}", s.show.0, opt(s.show.1, 1)));
    row("prove, ms (library / CLI)", &|s| format!("{:.2} / {}", s.prove.0, opt(s.prove.1, 1)));
    row("full audit, s", &|s| opt(s.audit_s, 1));
    row("audit, signed records verified", &|s| s.audit_records.to_string());
    row("audit, items/s", &|s| opt(s.audit_s.map(|t| s.items as f64 / t), 0));
    row("audit, peak RSS MiB", &|s| opt(s.audit_rss, 0));
    row("audit, peak RSS bytes/item", &|s| {
        opt(s.audit_rss.map(|m| m * 1048576.0 / s.items as f64), 0)
    });
    row("whole log (`--json log`), s", &|s| opt(s.log_s, 1));
    row("whole log, peak RSS MiB", &|s| opt(s.log_rss, 0));
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let max: u64 = std::env::var("MILLION_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 1_000_000 } else { 2_000 });
    let dir = std::env::var("MILLION_BENCH_DIR")
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
        let mut a = Archive::open(&root, Box::new(SystemClock)).unwrap();
        if let Some(k) =
            std::env::var("MILLION_BENCH_PROFILE").ok().and_then(|v| v.parse::<usize>().ok())
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
        table(&[measure(&mut a, &root, n, bin.as_deref())]);
        return;
    }
    let mut a = Archive::init(
        &InitOptions { root: root.clone(), name: "million bench".into() },
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
    let mut stops = Vec::new();
    for stop in [10_000u64, 100_000, 1_000_000]
        .into_iter()
        .filter(|s| *s <= max)
        .chain((max < 10_000).then_some(max))
    {
        let (from, started) = (done, Instant::now());
        while done < stop {
            let batch: Vec<Generated> =
                (done..(done + 5_000).min(stop)).map(|i| item(&mut r, i)).collect();
            done += batch.len() as u64;
            record(&mut a, &key, batch).unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        println!("\nbuilt {done} items ({} more in {secs:.0} s)", done - from);
        let mut m = measure(&mut a, &root, done, bin.as_deref());
        m.build_rate = Some((done - from) as f64 / secs);
        stops.push(m);
    }
    table(&stops);
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
