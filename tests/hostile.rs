//! The hostile-bag catalogue: one case per kind of attack on a bag, each
//! expecting its exact finding (code and where), nothing read that was
//! refused, nothing written outside the archive, and an import of the bag
//! leaving the archive byte-identical. Where an attacker would make the
//! BagIt manifests consistent again, `reseal` does so: the signed
//! evidence must still catch it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use crate::bundles::{export, import, pins, sample, verify};
use crate::util::{TestArchive, findings};

/// A fresh archive with its exported bag (`dir`, `zip` or `tar`) and the
/// pins that make an untouched bag hold.
struct Case {
    ta: TestArchive,
    bag: PathBuf,
    pins: Vec<String>,
}

fn case(format: &str) -> Case {
    let ta = sample();
    let name = if format == "dir" { "bag".to_owned() } else { format!("bag.{format}") };
    let bag = ta.dir.path().join(name);
    let r = export(&ta, &bag, &["--all", "--format", format]);
    let pins = pins(&r, &ta);
    let c = Case { ta, bag, pins };
    assert_eq!(c.verify().0, 0, "the untouched bag holds");
    c
}

impl Case {
    fn verify(&self) -> (i32, Value) {
        let p: Vec<&str> = self.pins.iter().map(String::as_str).collect();
        verify(&self.bag, &p)
    }

    /// Verify, expecting exit 1 and the finding (code, location); also
    /// check an import into a new archive refuses it and changes nothing.
    fn expect(&self, code: &str, location: &str) -> Value {
        let (exit, v) = self.verify();
        assert_eq!(exit, 1, "{v}");
        let all = findings(&v);
        assert!(
            all.iter().any(|(c, _, l)| c == code && l == location),
            "expected {code} at {location}, got {all:#?}"
        );
        let b = TestArchive::new();
        let before = snapshot(&b.root);
        let p: Vec<&str> = self.pins.iter().map(String::as_str).collect();
        let (exit, r) = import(&b, &self.bag, &p);
        assert_eq!((exit, r["imported"].as_bool()), (1, Some(false)), "{r}");
        assert_eq!(snapshot(&b.root), before, "a refused import leaves the archive byte-identical");
        v
    }

    fn path(&self, name: &str) -> PathBuf {
        self.bag.join(name)
    }
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().ends_with(".lock"))
        .map(|e| (e.path().to_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What an attacker does after changing a bag: rewrite the payload
/// manifests over `data/` and the tag manifests over everything else.
fn reseal(bag: &Path) {
    let files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(bag)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(bag).unwrap().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    let lines = |payload: bool, sha512: bool, files: &[(String, Vec<u8>)]| -> String {
        files
            .iter()
            .filter(|(n, _)| n.starts_with("data/") == payload && !n.starts_with("tagmanifest-"))
            .map(|(n, b)| {
                let h = if sha512 { hex(&Sha512::digest(b)) } else { hex(&Sha256::digest(b)) };
                format!("{h}  {n}\n")
            })
            .collect()
    };
    std::fs::write(bag.join("manifest-sha256.txt"), lines(true, false, &files)).unwrap();
    std::fs::write(bag.join("manifest-sha512.txt"), lines(true, true, &files)).unwrap();
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(n, b)| {
            if n.starts_with("manifest-sha") {
                let b = std::fs::read(bag.join(&n)).unwrap();
                (n, b)
            } else {
                (n, b)
            }
        })
        .collect();
    std::fs::write(bag.join("tagmanifest-sha256.txt"), lines(false, false, &files)).unwrap();
    std::fs::write(bag.join("tagmanifest-sha512.txt"), lines(false, true, &files)).unwrap();
}

/// A raw tar entry (name, type, size, data) appended before the two
/// zero blocks that end the archive.
fn tar_append(tar: &Path, name: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]) {
    let mut bytes = std::fs::read(tar).unwrap();
    // Drop the end-of-archive marker (and any padding after it).
    while bytes.len() >= 512 && bytes[bytes.len() - 512..].iter().all(|b| *b == 0) {
        bytes.truncate(bytes.len() - 512);
    }
    let mut h = tar::Header::new_gnu();
    {
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            raw.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
    }
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    bytes.extend_from_slice(h.as_bytes());
    bytes.extend_from_slice(data);
    bytes.resize(bytes.len().div_ceil(512) * 512, 0);
    bytes.extend_from_slice(&[0u8; 1024]);
    std::fs::write(tar, bytes).unwrap();
}

