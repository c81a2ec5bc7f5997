//! The object store: immutable files named by BLAKE3, fanned out by the
//! first two hex digits (`objects/ab/ab12….zst` for a zstd frame,
//! `objects/ab/ab12…` for plain bytes), so `zstd -d` and `b3sum` alone check
//! any object by hand. Writes are staged in `tmp/`, fsynced, renamed into
//! place without clobbering, and the directory fsynced: an object is durable
//! before any database row names it.
//!
//! The interface is put-if-absent, open-as-stream, list, and no delete, so a
//! remote backend (S3-compatible, via `object_store`) can implement it later.
//!
//! Must not: know SQL or the database, or ever overwrite or delete an object.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};
use crate::id::{Encoding, ObjectId};

/// Bytes being written, not yet named; dropped, they vanish.
pub struct Staged {
    file: NamedTempFile,
}

impl Staged {
    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        self.file.as_file_mut()
    }
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

/// The local-filesystem object store.
pub struct Store {
    objects: PathBuf,
    tmp: PathBuf,
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
        Store { objects: root.join("objects"), tmp: root.join("tmp") }
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

    /// Make staged bytes the object `id`, unless it is already stored.
    /// The staged file is fsynced, renamed without clobbering, and the
    /// directory fsynced before this returns.
    pub fn put(&self, staged: Staged, id: &ObjectId, enc: Encoding) -> Result<Put> {
        if let Some((encoding, stored_size)) = self.find(id) {
            return Ok(Put { encoding, stored_size, written: false });
        }
        let target = self.path_of(id, enc);
        let tmp_path = staged.file.path().to_owned();
        staged.file.as_file().sync_all().map_err(|e| Error::io("cannot fsync", &tmp_path, e))?;
        let stored_size = staged
            .file
            .as_file()
            .metadata()
            .map_err(|e| Error::io("cannot stat", &tmp_path, e))?
            .len();
        let dir = target.parent().unwrap_or(&self.objects).to_owned();
        match fs::create_dir(&dir) {
            Ok(()) => fsync_dir(&self.objects)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("cannot create directory", &dir, e)),
        }
        match staged.file.persist_noclobber(&target) {
            Ok(_) => {}
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                return Ok(Put { encoding: enc, stored_size, written: false });
            }
            Err(e) => return Err(Error::io("cannot move object into place at", &target, e.error)),
        }
        fsync_dir(&dir)?;
        Ok(Put { encoding: enc, stored_size, written: true })
    }

    /// Open an object's stored bytes.
    pub fn open(&self, id: &ObjectId, enc: Encoding) -> io::Result<File> {
        File::open(self.path_of(id, enc))
    }

    /// Every file in the object store.
    pub fn list(&self) -> Result<Vec<Listed>> {
        let mut out = Vec::new();
        let dirs =
            fs::read_dir(&self.objects).map_err(|e| Error::io("cannot list", &self.objects, e))?;
        for d in dirs {
            let d = d.map_err(|e| Error::io("cannot list", &self.objects, e))?;
            let dpath = d.path();
            if !d.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.push(Listed { name: None, path: dpath });
                continue;
            }
            let prefix = d.file_name();
            for f in fs::read_dir(&dpath).map_err(|e| Error::io("cannot list", &dpath, e))? {
                let f = f.map_err(|e| Error::io("cannot list", &dpath, e))?;
                let name = f.file_name();
                let parsed = name.to_str().and_then(|n| {
                    let (hex, enc) = match n.strip_suffix(".zst") {
                        Some(h) => (h, Encoding::Zstd),
                        None => (n, Encoding::None),
                    };
                    let id: ObjectId = hex.parse().ok()?;
                    (prefix.to_str() == Some(&hex[..2])).then_some((id, enc))
                });
                out.push(Listed { name: parsed, path: f.path() });
            }
        }
        Ok(out)
    }

    /// Make sure `tmp/` exists and holds no leftover staged files (call only
    /// while holding the archive lock).
    pub fn prepare_tmp(&self) -> Result<()> {
        fs::create_dir_all(&self.tmp).map_err(|e| Error::io("cannot create", &self.tmp, e))?;
        let entries =
            fs::read_dir(&self.tmp).map_err(|e| Error::io("cannot list", &self.tmp, e))?;
        for e in entries.flatten() {
            let _ = fs::remove_file(e.path());
        }
        Ok(())
    }
}
