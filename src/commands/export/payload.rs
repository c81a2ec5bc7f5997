//! A bag's payload: every object's original bytes streamed out of the
//! store, verified (BLAKE3 and size) as they go, hashed with SHA-512 (the
//! SHA-256 is the signed record's, once the BLAKE3 matches). A directory
//! bag's files are written by the workers, both cores busy; a zip's or
//! tar's are packed by the calling thread after the workers hashed them.
//!
//! Must not: write a byte it has not verified, or hold an object in memory.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::gather::{Gathered, unverifiable};
use crate::archive::Archive;
use crate::audit::objects::check_object;
use crate::bundle::hashing::{Digests, Hashers, HashingReader};
use crate::bundle::sink::Sink;
use crate::db::ObjectRow;
use crate::error::{Error, ErrorKind, Result};
use crate::id::{Encoding, ObjectId};
use crate::progress::{Progress, workers};
use crate::store::{ReadBack, Store};

/// A payload file written: its digests.
pub(super) struct PayloadFile {
    pub path: String,
    pub digests: Digests,
}

/// Writes the payload of one bag.
pub(super) struct Payload<'a> {
    pub bag: &'a Gathered,
}

impl Payload<'_> {
    /// Stream every object out, verifying its BLAKE3 and size as it goes
    /// and computing SHA-512 (its SHA-256 is its signed record's, once
    /// its BLAKE3 matches). A directory bag's files are written by the
    /// workers; a zip's or tar's by this thread after the workers hashed.
    pub fn write(
        &self,
        archive: &Archive,
        sink: &mut Sink,
        threads: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<PayloadFile>> {
        let objects: Vec<&ObjectRow> = self.bag.objects.values().collect();
        progress.begin(objects.len() as u64, objects.iter().map(|o| o.size.max(0) as u64).sum());
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<Result<PayloadFile>>> = Mutex::new(Vec::new());
        let direct = sink.file_path("data").is_some();
        let sink_ref = &*sink;
        let store = &archive.store;
        std::thread::scope(|s| {
            for _ in 0..workers(threads).min(objects.len().max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(o) = objects.get(i) else { break };
                        let to = if direct {
                            sink_ref.file_path(&self.bag.names[&o.blake3])
                        } else {
                            None
                        };
                        let r = self.hash_object(store, o, to, progress);
                        if let Ok(mut d) = done.lock() {
                            d.push(r);
                        }
                    }
                });
            }
        });
        progress.finish();
        let mut files: Vec<PayloadFile> =
            done.into_inner().unwrap_or_default().into_iter().collect::<Result<_>>()?;
        if !direct {
            for o in &objects {
                self.pack_object(archive, sink, o)?;
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Read one object back (to `to`, for a directory bag), hashing it.
    fn hash_object(
        &self,
        store: &Store,
        o: &ObjectRow,
        to: Option<PathBuf>,
        progress: &dyn Progress,
    ) -> Result<PayloadFile> {
        let path = self.bag.names[&o.blake3].clone();
        let (id, enc) = ids(o)?;
        let mut file = match &to {
            Some(p) => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
                }
                let f =
                    std::fs::File::create_new(p).map_err(|e| Error::io("cannot write", p, e))?;
                Some(std::io::BufWriter::with_capacity(1 << 20, f))
            }
            None => None,
        };
        let mut h = Hashers::with(false, true);
        let mut buf = vec![0u8; 1 << 20];
        let rb = store.read_back(&id, enc, false, &mut buf, &mut |b| {
            h.update(b);
            progress.advance(b.len() as u64);
            match file.as_mut() {
                Some(f) => f.write_all(b),
                None => Ok(()),
            }
        });
        let intact = matches!(&rb, Ok(ReadBack::Read { blake3, len, .. }) if *blake3 == id && *len as i64 == o.size);
        if !intact {
            return Err(damaged(store, o));
        }
        if let (Some(f), Some(p)) = (file, &to) {
            f.into_inner().map_err(|e| Error::io("cannot write", p, e.into_error()))?;
        }
        let mut digests = h.finish();
        digests.sha256.clone_from(&o.sha256);
        Ok(PayloadFile { path, digests })
    }

    /// Add one object to a zip or tar, verifying its BLAKE3 as it streams
    /// (the bytes packed are the bytes hashed, not merely the same file).
    fn pack_object(&self, archive: &Archive, sink: &mut Sink, o: &ObjectRow) -> Result<()> {
        let (id, enc) = ids(o)?;
        let mut h = Hashers::with(false, false);
        let reader =
            archive.store.open_decoded(&id, enc).map_err(|_| damaged(&archive.store, o))?;
        let mut r = HashingReader::new(reader, &mut h);
        sink.add(&self.bag.names[&o.blake3], o.size.max(0) as u64, &mut r)?;
        let d = h.finish();
        if d.blake3 != o.blake3 || d.size as i64 != o.size {
            return Err(damaged(&archive.store, o));
        }
        Ok(())
    }
}

/// The audit's finding for a damaged object, as an error.
fn damaged(store: &Store, o: &ObjectRow) -> Error {
    let mut buf = vec![0u8; 1 << 20];
    match check_object(store, o, false, &mut buf).0 {
        Some(f) => unverifiable(format!("object {}", o.blake3), &f),
        None => Error::new(
            ErrorKind::Integrity,
            format!("object {} changed while it was exported", o.blake3),
        )
        .hint("run `custody audit`, then export again"),
    }
}

fn ids(o: &ObjectRow) -> Result<(ObjectId, Encoding)> {
    let id: ObjectId = o.blake3.parse()?;
    let enc = Encoding::parse(&o.encoding).ok_or_else(|| {
        Error::new(ErrorKind::Integrity, format!("object {} has an unknown encoding", o.blake3))
            .hint("run `custody audit`")
    })?;
    Ok((id, enc))
}
