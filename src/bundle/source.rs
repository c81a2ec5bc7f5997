//! Reading a bag without trusting it: a directory, a zip or an
//! (uncompressed) tar, read in place — nothing is extracted. Every entry is
//! listed first and judged before anything is read: names with `..`, an
//! absolute path or other unsafe parts, symbolic and hard links, devices
//! and FIFOs, two names that are one after NFC and case folding, a zip
//! entry whose declared sizes are inconsistent or compress beyond a bomb
//! ratio — each is a finding, and such an entry is never opened. A bag
//! packed under one top-level folder is read from inside it. Reads are
//! bounded: a tag file is never read past `MAX_TAG_FILE`, an entry never
//! past its declared size.
//!
//! Must not: follow a link, write anything, or read an entry it refused.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::layout::{colliding, unsafe_name};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding};

/// The largest tag file read (a bag's evidence of a million items is far
/// below this).
pub const MAX_TAG_FILE: u64 = 256 << 20;
/// A zip entry that expands more than this many times is a bomb.
const MAX_RATIO: u64 = 200;

/// One file of the bag.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its size (as declared, for a zip or tar).
    pub size: u64,
    where_: Where,
}

#[derive(Debug, Clone)]
enum Where {
    Dir(PathBuf),
    Zip(usize),
    Tar(u64),
}

/// What the bag is read from.
#[derive(Debug)]
enum Kind {
    Dir,
    Zip,
    Tar,
}

/// A bag, listed and judged.
pub struct BagSource {
    path: PathBuf,
    kind: Kind,
    /// The usable files, by name.
    pub files: BTreeMap<String, Entry>,
    /// What was refused and why.
    pub refused: Vec<Finding>,
}

fn hostile(name: &str, why: &str) -> Finding {
    Finding::new(
        Code::BagUnsafeEntry,
        format!("bag entry {}", crate::text::quoted(name)),
        name.to_owned(),
        format!("refused, never read: {why}"),
        "a bag from a safe source has none: ask the sender for a clean bag",
    )
}

impl BagSource {
    /// List and judge the bag at `path` (a directory, `.zip` or `.tar`).
    pub fn open(path: &Path) -> Result<BagSource> {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| Error::io("cannot read the bag", path, e).hint("check the path"))?;
        let (kind, raw) = if meta.is_dir() {
            (Kind::Dir, list_dir(path)?)
        } else if meta.is_file() {
            let mut magic = [0u8; 262];
            let n = File::open(path)
                .and_then(|mut f| f.read(&mut magic))
                .map_err(|e| Error::io("cannot read", path, e))?;
            if magic[..n.min(4)] == *b"PK\x03\x04" {
                (Kind::Zip, list_zip(path)?)
            } else if n >= 262 && &magic[257..262] == b"ustar" {
                (Kind::Tar, list_tar(path)?)
            } else {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{} is not a bag", crate::text::shown(path)),
                )
                .hint("give a bag directory, a .zip or an uncompressed .tar"));
            }
        } else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{} is not a file or directory", crate::text::shown(path)),
            ));
        };
        Ok(judge(path, kind, raw))
    }

    /// Whether the bag has the file `name`.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// A tag file's bytes (at most `MAX_TAG_FILE`).
    pub fn read_tag(&self, name: &str) -> Result<Vec<u8>> {
        let e = self
            .files
            .get(name)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("the bag has no {name}")))?;
        if e.size > MAX_TAG_FILE {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{name} is {} bytes, more than a tag file may be ({MAX_TAG_FILE})", e.size),
            ));
        }
        let mut out = Vec::new();
        self.read(name, &mut |r| r.take(MAX_TAG_FILE + 1).read_to_end(&mut out).map(drop))?;
        Ok(out)
    }

    /// Stream the file `name` through `f` (never past its declared size: a
    /// longer entry is an error).
    pub fn read(
        &self,
        name: &str,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> Result<()> {
        let e = self
            .files
            .get(name)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("the bag has no {name}")))?;
        let err = |x| Error::io(&format!("cannot read {name} in the bag"), &self.path, x);
        match (&self.kind, &e.where_) {
            (Kind::Dir, Where::Dir(p)) => {
                use std::os::unix::fs::OpenOptionsExt;
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(p)
                    .map_err(err)?;
                f(&mut Bounded::new(file, e.size)).map_err(err)
            }
            (Kind::Zip, Where::Zip(i)) => {
                let mut z = zip::ZipArchive::new(File::open(&self.path).map_err(err)?)
                    .map_err(|x| err(io::Error::other(x)))?;
                let entry = z.by_index(*i).map_err(|x| err(io::Error::other(x)))?;
                f(&mut Bounded::new(entry, e.size)).map_err(err)
            }
            (Kind::Tar, Where::Tar(off)) => {
                let mut file = File::open(&self.path).map_err(err)?;
                file.seek(SeekFrom::Start(*off)).map_err(err)?;
                f(&mut Bounded::new(file.take(e.size), e.size)).map_err(err)
            }
            _ => Err(Error::new(ErrorKind::InvalidInput, "inconsistent bag listing")),
        }
    }
}

