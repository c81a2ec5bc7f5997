//! Embedded metadata against independent readers: `tests/media/make_media.sh`
//! generates photos and videos with known metadata (ffmpeg + exiftool) and
//! checks each with exiftool / ffprobe; `check_media.py` re-reads them with
//! both tools; then every file is ingested and the embedded claims custody
//! signed are compared with those values. Malformed media must be archived
//! with the problem reported. Missing ffmpeg / exiftool fails the test.

use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::util::TestArchive;

fn run(cmd: &str, args: &[&std::ffi::OsStr]) {
    let out = std::process::Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} must be runnable ({e}); tests/run.sh lists what to install")
    });
    assert!(
        out.status.success(),
        "{cmd} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generate the media set and have exiftool / ffprobe confirm it.
fn media(dir: &Path) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media");
    run("bash", &[root.join("make_media.sh").as_os_str(), dir.as_os_str()]);
    run("python3", &[root.join("check_media.py").as_os_str(), dir.as_os_str()]);
    serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap()
}

/// `exiftool -n -j -G1 -a -r DIR`: every file's tags, by group.
fn exiftool_json(dir: &Path) -> Vec<Value> {
    let out = std::process::Command::new("exiftool")
        .args(["-n", "-j", "-G1", "-a", "-r"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `show --json ITEM`.
fn show(ta: &TestArchive, item: &Value) -> Value {
    let out = ta.cmd().args(["--json", "show"]).arg(item.to_string()).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A test picture or clip (ffmpeg's testsrc, then `ffmpeg_args`) at
/// `file`, with `tags` written into it by exiftool.
fn made(file: &Path, ffmpeg_args: &[&str], tags: &[String]) {
    let mut ff: Vec<&std::ffi::OsStr> =
        ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc"]
            .iter()
            .chain(ffmpeg_args)
            .map(std::ffi::OsStr::new)
            .collect();
    ff.push(file.as_os_str());
    run("ffmpeg", &ff);
    let mut et: Vec<&std::ffi::OsStr> = ["-q", "-q", "-overwrite_original"]
        .iter()
        .map(std::ffi::OsStr::new)
        .chain(tags.iter().map(std::ffi::OsStr::new))
        .collect();
    et.push(file.as_os_str());
    run("exiftool", &et);
}

/// The current claims of one kind from `show --json`.
fn claims_of<'a>(show: &'a Value, kind: &str) -> Vec<&'a Value> {
    show["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind && c["current"] == true)
        .collect()
}

/// The discrepancy rules `show --json` reports.
fn rules_of(show: &Value) -> Vec<&str> {
    show["discrepancies"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect()
}

fn instant(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn close(a: &Value, b: f64, tol: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() <= tol)
}

#[test]
fn embedded_metadata_matches_exiftool_and_ffprobe() {
    let ta = TestArchive::new();
    let dir = ta.input("media");
    let expected = media(&dir);
    let files = expected["files"].as_object().unwrap();
    assert!(files.len() >= 14, "the media set shrank: {}", files.len());
    std::fs::remove_file(dir.join("expected.json")).unwrap();
    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    let mut checked = 0;
    for f in report["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        let exp = &files[name];
        assert!(f["metadata_problems"].is_null(), "{name}: {}", f["metadata_problems"]);
        let out = ta.cmd().args(["--json", "show"]).arg(f["item"].to_string()).output().unwrap();
        assert!(out.status.success(), "{name}");
        let show: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(show["items"][0]["media_type"], exp["media_type"], "{name}");
        for c in show["claims"].as_array().unwrap() {
            assert_eq!(c["basis"], "embedded", "{name}");
            assert_eq!(c["verified"], true, "{name}: {c}");
        }

        // Capture time: same instant, same offset; "offset unknown" exactly
        // when the file records none.
        let times = claims_of(&show, "capture-time");
        match exp.get("capture_time").filter(|v| !v.is_null()) {
            None => assert!(times.is_empty(), "{name}: {times:?}"),
            Some(t) => {
                assert_eq!(times.len(), 1, "{name}");
                let v = &times[0]["value"]["value"];
                let at = v["at"].as_str().unwrap();
                match (t["utc"].as_str(), t["local"].as_str()) {
                    (Some(utc), _) => {
                        assert_eq!(instant(at), instant(utc), "{name}");
                        assert!(v["offset_unknown"].is_null(), "{name}");
                        if let Some(off) = t["offset"].as_str() {
                            assert!(at.ends_with(off), "{name}: {at} should keep offset {off}");
                        }
                    }
                    (None, Some(local)) => {
                        assert_eq!(v["offset_unknown"], true, "{name}");
                        assert_eq!(at, local, "{name}");
                    }
                    (None, None) => panic!("{name}: expected.json has an empty capture_time"),
                }
            }
        }

        // Location: within 1e-4 degrees (loci is 16.16 fixed point).
        let locs = claims_of(&show, "location");
        match exp.get("location").filter(|v| !v.is_null()) {
            None => assert!(locs.is_empty(), "{name}: {locs:?}"),
            Some(l) => {
                assert_eq!(locs.len(), 1, "{name}");
                let v = &locs[0]["value"]["value"];
                assert!(close(&v["lat"], l["lat"].as_f64().unwrap(), 1e-4), "{name}: {v}");
                assert!(close(&v["lon"], l["lon"].as_f64().unwrap(), 1e-4), "{name}: {v}");
                // ffmpeg writes loci altitude 0 when none was given: we keep
                // that as unknown (documented), so 0 expects absence.
                match l["altitude"].as_f64().filter(|a| *a != 0.0) {
                    Some(a) => assert!(close(&v["altitude_m"], a, 0.01), "{name}: {v}"),
                    None => assert!(v["altitude_m"].is_null(), "{name}: {v}"),
                }
                match l["accuracy_m"].as_f64() {
                    Some(a) => assert!(close(&v["accuracy_m"], a, 0.01), "{name}: {v}"),
                    None => assert!(v["accuracy_m"].is_null(), "{name}: {v}"),
                }
            }
        }

        // Device and page metadata, kept raw / as a description.
        let raw: Vec<String> = show["claims"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["raw"].as_object().unwrap().values())
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        for field in ["make", "model"] {
            if let Some(m) = exp.get(field).and_then(Value::as_str) {
                assert!(raw.iter().any(|r| r == m), "{name}: {field} {m} not in {raw:?}");
            }
        }
        if let Some(title) = exp.get("title").and_then(Value::as_str) {
            let d = claims_of(&show, "description");
            assert_eq!(d.len(), 1, "{name}");
            let v = &d[0]["value"]["value"];
            assert_eq!(v["title"], title, "{name}");
            assert_eq!(v["language"], exp["language"], "{name}");
            assert!(
                v["charset"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(exp["charset"].as_str().unwrap()),
                "{name}: {v}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, files.len());
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "{audit}");
    assert!(audit["claims_checked"].as_u64().unwrap() >= 20, "{audit}");
}

/// Malformed media: each is archived byte-exact and its problem reported;
/// the batch goes on.
#[test]
fn malformed_media_is_archived_and_reported() {
    let ta = TestArchive::new();
    let dir = ta.input("bad");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/sample");
    let jpeg = std::fs::read(sample.join("photos/IMG_20241129_163012.jpg")).unwrap();
    let mp4 = std::fs::read(sample.join("video/VID_20241130_114107.mp4")).unwrap();
    // A JPEG cut inside its EXIF segment.
    std::fs::write(dir.join("truncated.jpg"), &jpeg[..300]).unwrap();
    // EXIF whose IFD0 offset points far outside the file.
    let mut outside = jpeg.clone();
    let tiff = outside.windows(6).position(|w| w == b"Exif\0\0").unwrap() + 6;
    let le = &outside[tiff..tiff + 2] == b"II";
    let off: [u8; 4] = if le { 0x7fff_fff0u32.to_le_bytes() } else { 0x7fff_fff0u32.to_be_bytes() };
    outside[tiff + 4..tiff + 8].copy_from_slice(&off);
    std::fs::write(dir.join("exif_outside.jpg"), &outside).unwrap();
    // An MP4 whose moov claims more bytes than the file has.
    let mut huge = mp4.clone();
    let moov = huge.windows(4).position(|w| w == b"moov").unwrap() - 4;
    huge[moov..moov + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    std::fs::write(dir.join("impossible_box.mp4"), &huge).unwrap();
    // An MP4 whose udta box inside moov is larger than moov.
    let mut inner = mp4.clone();
    let udta = inner.windows(4).position(|w| w == b"udta").expect("sample mp4 has udta") - 4;
    inner[udta..udta + 4].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    std::fs::write(dir.join("inner_box.mp4"), &inner).unwrap();
    std::fs::write(dir.join("empty.jpg"), b"").unwrap();
    std::fs::write(dir.join("good.jpg"), &jpeg).unwrap();

    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    let by_name = |n: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(n))
            .unwrap()
            .clone()
    };
    for n in [
        "truncated.jpg",
        "exif_outside.jpg",
        "impossible_box.mp4",
        "inner_box.mp4",
        "empty.jpg",
        "good.jpg",
    ] {
        let f = by_name(n);
        assert_eq!(f["status"], "added", "{n}: {f}");
        // Stored byte-exact.
        let out = ta.cmd().arg("cat").arg(f["blake3"].as_str().unwrap()).output().unwrap();
        assert_eq!(out.stdout, std::fs::read(dir.join(n)).unwrap(), "{n}");
    }
    for n in ["truncated.jpg", "exif_outside.jpg", "impossible_box.mp4", "inner_box.mp4"] {
        let p = &by_name(n)["metadata_problems"];
        assert!(p.as_array().is_some_and(|a| !a.is_empty()), "{n}: expected a problem, got {p}");
    }
    for f in report["files"].as_array().unwrap() {
        let p = f["metadata_problems"].to_string();
        assert!(!p.contains("reader failed"), "a reader panicked: {p}");
    }
    assert!(by_name("empty.jpg")["metadata_problems"].is_null());
    assert!(by_name("good.jpg")["metadata_problems"].is_null());
    assert_eq!(by_name("good.jpg")["claims"].as_array().unwrap().len(), 2);
    assert_eq!(report["summary"]["metadata_problems"], 4, "{report}");
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "{audit}");
}

/// The exiftool value of `key` as a string (numbers as exiftool printed
/// them).
fn et_str(et: &Value, key: &str) -> Option<String> {
    match et.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        v => Some(v.to_string()),
    }
}

/// An exiftool date-time (`2024:11:29 14:03:07+03:00`) as RFC 3339.
fn et_time(v: &str) -> String {
    let mut s = v.replacen(':', "-", 2).replacen(' ', "T", 1);
    if s.ends_with('Z') {
        s.pop();
        s.push_str("+00:00");
    }
    s
}

/// A time with its fraction of a second cut out.
fn drop_fraction(at: &str) -> String {
    match at.split_once('.') {
        Some((whole, rest)) => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{whole}{zone}")
        }
        None => at.to_owned(),
    }
}

/// The block a claim was read from: the prefix its raw values carry.
fn block_of(c: &Value) -> &'static str {
    let raw = c["raw"].as_object().unwrap();
    ["EXIF", "XMP", "IPTC", "mvhd"]
        .into_iter()
        .find(|b| raw.keys().any(|k| k.starts_with(&format!("{b} "))))
        .unwrap_or_else(|| panic!("a claim names no block: {c}"))
}

fn rational(v: &str) -> f64 {
    let (n, d) = v.split_once('/').unwrap();
    n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
}

/// Capture time and place of one claim against exiftool's reading of
/// the same block: exactly the same, wherever exiftool reports a value.
fn agrees_with_exiftool(name: &str, c: &Value, et: &Value) {
    let v = &c["value"]["value"];
    let raw = c["raw"].as_object().unwrap();
    let block = block_of(c);
    match (c["kind"].as_str().unwrap(), block) {
        ("capture-time", "EXIF") => {
            let local = et_time(&et_str(et, "ExifIFD:DateTimeOriginal").unwrap());
            // SubSecTimeOriginal is part of the time custody records, not
            // of exiftool's DateTimeOriginal.
            let at = &drop_fraction(v["at"].as_str().unwrap());
            assert!(at.starts_with(&local), "{name}: {at} vs exiftool {local}");
            match et_str(et, "ExifIFD:OffsetTimeOriginal") {
                Some(off) => assert_eq!(*at, format!("{local}{off}"), "{name}"),
                // No offset in the file: derived from GPS time (and said
                // so), or unknown.
                None if raw.contains_key("custody offset") => {
                    let gps = instant(&et_time(&et_str(et, "Composite:GPSDateTime").unwrap()));
                    assert!((instant(at) - gps).abs() < time::Duration::minutes(8), "{name}: {at}");
                }
                None => assert_eq!(v["offset_unknown"], true, "{name}: {v}"),
            }
        }
        ("capture-time", "XMP") => {
            // The property custody took it from ("XMP photoshop:DateCreated"
            // is exiftool's "XMP-photoshop:DateCreated").
            let times =
                ["XMP exif:DateTimeOriginal", "XMP photoshop:DateCreated", "XMP xmp:CreateDate"];
            let key = times.iter().find(|k| raw.contains_key(**k)).unwrap().replacen(' ', "-", 1);
            let et_at = et_time(&et_str(et, &key).unwrap());
            assert_eq!(v["at"], et_at, "{name}: {key}");
        }
        ("capture-time", "IPTC") => match et_str(et, "Composite:DateTimeCreated") {
            Some(t) => assert_eq!(v["at"], et_time(&t), "{name}"),
            // Date Created with no Time Created: known to the day.
            None => {
                let day = et_str(et, "IPTC:DateCreated").unwrap().replace(':', "-");
                assert!(v["at"].as_str().unwrap().starts_with(&day), "{name}: {v}");
                assert_eq!(v["precision"], "day", "{name}: {v}");
            }
        },
        ("capture-time", "mvhd") => {
            // The movie header's creation time, UTC (exiftool prints it
            // with no zone).
            let t = et_time(&et_str(et, "QuickTime:CreateDate").unwrap());
            assert_eq!(
                instant(v["at"].as_str().unwrap()),
                instant(&format!("{t}+00:00")),
                "{name}"
            );
        }
        ("location", "EXIF") => {
            let signed = |k: &str, r: &str, neg: &str| {
                let x: f64 = et_str(et, k).unwrap().parse().unwrap();
                if et_str(et, r).as_deref() == Some(neg) { -x } else { x }
            };
            let lat = signed("GPS:GPSLatitude", "GPS:GPSLatitudeRef", "S");
            let lon = signed("GPS:GPSLongitude", "GPS:GPSLongitudeRef", "W");
            assert!(close(&v["lat"], lat, 1e-6) && close(&v["lon"], lon, 1e-6), "{name}: {v}");
            match et_str(et, "Composite:GPSAltitude") {
                Some(a) => {
                    assert!(close(&v["altitude_m"], a.parse().unwrap(), 1e-6), "{name}: {v}")
                }
                None => assert!(v["altitude_m"].is_null(), "{name}: {v}"),
            }
            if let Some(d) = et_str(et, "GPS:GPSImgDirection") {
                let ours = raw["EXIF GPSImgDirection"].as_str().unwrap();
                // exiftool prints ten significant digits.
                assert!((rational(ours) - d.parse::<f64>().unwrap()).abs() < 1e-6, "{name}");
                assert_eq!(
                    raw["EXIF GPSImgDirectionRef"],
                    et_str(et, "GPS:GPSImgDirectionRef").unwrap()
                );
            }
        }
        ("location", "XMP") => {
            let num = |k: &str| et_str(et, k).map(|x| x.parse::<f64>().unwrap());
            match (num("XMP-exif:GPSLatitude"), num("XMP-exif:GPSLongitude")) {
                (Some(lat), Some(lon)) => {
                    assert!(close(&v["lat"], lat, 1e-6), "{name}: {v}");
                    assert!(close(&v["lon"], lon, 1e-6), "{name}: {v}");
                }
                // A place by name only.
                _ => assert!(v["lat"].is_null() && v["lon"].is_null(), "{name}: {v}"),
            }
            if let Some(a) = et_str(et, "XMP-exif:GPSAltitude") {
                assert!(close(&v["altitude_m"], a.parse().unwrap(), 1e-6), "{name}: {v}");
            }
            let place: Vec<String> =
                ["XMP-photoshop:City", "XMP-photoshop:State", "XMP-photoshop:Country"]
                    .iter()
                    .filter_map(|k| et_str(et, k))
                    .collect();
            if !place.is_empty() {
                assert_eq!(v["place"], place.join(", "), "{name}");
            }
        }
        ("location", "IPTC") => {
            let place: Vec<String> = [
                "IPTC:Sub-location",
                "IPTC:City",
                "IPTC:Province-State",
                "IPTC:Country-PrimaryLocationName",
            ]
            .iter()
            .filter_map(|k| et_str(et, k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
            .collect();
            assert_eq!(v["place"], place.join(", "), "{name}");
        }
        ("description", "XMP") => {
            assert_eq!(
                v["title"].as_str().map(str::to_owned),
                et_str(et, "XMP-dc:Title"),
                "{name}"
            );
            assert_eq!(
                v["text"].as_str().map(str::to_owned),
                et_str(et, "XMP-dc:Description"),
                "{name}"
            );
            assert_eq!(
                v["creator"].as_str().map(str::to_owned),
                et_str(et, "XMP-dc:Creator"),
                "{name}"
            );
        }
        ("description", "IPTC") => {
            assert_eq!(
                v["title"].as_str().map(str::to_owned),
                et_str(et, "IPTC:ObjectName"),
                "{name}"
            );
            assert_eq!(
                v["text"].as_str().map(str::to_owned),
                et_str(et, "IPTC:Caption-Abstract"),
                "{name}"
            );
            assert_eq!(
                v["creator"].as_str().map(str::to_owned),
                et_str(et, "IPTC:By-line"),
                "{name}"
            );
            // Credit and Source (the original owner) together.
            let credit: Vec<String> =
                ["IPTC:Credit", "IPTC:Source"].iter().filter_map(|k| et_str(et, k)).collect();
            assert_eq!(
                v["credit"].as_str().map(str::to_owned),
                Some(credit.join(", ")).filter(|c| !c.is_empty()),
                "{name}"
            );
            let tags: Vec<String> = v["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                Some(tags.join("; ")).filter(|t| !t.is_empty()),
                et_str(et, "IPTC:Keywords"),
                "{name}"
            );
        }
        (kind, block) => panic!("{name}: unexpected {kind} claim from {block}"),
    }
    // The device, as the same block says.
    for (ours, theirs) in [
        ("EXIF Make", "IFD0:Make"),
        ("EXIF Model", "IFD0:Model"),
        ("EXIF Software", "IFD0:Software"),
        ("EXIF LensModel", "ExifIFD:LensModel"),
        ("EXIF BodySerialNumber", "ExifIFD:SerialNumber"),
        ("XMP tiff:Make", "XMP-tiff:Make"),
        ("XMP tiff:Model", "XMP-tiff:Model"),
    ] {
        if block == ours.split(' ').next().unwrap() {
            assert_eq!(
                raw.get(ours).and_then(Value::as_str).map(str::to_owned),
                et_str(et, theirs),
                "{name}: {ours}"
            );
        }
    }
}

/// XMP, IPTC, PNG and WebP blocks, damaged and implausible EXIF: every
/// capture time, position, altitude, direction, device field and
/// description custody records is what exiftool reads from the same block,
/// and every block exiftool reads a time or position from gives a claim —
/// except where a value is not evidence: a GPS position of 0, 0 (null
/// island) and a zero denominator are metadata problems, not claims.
#[test]
fn metadata_blocks_match_exiftool() {
    let ta = TestArchive::new();
    let dir = ta.input("blocks");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media/make_blocks.sh");
    run("bash", &[script.as_os_str(), dir.as_os_str()]);
    let et = exiftool_json(&dir);
    assert_eq!(et.len(), 10, "the block set changed");
    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    let mut blocks_seen = std::collections::BTreeSet::new();
    for f in report["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let name = Path::new(path).file_name().unwrap().to_str().unwrap().to_owned();
        let et = et.iter().find(|e| e["SourceFile"].as_str().unwrap().ends_with(&name)).unwrap();
        let show = show(&ta, &f["item"]);
        let claims: Vec<&Value> =
            show["claims"].as_array().unwrap().iter().filter(|c| c["current"] == true).collect();
        for c in &claims {
            agrees_with_exiftool(&name, c, et);
            blocks_seen.insert((block_of(c), c["kind"].as_str().unwrap().to_owned()));
        }
        // Every time and position exiftool reads is a claim of that block.
        let has = |kind: &str, block: &str| {
            claims.iter().any(|c| c["kind"] == kind && block_of(c) == block)
        };
        for (key, kind, block) in [
            ("ExifIFD:DateTimeOriginal", "capture-time", "EXIF"),
            ("XMP-exif:DateTimeOriginal", "capture-time", "XMP"),
            ("IPTC:DateCreated", "capture-time", "IPTC"),
            ("XMP-exif:GPSLatitude", "location", "XMP"),
            ("IPTC:City", "location", "IPTC"),
        ] {
            if et_str(et, key).is_some() {
                assert!(
                    has(kind, block),
                    "{name}: exiftool reads {key}, custody has no {block} {kind}"
                );
            }
        }
        let problems = f["metadata_problems"].to_string();
        let gps = et_str(et, "GPS:GPSLatitude").zip(et_str(et, "GPS:GPSLongitude"));
        match name.as_str() {
            // Not evidence of a place: reported, not claimed.
            "null_island.jpg" => {
                assert_eq!(gps, Some(("0".into(), "0".into())));
                assert!(
                    !has("location", "EXIF") && problems.contains("null island"),
                    "{name}: {problems}"
                );
            }
            "zero_denominator.jpg" => {
                assert!(gps.is_none(), "exiftool reads no latitude either");
                assert!(
                    !has("location", "EXIF") && problems.contains("malformed"),
                    "{name}: {problems}"
                );
            }
            "broken_ifd1.jpg" => {
                assert!(has("capture-time", "EXIF"), "{name}: the good tags survive the bad IFD");
                assert!(problems.contains("EXIF"), "{name}: {problems}");
            }
            _ => {
                if gps.is_some() {
                    assert!(has("location", "EXIF"), "{name}");
                }
                assert!(f["metadata_problems"].is_null(), "{name}: {problems}");
            }
        }
        let rules: Vec<&str> = rules_of(&show);
        if name == "exif_xmp_disagree.jpg" {
            assert_eq!(rules, ["embedded-blocks-disagree"], "{name}");
        } else {
            assert!(rules.is_empty(), "{name}: {rules:?}");
        }
    }
    for want in [
        ("EXIF", "capture-time"),
        ("EXIF", "location"),
        ("XMP", "capture-time"),
        ("XMP", "location"),
        ("XMP", "description"),
        ("IPTC", "capture-time"),
        ("IPTC", "location"),
        ("IPTC", "description"),
    ] {
        assert!(
            blocks_seen.contains(&(want.0, want.1.to_owned())),
            "no {want:?} claim was checked"
        );
    }
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "{audit}");
}

/// What custody names every file of the corpora (generated containers,
/// the metadata media, the blocks) is what `file --mime-type` names it,
/// or a documented other name: one of `media::ALIASES`, or a format that
/// `file` names by what it is built on (`media::FILE_NAMES_OTHERWISE`).
#[test]
fn media_types_match_file() {
    let ta = TestArchive::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media");
    let mut dirs = Vec::new();
    for script in ["make_types.sh", "make_media.sh", "make_blocks.sh"] {
        let dir = ta.input(script.trim_end_matches(".sh"));
        run("bash", &[root.join(script).as_os_str(), dir.as_os_str()]);
        dirs.push(dir);
    }
    dirs.push(samples());
    let (code, report) = ta.ingest(&dirs.iter().map(|d| d.as_path()).collect::<Vec<_>>());
    assert_eq!(code, 0, "{report}");
    let db = ta.db();
    let mut st = db.prepare("SELECT original_path, media_type FROM items").unwrap();
    let items: Vec<(Vec<u8>, String)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(items.len() >= 90, "{} items", items.len());
    let mut kinds = std::collections::BTreeSet::new();
    let mut undocumented = Vec::new();
    for (path, ours) in &items {
        let path = std::str::from_utf8(path).unwrap();
        let out = std::process::Command::new("file").args(["--mime-type", "-b", path]).output();
        let theirs = String::from_utf8(out.expect("file must be installed").stdout).unwrap();
        let theirs = theirs.trim();
        kinds.insert(ours.clone());
        let documented = ours.eq_ignore_ascii_case(theirs)
            || custody::media::canonical(theirs) == ours
            || custody::media::FILE_NAMES_OTHERWISE
                .iter()
                .any(|(o, t, _)| o == ours && *t == theirs);
        if !documented {
            undocumented.push(format!("{path}: custody says {ours}, file says {theirs}"));
        }
    }
    assert!(undocumented.is_empty(), "{undocumented:#?}");
    for want in [
        "video/x-matroska",
        "video/webm",
        "video/mp2t",
        "video/3gpp",
        "video/3gpp2",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/amr",
        "image/bmp",
        "image/tiff",
        "image/x-adobe-dng",
        "application/pdf",
        "application/zip",
        "application/wacz",
        "application/warc",
        "image/jpeg",
        "image/png",
        "image/webp",
    ] {
        assert!(kinds.contains(want), "no {want} in the corpus: {kinds:?}");
    }
    // What `file` calls an M4A finds it.
    let out = ta.cmd().args(["--json", "search", "--media-type", "audio/x-m4a"]).output().unwrap();
    let found = String::from_utf8(out.stdout).unwrap();
    assert_eq!(found.lines().count(), 1, "{found}");
    assert!(found.contains("voice.m4a"), "{found}");
}

/// A file's own clock is recorded as it says and flagged where it cannot
/// be right: after the ingest that read it (which is also the future), or
/// before 1990 (a clock never set). The values stay claims.
#[test]
fn implausible_embedded_times_are_flagged() {
    let ta = TestArchive::new();
    let dir = ta.input("clocks");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("ahead.jpg", "2099:01:01 10:00:00", &["capture-in-future", "captured-after-ingest"][..]),
        ("unset.jpg", "1980:01:01 00:00:00", &["capture-before-digital"][..]),
        ("fine.jpg", "2024:11:29 14:03:07", &[][..]),
    ];
    for (name, at, _) in cases {
        let f = dir.join(name);
        made(&f, &["-frames:v", "1"], &[format!("-DateTimeOriginal={at}")]);
    }
    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    for f in report["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let (name, at, want) = cases.iter().find(|c| path.ends_with(c.0)).expect(path);
        let show = show(&ta, &f["item"]);
        let times = claims_of(&show, "capture-time");
        assert_eq!(times.len(), 1, "{name}: recorded as the file says");
        // As the file says: its local time, the offset unknown.
        let v = &times[0]["value"]["value"];
        assert_eq!(
            v["at"].as_str().unwrap().replace(['-', 'T'], ":"),
            at.replace(' ', ":"),
            "{name}"
        );
        assert_eq!(v["offset_unknown"], true, "{name}");
        let mut rules: Vec<&str> = rules_of(&show);
        rules.sort();
        assert_eq!(rules, *want, "{name}");
    }
    // The stored flags follow the same rules: `search --flagged` finds the
    // two, and the audit agrees with the index.
    let out = ta.cmd().args(["--json", "search", "--flagged"]).output().unwrap();
    let found = String::from_utf8(out.stdout).unwrap();
    assert_eq!(found.lines().count(), 2, "{found}");
    assert!(!found.contains("fine.jpg"), "{found}");
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "{audit}");
}

/// The real-world files `tests/setup.sh` fetched (tests/media/samples.txt).
fn samples() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/samples");
    let listed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media/samples.txt"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#'))
    .count();
    let found = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(
        found,
        listed,
        "{}: run tests/setup.sh, which fetches the real-world files",
        dir.display()
    );
    dir
}

/// The real-world files custody does not read as exiftool does, and why.
const KNOWN_GAPS: &[(&str, &str)] = &[
    ("CanonRaw.cr3", "CR3 (ISO base media) is named, not read"),
    // `exiftool -a -G3:1` shows its Software only in Doc1:IFD0, the preview
    // JPEG the RW2 embeds; `-G1` reports it as the file's own IFD0.
    ("Panasonic.rw2", "exiftool's IFD0 Software is the embedded preview's"),
];

/// Files made by phones, cameras and editors, shipped in other projects'
/// packages: every capture time, position and device field custody records
/// from a block is what exiftool reads from the same block, and every
/// EXIF DateTimeOriginal and GPS position exiftool reads is a claim.
#[test]
fn real_world_files_match_exiftool() {
    let ta = TestArchive::new();
    let dir = samples();
    let et = exiftool_json(&dir);
    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    let mut wrong = Vec::new();
    let mut claimed = 0;
    for f in report["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let name = path.rsplit('/').take(2).collect::<Vec<_>>().join(" in ");
        let Some(et) = et.iter().find(|e| e["SourceFile"].as_str() == Some(path)) else {
            wrong.push(format!("{name}: exiftool did not read it"));
            continue;
        };
        let show = show(&ta, &f["item"]);
        let claims: Vec<&Value> = show["claims"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["current"] == true && c["basis"] == "embedded")
            .collect();
        for c in &claims {
            claimed += 1;
            let check = std::panic::catch_unwind(|| agrees_with_exiftool(&name, c, et));
            if let Err(e) = check {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                wrong.push(format!("{name} {}: {}", c["kind"], why.replace('\n', " ")));
            }
        }
        let has = |kind: &str| claims.iter().any(|c| c["kind"] == kind && block_of(c) == "EXIF");
        if et_str(et, "ExifIFD:DateTimeOriginal").is_some() && !has("capture-time") {
            wrong.push(format!(
                "{name}: exiftool reads DateTimeOriginal, custody has no EXIF capture time ({})",
                f["metadata_problems"]
            ));
        }
        let gps = et_str(et, "GPS:GPSLatitude").and(et_str(et, "GPS:GPSLongitude"));
        // A position of 0, 0 is not evidence: a problem, not a claim.
        let null_island = et_str(et, "GPS:GPSLatitude").as_deref() == Some("0")
            && et_str(et, "GPS:GPSLongitude").as_deref() == Some("0")
            && f["metadata_problems"].to_string().contains("null island");
        if et_str(et, "GPS:GPSLatitude").is_some() != et_str(et, "GPS:GPSLongitude").is_some() {
            let problems = f["metadata_problems"].to_string();
            if !problems.contains("not both") {
                wrong.push(format!(
                    "{name}: half a GPS position, and no problem said so: {problems}"
                ));
            }
        }
        if gps.is_some() && !has("location") && !null_island {
            wrong.push(format!(
                "{name}: exiftool reads GPS, custody has no EXIF location ({})",
                f["metadata_problems"]
            ));
        }
    }
    // What custody cannot read yet (README, "Not yet"): each file listed
    // must disagree, and no other may.
    let files: std::collections::BTreeSet<&str> =
        wrong.iter().map(|w| w.split(' ').next().unwrap()).collect();
    let known: std::collections::BTreeSet<&str> = KNOWN_GAPS.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, known, "{} disagreements: {wrong:#?}", wrong.len());
    assert!(claimed >= 40, "{claimed} claims");
}

