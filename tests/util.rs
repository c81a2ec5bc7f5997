//! Test harness: a scratch archive with a registered unencrypted key, a
//! `custody` command bound to it, and helpers to read JSON reports.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub struct TestArchive {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub key: PathBuf,
}

/// A `custody` command with a clean environment.
pub fn custody() -> Command {
    let mut c = Command::cargo_bin("custody").unwrap();
    for v in ["CUSTODY_ARCHIVE", "CUSTODY_KEY", "CUSTODY_PASSPHRASE"] {
        c.env_remove(v);
    }
    c
}

impl TestArchive {
    pub fn new() -> TestArchive {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        let key = dir.path().join("collector.key");
        custody()
            .args(["init", "--name", "Aleppo 2024 test"])
            .arg("--archive")
            .arg(&root)
            .assert()
            .success();
        custody()
            .args(["key", "new", "--name", "Test Collector", "--no-passphrase", "--out"])
            .arg(&key)
            .assert()
            .success();
        let ta = TestArchive { dir, root, key };
        ta.cmd().args(["key", "add"]).arg(ta.key.with_extension("key.pub")).assert().success();
        ta
    }

    /// `custody --archive ROOT`.
    pub fn cmd(&self) -> Command {
        let mut c = custody();
        c.arg("--archive").arg(&self.root);
        c
    }

    /// `custody --archive ROOT ingest --key KEY`.
    pub fn ingest_cmd(&self, key: &Path) -> Command {
        let mut c = self.cmd();
        c.arg("ingest").arg("--key").arg(key);
        c
    }

    /// A folder of input files inside the scratch directory.
    pub fn input(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Run ingest with the test key; returns (exit code, JSON report).
    pub fn ingest(&self, paths: &[&Path]) -> (i32, Value) {
        let out = self
            .cmd()
            .arg("--json")
            .arg("ingest")
            .arg("--key")
            .arg(&self.key)
            .args(paths)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        )
    }

    /// Run audit; returns (exit code, JSON report).
    pub fn audit(&self, extra: &[&str]) -> (i32, Value) {
        let out = self.cmd().arg("--json").arg("audit").args(extra).output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!("audit printed no JSON: {}", String::from_utf8_lossy(&out.stderr))
        });
        (out.status.code().unwrap_or(-1), v)
    }

    /// Open the archive database for tampering.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.root.join("custody.db")).unwrap()
    }

    /// The stored file of an object.
    pub fn object_path(&self, blake3: &str) -> PathBuf {
        let dir = self.root.join("objects").join(&blake3[..2]);
        let plain = dir.join(blake3);
        if plain.exists() { plain } else { dir.join(format!("{blake3}.zst")) }
    }
}

/// (code, subject, location) of every finding.
pub fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
                f["location"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Deterministic pseudo-random bytes (xorshift), incompressible.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Compressible text of about `len` bytes.
pub fn text(len: usize, seed: u64) -> Vec<u8> {
    let words = ["citadel", "square", "report", "witness", "video", "road", "district", "morning"];
    let mut out = Vec::with_capacity(len + 16);
    let mut i = seed as usize;
    while out.len() < len {
        out.extend_from_slice(words[i % words.len()].as_bytes());
        out.push(if i.is_multiple_of(11) { b'\n' } else { b' ' });
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    out
}

/// `sh -c SCRIPT` in a private mount namespace (`unshare -m`; unprivileged
/// users through a user namespace, `-r`, which a chroot does not allow).
pub fn in_private_mounts(script: &str) -> std::process::Command {
    let mut c = std::process::Command::new("unshare");
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    if std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) != 0 {
        c.arg("-r");
    }
    c.args(["-m", "sh", "-c", script]);
    c
}
