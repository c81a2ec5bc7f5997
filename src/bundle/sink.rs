//! Writing a bag: a directory, a zip or a tar, always under a temporary
//! name beside the destination and renamed into place only once complete
//! and durable (a directory bag by one `syncfs`, a zip or tar by fsync) (an interrupted export leaves nothing that looks like a
//! bag). A directory bag's payload files are written by several workers at
//! once; a zip's or tar's entries one after another. Zip entries are
//! stored (no compression: the payload is mostly compressed media), with
//! ZIP64 where a file needs it; every entry of one bag lives under one
//! top-level folder named after the bag.
//!
//! Must not: overwrite anything, or leave a complete-looking bag at the
//! destination if any step failed.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// How a bag is packed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::EnumString, strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum BagFormat {
    /// A directory.
    Dir,
    /// A zip file.
    Zip,
    /// An (uncompressed, POSIX ustar / GNU) tar file.
    Tar,
}

enum Packing {
    Dir,
    Zip(Box<zip::ZipWriter<File>>),
    Tar(tar::Builder<File>),
}

/// A bag being written.
pub struct Sink {
    dest: PathBuf,
    tmp: PathBuf,
    /// The top-level folder inside a zip or tar.
    top: String,
    packing: Packing,
    mtime: u64,
}

impl Sink {
    /// Begin a bag at `dest` (which must not exist).
    pub fn create(dest: &Path, format: BagFormat, mtime: u64) -> Result<Sink> {
        if fs::symlink_metadata(dest).is_ok() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{} already exists", crate::text::shown(dest)),
            )
            .hint("export to a new path; a bag is never written over anything"));
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut rnd = [0u8; 6];
        crate::crypto::random_bytes(&mut rnd)?;
        let tmp = parent.join(format!(".{name}.partial-{}", hex::encode(rnd)));
        let top = name
            .trim_end_matches(".zip")
            .trim_end_matches(".tar")
            .chars()
            .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect::<String>();
        let top = if top.is_empty() { "bag".to_owned() } else { top };
        let io = |e| Error::io("cannot create the bag at", &tmp, e);
        let packing = match format {
            BagFormat::Dir => {
                fs::create_dir(&tmp).map_err(io)?;
                Packing::Dir
            }
            BagFormat::Zip => {
                Packing::Zip(Box::new(zip::ZipWriter::new(File::create_new(&tmp).map_err(io)?)))
            }
            BagFormat::Tar => {
                let mut b = tar::Builder::new(File::create_new(&tmp).map_err(io)?);
                b.mode(tar::HeaderMode::Deterministic);
                Packing::Tar(b)
            }
        };
        Ok(Sink { dest: dest.to_owned(), tmp, top, packing, mtime })
    }

    /// Where temporary files of this bag go (beside it: the same
    /// filesystem).
    pub fn spool_dir(&self) -> PathBuf {
        self.tmp.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// For a directory bag, where the file `name` goes (workers write
    /// payload files there directly); `None` for a zip or tar.
    pub fn file_path(&self, name: &str) -> Option<PathBuf> {
        match self.packing {
            Packing::Dir => Some(self.tmp.join(name)),
            _ => None,
        }
    }

    /// Add the file `name` of `size` bytes from `data`.
    pub fn add(&mut self, name: &str, size: u64, data: &mut dyn Read) -> Result<()> {
        let err = |e| Error::io(&format!("cannot write {name} into the bag at"), &self.tmp, e);
        match &mut self.packing {
            Packing::Dir => {
                let path = self.tmp.join(name);
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(err)?;
                }
                let mut f = File::create_new(&path).map_err(err)?;
                io::copy(data, &mut f).map_err(err)?;
                Ok(())
            }
            Packing::Zip(z) => {
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(size >= u64::from(u32::MAX))
                    .unix_permissions(0o644)
                    .last_modified_time(zip_time(self.mtime));
                z.start_file(format!("{}/{name}", self.top), opts)
                    .map_err(|e| err(io::Error::other(e)))?;
                io::copy(data, z).map_err(err)?;
                Ok(())
            }
            Packing::Tar(t) => {
                let mut h = tar::Header::new_gnu();
                h.set_size(size);
                h.set_mode(0o644);
                h.set_mtime(self.mtime);
                h.set_entry_type(tar::EntryType::Regular);
                t.append_data(&mut h, format!("{}/{name}", self.top), data).map_err(err)
            }
        }
    }

    /// Finish, fsync, and rename the bag into place.
    pub fn finish(self) -> Result<PathBuf> {
        let err = |e| Error::io("cannot finish the bag at", &self.tmp, e);
        match self.packing {
            // One flush of the filesystem, not a journal commit per file.
            Packing::Dir => {
                File::open(&self.tmp).and_then(|d| Ok(rustix::fs::syncfs(&d)?)).map_err(err)?
            }
            Packing::Zip(z) => {
                let f = z.finish().map_err(|e| err(io::Error::other(e)))?;
                f.sync_all().map_err(err)?;
            }
            Packing::Tar(t) => {
                let mut f = t.into_inner().map_err(err)?;
                f.flush().map_err(err)?;
                f.sync_all().map_err(err)?;
            }
        }
        if fs::symlink_metadata(&self.dest).is_ok() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{} appeared while the bag was written", crate::text::shown(&self.dest)),
            )
            .hint(format!("the finished bag is at {}", crate::text::shown(&self.tmp))));
        }
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| Error::io("cannot move the bag to", &self.dest, e))?;
        if let Some(parent) = self.dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(|e| Error::io("cannot fsync", parent, e))?;
        }
        Ok(self.dest)
    }

    /// Remove the unfinished bag (an export that failed).
    pub fn abandon(self) {
        let _ = match self.packing {
            Packing::Dir => fs::remove_dir_all(&self.tmp),
            _ => fs::remove_file(&self.tmp),
        };
    }
}

/// A zip entry's time (local DOS time: we write UTC; 1980 if out of range).
fn zip_time(unix: u64) -> zip::DateTime {
    let t = time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    zip::DateTime::from_date_and_time(
        t.year().clamp(1980, 2107) as u16,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default()
}