/// XMP in videos — the MP4 `uuid` box and QuickTime's `udta/XMP_`, as
/// exiftool writes them — gives claims that agree with exiftool's reading.
#[test]
fn video_xmp_matches_exiftool() {
    let ta = TestArchive::new();
    let dir = ta.input("video_xmp");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, at, lat, lon) in [
        ("clip.mp4", "2024:11:29 14:03:07+03:00", "36.19930", "37.16270"),
        ("clip.mov", "2024:11:30 09:15:00+03:00", "-33.44890", "-70.66930"),
    ] {
        let f = dir.join(name);
        let tags = [
            format!("-XMP-exif:DateTimeOriginal={at}"),
            format!("-XMP-exif:GPSLatitude={lat}"),
            format!("-XMP-exif:GPSLongitude={lon}"),
            "-XMP-dc:Description=the citadel gate".to_owned(),
        ];
        made(&f, &["-t", "1", "-c:v", "mpeg4"], &tags);
    }
    let et = exiftool_json(&dir);
    let (code, report) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{report}");
    for f in report["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let et = et.iter().find(|e| e["SourceFile"].as_str() == Some(path)).unwrap();
        let show = show(&ta, &f["item"]);
        let xmp: Vec<&Value> = show["claims"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["current"] == true && c["basis"] == "embedded" && block_of(c) == "XMP")
            .collect();
        let kinds: Vec<&str> = xmp.iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 3, "{path}: {kinds:?} {}", f["metadata_problems"]);
        for k in ["capture-time", "location", "description"] {
            assert!(kinds.contains(&k), "{path}: no XMP {k}: {kinds:?}");
        }
        for c in xmp {
            agrees_with_exiftool(path, c, et);
        }
    }
}

