//! The object store: immutable files named by BLAKE3, fanned out by the
//! first two hex digits (`objects/ab/ab12….zst` for a zstd frame,
//! `objects/ab/ab12…` for plain bytes), so `zstd -d` and `b3sum` alone check
//! any object by hand. Writes are staged in `tmp/` and renamed into place
//! without clobbering; `sync` (one `syncfs`) makes a batch of them durable
//! before the transaction whose rows name them commits.
//!
//! The interface is put-if-absent, open-as-stream, read back (decoded and
//! re-hashed), list, and no delete, so a remote backend (S3-compatible, via
//! `object_store`) can implement it later. The codec — plain bytes or one
//! zstd frame — lives in `store::codec`, the one place objects are encoded
//! and decoded.
//!
//! Must not: know SQL or the database, or ever overwrite or delete an
//! archived object (`discard_unrecorded` removes only a file the current
//! ingest wrote and no row names).

pub mod codec;

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::{Error, Result};
use crate::id::{Encoding, ObjectId};

/// A stored file at least this large is hashed on every core as it is read
/// back (BLAKE3's tree hashing, through rayon): one large video would
/// otherwise be read at one core's hashing speed.
const PARALLEL_HASH: u64 = 16 << 20;

/// Bytes being written, not yet named; dropped, they vanish.
pub struct Staged {
    file: NamedTempFile,
}

impl Staged {
    /// A writer that stores the original bytes written to it as `enc`.
    pub fn writer(&self, enc: Encoding) -> io::Result<codec::ObjectWriter> {
        codec::ObjectWriter::new(self.file.as_file().try_clone()?, enc)
    }
}

/// What reading an object back found.
pub enum ReadBack {
    /// All bytes read: their BLAKE3, SHA-256 (if asked) and length.
    Read {
        /// BLAKE3 of the original bytes.
        blake3: ObjectId,
        /// SHA-256 of the original bytes, when asked for.
        sha256: Option<[u8; 32]>,
        /// How many original bytes there were.
        len: u64,
    },
    /// The file is not there.
    Missing,
    /// The stored bytes could not be decoded: why, and how many original
    /// bytes came out before.
    Damaged(String, u64),
}

/// What `put` did.
#[derive(Debug, Clone, Copy)]
pub struct Put {
    /// How the object is stored (an existing copy keeps its own encoding).
    pub encoding: Encoding,
    /// Bytes on disk.
    pub stored_size: u64,
    /// False when the object was already there and the staged bytes were dropped.
    pub written: bool,
}

/// One file found in the object store.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The object id and encoding its name says, or `None` for a stray name.
    pub name: Option<(ObjectId, Encoding)>,
    /// Where it is.
    pub path: PathBuf,
}

/// What `list` found.
#[derive(Debug)]
pub struct Listing {
    /// Every file listed.
    pub files: Vec<Listed>,
    /// Directories that could not be read, with why.
    pub unreadable: Vec<(PathBuf, io::Error)>,
}

/// The local-filesystem object store.
pub struct Store {
    objects: PathBuf,
    tmp: PathBuf,
    /// Fan-out directories this process has seen to exist.
    made_dirs: Mutex<HashSet<PathBuf>>,
    /// `objects/`, opened by `prepare_tmp` before any write: `syncfs`
    /// reports a write-back error that happened since the descriptor it
    /// is given was opened, so one opened per call could miss an error of
    /// the kernel's own write-back between two batches.
    sync_dir: OnceLock<File>,
}

fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot fsync directory", dir, e))
}

impl Store {
    /// Create the store's directories under `root` (the archive directory).
    pub fn create(root: &Path) -> Result<Store> {
        let s = Store::at(root);
        for d in [&s.objects, &s.tmp] {
            fs::create_dir(d).map_err(|e| Error::io("cannot create directory", d, e))?;
        }
        fsync_dir(root)?;
        Ok(s)
    }

    /// The store of the archive at `root` (not checked).
    pub fn at(root: &Path) -> Store {
        Store {
            objects: root.join("objects"),
            tmp: root.join("tmp"),
            made_dirs: Mutex::new(HashSet::new()),
            sync_dir: OnceLock::new(),
        }
    }

    /// Where an object with this encoding lives.
    pub fn path_of(&self, id: &ObjectId, enc: Encoding) -> PathBuf {
        let hex = id.to_hex();
        let name = match enc {
            Encoding::None => hex.clone(),
            Encoding::Zstd => format!("{hex}.zst"),
        };
        self.objects.join(&hex[..2]).join(name)
    }