/// A reader that errors if its entry holds more than declared.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Bounded<R> {
    fn new(inner: R, size: u64) -> Self {
        Bounded { inner, left: size }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the entry holds more than its declared size",
                )),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// An entry as listed, before it is judged: its name, what it is, its
/// size, and where to read it.
struct Raw {
    name: String,
    regular: bool,
    what: &'static str,
    size: u64,
    compressed: Option<u64>,
    where_: Where,
}

fn list_dir(root: &Path) -> Result<Vec<Raw>> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().min_depth(1) {
        let e = e.map_err(|x| Error::new(ErrorKind::Io, format!("cannot list the bag: {x}")))?;
        let ft = e.file_type();
        if ft.is_dir() {
            continue;
        }
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        let name = rel.to_string_lossy().into_owned();
        let what = if ft.is_symlink() {
            "a symbolic link"
        } else if ft.is_file() {
            ""
        } else {
            "a device, FIFO or socket"
        };
        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(Raw {
            name,
            regular: ft.is_file(),
            what,
            size,
            compressed: None,
            where_: Where::Dir(e.path().to_owned()),
        });
    }
    Ok(out)
}

fn list_zip(path: &Path) -> Result<Vec<Raw>> {
    let bad = |x: zip::result::ZipError| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a readable zip: {x}", crate::text::shown(path)),
        )
    };
    let mut z =
        zip::ZipArchive::new(File::open(path).map_err(|e| Error::io("cannot read", path, e))?)
            .map_err(bad)?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(bad)?;
        let name = String::from_utf8_lossy(e.name_raw()).into_owned();
        if e.is_dir() {
            continue;
        }
        let mode = e.unix_mode().unwrap_or(0o100644);
        let kind = mode & 0o170000;
        let (regular, what) = match kind {
            0 | 0o100000 => (true, ""),
            0o120000 => (false, "a symbolic link"),
            _ => (false, "a device, FIFO or socket"),
        };
        out.push(Raw {
            name,
            regular,
            what,
            size: e.size(),
            compressed: Some(e.compressed_size()),
            where_: Where::Zip(i),
        });
    }
    Ok(out)
}

fn list_tar(path: &Path) -> Result<Vec<Raw>> {
    let bad = |x: io::Error| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a readable tar: {x}", crate::text::shown(path)),
        )
    };
    let mut a = tar::Archive::new(File::open(path).map_err(|e| Error::io("cannot read", path, e))?);
    let mut out = Vec::new();
    for e in a.entries().map_err(bad)? {
        let e = e.map_err(bad)?;
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let t = e.header().entry_type();
        if t.is_dir() {
            continue;
        }
        let (regular, what) = match t {
            tar::EntryType::Regular | tar::EntryType::Continuous => (true, ""),
            tar::EntryType::Symlink => (false, "a symbolic link"),
            tar::EntryType::Link => (false, "a hard link"),
            _ => (false, "a device, FIFO or other special entry"),
        };
        let size = e.header().size().map_err(bad)?;
        out.push(Raw {
            name,
            regular,
            what,
            size,
            compressed: None,
            where_: Where::Tar(e.raw_file_position()),
        });
    }
    Ok(out)
}

/// Judge every entry: the usable files, and a finding for each refused.
fn judge(path: &Path, kind: Kind, raw: Vec<Raw>) -> BagSource {
    // Packed under one top-level folder: read from inside it (an absolute
    // name is refused whatever it is, and decides nothing).
    let relative = || raw.iter().filter(|r| !r.name.starts_with('/'));
    let top = relative().next().and_then(|r| r.name.split_once('/')).map(|(t, _)| t.to_owned());
    let strip = match (&kind, top) {
        (Kind::Dir, _) | (_, None) => None,
        (_, Some(t)) => relative().all(|r| r.name.starts_with(&format!("{t}/"))).then_some(t),
    };
    let mut files = BTreeMap::new();
    let mut refused = Vec::new();
    for r in raw {
        let name = match &strip {
            Some(t) if !r.name.starts_with('/') => r.name[t.len() + 1..].to_owned(),
            _ => r.name.clone(),
        };
        let why = unsafe_name(&name)
            .map(str::to_owned)
            .or_else(|| (!r.regular).then(|| r.what.to_owned()))
            .or_else(|| {
                r.compressed.and_then(|c| {
                    (r.size > 1 << 20 && r.size / c.max(1) > MAX_RATIO).then(|| {
                        format!("declares {} bytes from {c} compressed: a zip bomb", r.size)
                    })
                })
            });
        match why {
            Some(w) => refused.push(hostile(&name, &w)),
            None => match files.entry(name) {
                std::collections::btree_map::Entry::Occupied(o) => {
                    refused.push(hostile(o.key(), "the name appears twice"));
                }
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(Entry { size: r.size, where_: r.where_ });
                }
            },
        }
    }
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let clash = colliding(&names);
    for (a, b) in &clash {
        refused.push(hostile(
            b,
            &format!(
                "it is the same name as {} after Unicode NFC and case folding",
                crate::text::quoted(a)
            ),
        ));
    }
    for (_, b) in clash {
        files.remove(&b);
    }
    BagSource { path: path.to_owned(), kind, files, refused }
}