/// What custody records of a file's C2PA content credentials, without and
/// with trust anchors, against c2pa-python reading the same files: real
/// files from c2pa-rs (valid, changed after signing, broken signature, an
/// MP4, a remote manifest given as a sidecar), one we changed after
/// signing, and one c2pa-python signs here with a `stds.exif` assertion.
#[test]
fn c2pa_credentials_match_c2pa_python() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/data/c2pa");
    let check = root.join("tests/media/c2pa_check.py");
    let py = crate::interop::python();
    let scratch = TestArchive::new();
    let dir = scratch.input("c2pa");
    for f in ["C.jpg", "XCA.jpg", "E-sig-CA.jpg", "video1.mp4", "cloud.jpg", "cloud.c2pa"] {
        std::fs::copy(fixtures.join(f), dir.join(f)).unwrap();
    }
    let arg = |p: &Path| p.as_os_str().to_owned();
    let sign = [
        arg(&check),
        "sign".into(),
        arg(&fixtures.join("unsigned.jpg")),
        arg(&dir.join("signed.jpg")),
        arg(&fixtures.join("es256_certs.pem")),
        arg(&fixtures.join("es256_private.key")),
    ];
    run(&py, &sign.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
    // Changed after signing: one byte of the image data, past the manifest.
    let mut b = std::fs::read(fixtures.join("C.jpg")).unwrap();
    let n = b.len();
    b[n - 100] ^= 0x55;
    std::fs::write(dir.join("tampered.jpg"), b).unwrap();
    let anchors = fixtures.join("trust_anchors.pem");
    for trust in [None, Some(&anchors)] {
        let mut read = vec![arg(&check), "read".into(), arg(&dir)];
        read.extend(trust.map(|t| arg(t)));
        let out = std::process::Command::new(&py).args(&read).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let python: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ta = TestArchive::new();
        let mut cmd = ta.cmd();
        cmd.args(["--json", "ingest", "--key"]).arg(&ta.key).arg(&dir);
        if let Some(t) = trust {
            cmd.arg("--c2pa-trust").arg(t);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let files = report["files"].as_array().unwrap();
        assert_eq!(files.len(), 8, "the sidecar is archived as its own item: {report}");
        let sidecar = blake3::hash(&std::fs::read(dir.join("cloud.c2pa")).unwrap());
        for f in files {
            let path = f["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_str().unwrap();
            let show = show(&ta, &f["item"]);
            let creds = claims_of(&show, "credentials");
            let rules: Vec<&str> = rules_of(&show);
            if name.ends_with(".c2pa") {
                assert!(creds.is_empty(), "{name}");
                continue;
            }
            let want = &python[name];
            let [c] = &creds[..] else { panic!("{name}: one credentials claim: {show:#}") };
            let v = &c["value"]["value"];
            let mut failures: Vec<&str> = v["failures"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap()).collect())
                .unwrap_or_default();
            failures.sort();
            let state = v["state"].as_str().unwrap();
            assert_eq!(state, want["state"], "{name} ({trust:?}): {v} vs {want}");
            assert_eq!(failures, *want["failures"].as_array().unwrap(), "{name}: {v} vs {want}");
            for k in ["signer", "issuer", "signed_at", "actions"] {
                assert_eq!(v.get(k).unwrap_or(&Value::Null), &want[k], "{name}: {k}");
            }
            let invalid = state == "invalid";
            assert_eq!(c["basis"], if invalid { "embedded" } else { "device" }, "{name}");
            assert_eq!(rules.contains(&"credentials-invalid"), invalid, "{name}: {rules:?}");
            assert_eq!(c["raw"]["C2PA validation state"], state, "{name}");
            // What each file is, beyond agreeing with c2pa-python.
            let expect = match name {
                "C.jpg" | "signed.jpg" | "video1.mp4" | "cloud.jpg" if trust.is_none() => "valid",
                "C.jpg" | "signed.jpg" => "trusted",
                "video1.mp4" | "cloud.jpg" => "valid",
                _ => "invalid",
            };
            assert_eq!(state, expect, "{name} ({trust:?})");
            match name {
                "XCA.jpg" | "tampered.jpg" => {
                    assert!(failures.contains(&"assertion.dataHash.mismatch"), "{name}")
                }
                "E-sig-CA.jpg" => assert!(failures.contains(&"claimSignature.mismatch")),
                "cloud.jpg" => {
                    assert_eq!(c["raw"]["C2PA sidecar blake3"], sidecar.to_hex().as_str())
                }
                _ => {}
            }
            let device = |kind| -> Vec<&Value> {
                claims_of(&show, kind).into_iter().filter(|c| c["basis"] == "device").collect()
            };
            if name != "signed.jpg" {
                assert!(device("capture-time").is_empty() && device("location").is_empty());
                continue;
            }
            let [t] = &device("capture-time")[..] else { panic!("{show:#}") };
            assert_eq!(t["value"]["value"]["at"], "2024-11-29T16:42:07+03:00");
            assert_eq!(t["raw"]["C2PA validation state"], state);
            let [l] = &device("location")[..] else { panic!("{show:#}") };
            let l = &l["value"]["value"];
            assert!(close(&l["lat"], 36.0 + 11.958 / 60.0, 1e-6), "{l}");
            assert!(close(&l["lon"], 37.0 + 9.72 / 60.0, 1e-6), "{l}");
            assert_eq!(
                (l["altitude_m"].as_f64(), l["accuracy_m"].as_f64()),
                (Some(420.0), Some(8.0))
            );
            // The file's own EXIF (2011) and its signed C2PA time disagree.
            assert!(rules.contains(&"embedded-time-differs"), "{rules:?}");
        }
    }
    // Trust anchors that are not certificates: refused before anything.
    let bad = scratch.input("bad").join("anchors.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let out = scratch
        .cmd()
        .args(["ingest", "--key"])
        .arg(&scratch.key)
        .arg("--c2pa-trust")
        .arg(&bad)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("anchors.pem") && err.contains("nothing was ingested"), "{err}");
}