    /// Begin writing new bytes.
    pub fn stage(&self) -> Result<Staged> {
        let file = NamedTempFile::new_in(&self.tmp)
            .map_err(|e| Error::io("cannot create a temporary file in", &self.tmp, e))?;
        Ok(Staged { file })
    }

    /// The encoding of the copy of `id` on disk, if there is one.
    pub fn find(&self, id: &ObjectId) -> Option<(Encoding, u64)> {
        [Encoding::None, Encoding::Zstd].into_iter().find_map(|enc| {
            fs::symlink_metadata(self.path_of(id, enc)).ok().map(|m| (enc, m.len()))
        })
    }

    /// Make sure the fan-out directory `dir` exists (checked once per
    /// directory per process).
    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        let mut seen = self.made_dirs.lock().map_err(|_| {
            Error::new(
                crate::error::ErrorKind::Io,
                "object store lock poisoned by a crashed worker",
            )
        })?;
        if seen.contains(dir) {
            return Ok(());
        }
        match fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("cannot create directory", dir, e)),
        }
        seen.insert(dir.to_owned());
        Ok(())
    }

    /// Make staged bytes the object `id`, unless it is already stored: the
    /// staged file is renamed into place without clobbering. The object is
    /// not durable yet: call `sync` before any row naming it commits. An
    /// existing copy is not re-read here; callers adopting a copy no row
    /// names must verify it.
    pub fn put(&self, staged: Staged, id: &ObjectId, enc: Encoding) -> Result<Put> {
        let target = self.path_of(id, enc);
        let dir = target.parent().unwrap_or(&self.objects).to_owned();
        self.ensure_dir(&dir)?;
        if let Some((encoding, stored_size)) = self.find(id) {
            return Ok(Put { encoding, stored_size, written: false });
        }
        let tmp_path = staged.file.path().to_owned();
        let stored_size = staged
            .file
            .as_file()
            .metadata()
            .map_err(|e| Error::io("cannot stat", &tmp_path, e))?
            .len();
        let written = match staged.file.persist_noclobber(&target) {
            Ok(_) => true,
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(Error::io("cannot move object into place at", &target, e.error)),
        };
        Ok(Put { encoding: enc, stored_size, written })
    }

    /// Make every object put so far durable, with its directory entries —
    /// and anything else written to the store's file system, whoever wrote
    /// it (an object another worker or a crashed run renamed into place is
    /// covered too): one `syncfs`, which also reports a write-back error
    /// of any of them. Call it after the puts of a batch and before the
    /// transaction whose rows name them commits.
    pub fn sync(&self) -> Result<()> {
        let err =
            |e| Error::io("cannot make the stored objects durable (syncfs) in", &self.objects, e);
        rustix::fs::syncfs(self.sync_dir().map_err(err)?).map_err(|e| err(e.into()))
    }

    /// The descriptor `sync` uses, opened the first time it is asked for
    /// (by `prepare_tmp`, before any write).
    fn sync_dir(&self) -> io::Result<&File> {
        if let Some(d) = self.sync_dir.get() {
            return Ok(d);
        }
        let d = File::open(&self.objects)?;
        Ok(self.sync_dir.get_or_init(|| d))
    }

    /// Re-read an object's stored copy and check that it is `len` original
    /// bytes hashing to `id`; else why not. For a copy no row names yet,
    /// before anything is signed over it.
    pub fn verify(
        &self,
        id: &ObjectId,
        enc: Encoding,
        len: u64,
    ) -> std::result::Result<(), String> {
        let mut buf = vec![0u8; 1 << 20];
        match self.read_back(id, enc, false, &mut buf, &mut |_| Ok(())) {
            Ok(ReadBack::Read { blake3, len: n, .. }) if blake3 == *id && n == len => Ok(()),
            Ok(ReadBack::Read { blake3, len, .. }) => {
                Err(format!("it hashes to {blake3}, {len} bytes"))
            }
            Ok(ReadBack::Missing) => Err("it vanished".into()),
            Ok(ReadBack::Damaged(why, _)) => Err(why),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Open an object's stored bytes: never through a symlink, never
    /// blocking on a FIFO; anything but a regular file is refused.
    pub fn open(&self, id: &ObjectId, enc: Encoding) -> io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        let f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(self.path_of(id, enc))?;
        if !f.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "not a regular file"));
        }
        Ok(f)
    }

    /// Stream an object's original bytes through `sink`, hashing them as
    /// they go (BLAKE3 always, SHA-256 with `deep`), through `buf`. An I/O
    /// error on a plain file, or one from `sink`, is an error; bytes that
    /// do not decode are `Damaged`.
    pub fn read_back(
        &self,
        id: &ObjectId,
        enc: Encoding,
        deep: bool,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<ReadBack> {
        let file = match self.open(id, enc) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ReadBack::Missing),
            Err(e) => return Err(e),
        };
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::Sequential);
        let large = file.metadata().is_ok_and(|m| m.len() >= PARALLEL_HASH);
        let mut reader = match codec::decoder(file, enc) {
            Ok(r) => r,
            Err(e) => return Ok(ReadBack::Damaged(e.to_string(), 0)),
        };
        let mut b3 = blake3::Hasher::new();
        let mut sha = deep.then(Sha256::new);
        let mut len = 0u64;
        loop {
            let n = match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if enc == Encoding::Zstd => {
                    return Ok(ReadBack::Damaged(e.to_string(), len));
                }
                Err(e) => return Err(e),
            };
            if large {
                b3.update_rayon(&buf[..n]);
            } else {
                b3.update(&buf[..n]);
            }
            if let Some(s) = sha.as_mut() {
                s.update(&buf[..n]);
            }
            len += n as u64;
            sink(&buf[..n])?;
        }
        Ok(ReadBack::Read {
            blake3: ObjectId(*b3.finalize().as_bytes()),
            sha256: sha.map(|s| s.finalize().into()),
            len,
        })
    }

    /// The original bytes of an object as a stream (decoded, not checked:
    /// for readers that look at a bounded head, such as metadata).
    pub fn open_decoded(&self, id: &ObjectId, enc: Encoding) -> io::Result<Box<dyn Read>> {
        codec::decoder(self.open(id, enc)?, enc)
    }

    /// Every file in the object store, one top-level entry at a time:
    /// `each` gets a fan-out directory's name (`None` for a file at the top)
    /// and what is in it, with the directories that could not be read.
    pub fn list_each(
        &self,
        mut each: impl FnMut(Option<&str>, Listing) -> Result<()>,
    ) -> Result<()> {
        let dirs =
            fs::read_dir(&self.objects).map_err(|e| Error::io("cannot list", &self.objects, e))?;
        for d in dirs {
            let d = d.map_err(|e| Error::io("cannot list", &self.objects, e))?;
            let dpath = d.path();
            if !d.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                let files = vec![Listed { name: None, path: dpath }];
                each(None, Listing { files, unreadable: Vec::new() })?;
                continue;
            }
            let prefix = d.file_name();
            each(prefix.to_str(), list_dir(&dpath, prefix.to_str()))?;
        }
        Ok(())
    }

    /// Remove an object file that no database row names: one this process
    /// wrote for a batch that was never committed, or one that does not
    /// hash to its name (torn by a crash before its batch was durable).
    /// Only an ingest may call this, under the exclusive archive lock and
    /// after checking that no row names the object: an archived object is
    /// never deleted.
    pub fn discard_unrecorded(&self, id: &ObjectId, enc: Encoding) -> Result<()> {
        let path = self.path_of(id, enc);
        fs::remove_file(&path).map_err(|e| Error::io("cannot remove unrecorded object", &path, e))
    }

    /// Make sure `tmp/` exists and holds no leftover staged files (call only
    /// while holding the archive lock).
    pub fn prepare_tmp(&self) -> Result<()> {
        fs::create_dir_all(&self.tmp).map_err(|e| Error::io("cannot create", &self.tmp, e))?;
        self.sync_dir().map_err(|e| Error::io("cannot open", &self.objects, e))?;
        let entries =
            fs::read_dir(&self.tmp).map_err(|e| Error::io("cannot list", &self.tmp, e))?;
        for e in entries.flatten() {
            let _ = fs::remove_file(e.path());
        }
        Ok(())
    }
}

/// The files of one fan-out directory (`prefix`: its name, if UTF-8).
fn list_dir(dpath: &Path, prefix: Option<&str>) -> Listing {
    let (mut files, mut unreadable) = (Vec::new(), Vec::new());
    let entries = match fs::read_dir(dpath) {
        Ok(e) => e,
        Err(e) => {
            unreadable.push((dpath.to_path_buf(), e));
            return Listing { files, unreadable };
        }
    };
    for f in entries {
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                unreadable.push((dpath.to_path_buf(), e));
                break;
            }
        };
        let name = f.file_name();
        let parsed = name.to_str().and_then(|n| {
            let (hex, enc) = match n.strip_suffix(".zst") {
                Some(h) => (h, Encoding::Zstd),
                None => (n, Encoding::None),
            };
            let id: ObjectId = hex.parse().ok()?;
            // Only the canonical lowercase name counts.
            (id.to_hex() == hex && prefix == Some(&hex[..2])).then_some((id, enc))
        });
        files.push(Listed { name: parsed, path: f.path() });
    }
    Listing { files, unreadable }
}