#[test]
fn a_dotdot_entry_is_refused_unread() {
    let c = case("tar");
    tar_append(&c.bag, "bag/../../custody-evil.txt", tar::EntryType::Regular, None, b"evil");
    c.expect("bag-unsafe-entry", "../../custody-evil.txt");
    assert!(!c.ta.dir.path().join("custody-evil.txt").exists());
    assert!(!Path::new("/tmp/custody-evil.txt").exists());
}

#[test]
fn an_absolute_path_is_refused_unread() {
    let c = case("zip");
    let f = std::fs::OpenOptions::new().read(true).write(true).open(&c.bag).unwrap();
    let mut z = zip::ZipWriter::new_append(f).unwrap();
    z.start_file("/etc/custody-evil", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(b"evil").unwrap();
    z.finish().unwrap();
    let v = c.expect("bag-unsafe-entry", "/etc/custody-evil");
    // Only that entry: the rest of the bag is still read from its folder.
    assert!(!findings(&v).iter().any(|(c, _, _)| c == "bag-structure"), "{v}");
}

#[test]
fn a_symbolic_link_is_refused_unread() {
    let c = case("dir");
    std::os::unix::fs::symlink("/etc/passwd", c.path("data/passwd")).unwrap();
    c.expect("bag-unsafe-entry", "data/passwd");
}

#[test]
fn a_hard_link_is_refused_unread() {
    let c = case("tar");
    tar_append(&c.bag, "bag/data/linked", tar::EntryType::Link, Some("/etc/passwd"), b"");
    c.expect("bag-unsafe-entry", "data/linked");
}

#[test]
fn a_device_file_is_refused_unread() {
    let c = case("tar");
    tar_append(&c.bag, "bag/data/dev", tar::EntryType::Char, None, b"");
    c.expect("bag-unsafe-entry", "data/dev");
}

#[test]
fn names_that_collide_after_nfc_are_refused() {
    let c = case("dir");
    std::fs::write(c.path("data/caf\u{e9}.txt"), b"one").unwrap();
    std::fs::write(c.path("data/cafe\u{301}.txt"), b"two").unwrap();
    reseal(&c.bag);
    // The second in byte order (U+00E9 sorts after "e" + U+0301) is refused.
    c.expect("bag-unsafe-entry", "data/caf\u{e9}.txt");
}

#[test]
fn names_that_collide_after_case_folding_are_refused() {
    let c = case("dir");
    std::fs::write(c.path("data/Report.txt"), b"one").unwrap();
    std::fs::write(c.path("data/report.txt"), b"two").unwrap();
    reseal(&c.bag);
    c.expect("bag-unsafe-entry", "data/report.txt");
}

#[test]
fn a_manifest_listing_a_missing_file_is_named() {
    let c = case("dir");
    let victim = std::fs::read_dir(c.path("data")).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(&victim).unwrap();
    let v = c.expect("bag-file-missing", "manifest-sha256.txt");
    let name = format!("data/{}", victim.file_name().unwrap().to_string_lossy());
    assert!(
        findings(&v)
            .iter()
            .any(|(c, s, l)| c == "bag-file-missing" && *s == name && l == "manifest-sha512.txt"),
        "{v}"
    );
}

#[test]
fn an_unlisted_payload_file_is_named() {
    let c = case("dir");
    std::fs::write(c.path("data/extra.txt"), b"slipped in").unwrap();
    c.expect("bag-file-unlisted", "manifest-sha256.txt");
}

#[test]
fn a_tag_file_of_gigabytes_is_never_read() {
    let c = case("dir");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(c.path("custody/items.json"))
        .unwrap();
    f.set_len(3 << 30).unwrap(); // sparse: 3 GiB
    let started = std::time::Instant::now();
    let v = c.expect("bag-structure", "tagmanifest-sha256.txt");
    assert!(
        findings(&v).iter().any(|(c, s, l)| c == "bag-structure"
            && s == "custody/items.json"
            && l == "custody/items.json"),
        "{v}"
    );
    assert!(started.elapsed().as_secs() < 60, "3 GiB were not read");
}

#[test]
fn a_zip_bomb_is_refused_unread() {
    let c = case("zip");
    let f = std::fs::OpenOptions::new().read(true).write(true).open(&c.bag).unwrap();
    let mut z = zip::ZipWriter::new_append(f).unwrap();
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("bag/data/bomb.bin", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap();
    let v = c.expect("bag-unsafe-entry", "data/bomb.bin");
    assert!(v["findings"].to_string().contains("zip bomb"), "{v}");
}

#[test]
fn envelopes_swapped_between_items_are_caught_though_the_manifests_agree() {
    let c = case("dir");
    let records = c.path("custody/records.intoto.jsonl");
    let text = std::fs::read_to_string(&records).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(0, 1);
    std::fs::write(&records, lines.join("\n") + "\n").unwrap();
    reseal(&c.bag);
    c.expect("bag-envelope", "custody/items.json");
    let v = c.verify().1;
    assert!(
        findings(&v)
            .iter()
            .any(|(c, s, _)| c == "bag-statement" && s == "custody/records.intoto.jsonl"),
        "the signed statement names the records file: {v}"
    );
}

#[test]
fn a_proof_against_another_checkpoint_is_caught() {
    let c = case("dir");
    let events = c.path("custody/events.jsonl");
    let text = std::fs::read_to_string(&events).unwrap();
    let mut lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let index = lines[0]["index"].as_u64().unwrap();
    // A genuine proof of the same event, against a later checkpoint.
    c.ta.cmd()
        .args(["claim", "2", "--kind", "description", "--title", "later", "--key"])
        .arg(&c.ta.key)
        .assert()
        .success();
    let o = c.ta.cmd().args(["prove", "--event", &index.to_string()]).output().unwrap();
    assert!(o.status.success());
    lines[0]["proof"] = Value::String(String::from_utf8(o.stdout).unwrap());
    let out: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&events, out).unwrap();
    reseal(&c.bag);
    c.expect("bag-proof", &format!("custody/events.jsonl index {index}"));
}

#[test]
fn a_checkpoint_signed_by_another_key_is_caught() {
    use custody::crypto::SecretKey;
    use custody::custody_log::note::Note;
    let c = case("dir");
    let path = c.path("custody/checkpoint");
    let mut note = Note::parse(&std::fs::read(&path).unwrap()).unwrap();
    let name = note.sigs[0].name.clone();
    note.sigs.clear();
    note.sign(&name, &SecretKey::from_seed(&[7; 32]));
    std::fs::write(&path, note.to_text()).unwrap();
    reseal(&c.bag);
    c.expect("bag-checkpoint", "custody/checkpoint");
}

#[test]
fn a_bag_statement_over_another_payload_is_caught() {
    let c = case("dir");
    let other = c.ta.dir.path().join("other");
    export(&c.ta, &other, &["1"]);
    std::fs::copy(other.join("custody/bag.intoto.jsonl"), c.path("custody/bag.intoto.jsonl"))
        .unwrap();
    reseal(&c.bag);
    let v = c.expect("bag-statement", "custody/bag.intoto.jsonl");
    let payload_named =
        findings(&v).iter().any(|(c, s, _)| c == "bag-statement" && s.starts_with("data/"));
    assert!(payload_named, "a payload file the statement does not name: {v}");
}
