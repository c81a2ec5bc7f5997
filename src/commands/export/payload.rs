//! A bag's payload: every object's original bytes streamed out of the
//! store, verified (BLAKE3 and size) as they go, hashed with SHA-512 (the
//! SHA-256 is the signed record's, once the BLAKE3 matches). A directory
//! bag's files are copied (in the kernel where the object is stored plain)
//! and hashed back by the workers, both cores busy, their writeback started
//! at once; a zip's or
//! tar's are packed by the calling thread while the workers hash.
//!
//! Must not: write a byte it has not verified, or hold an object in memory.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::gather::{Objects, unverifiable};
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
pub(super) struct Payload {
    pub bag: Objects,
}

impl Payload {
    /// Stream every object out, verifying it and computing its SHA-512
    /// (its SHA-256 is its signed record's, once its BLAKE3 matches). A
    /// directory bag's files are written, made durable and hashed back by
    /// the workers; a zip's or tar's are packed by this thread while the
    /// workers hash.
    pub fn write(
        &self,
        store: &Store,
        sink: &mut Sink,
        threads: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<PayloadFile>> {
        let objects: Vec<&ObjectRow> = self.bag.objects.values().collect();
        progress.begin(objects.len() as u64, objects.iter().map(|o| o.size.max(0) as u64).sum());
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<Result<PayloadFile>>> = Mutex::new(Vec::new());
        let to: Vec<Option<PathBuf>> =
            objects.iter().map(|o| sink.file_path(&self.bag.names[&o.blake3])).collect();
        let direct = to.iter().all(Option::is_some);
        let packed = std::thread::scope(|s| {
            for _ in 0..workers(threads).min(objects.len().max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(o) = objects.get(i) else { break };
                        let r = match &to[i] {
                            Some(p) => self.copy_object(store, o, p, progress),
                            None => self.hash_object(store, o, progress),
                        };
                        if let Ok(mut d) = done.lock() {
                            d.push(r);
                        }
                    }
                });
            }
            if direct {
                return Ok(());
            }
            let packed = objects.iter().try_for_each(|o| self.pack_object(store, sink, o));
            if packed.is_err() {
                next.store(usize::MAX / 2, Ordering::Relaxed); // stop handing out work
            }
            packed
        });
        progress.finish();
        let mut files: Vec<PayloadFile> =
            done.into_inner().unwrap_or_default().into_iter().collect::<Result<_>>()?;
        packed?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// A directory bag's file: the object's bytes copied to `to` (in the
    /// kernel for a plain object, decoded for a compressed one), read back
    /// and hashed — what is verified is the very file in the bag — and its
    /// writeback started.
    fn copy_object(
        &self,
        store: &Store,
        o: &ObjectRow,
        to: &Path,
        progress: &dyn Progress,
    ) -> Result<PayloadFile> {
        let (id, enc) = ids(o)?;
        let write_err = |e| Error::io("cannot write", to, e);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
        }
        let mut out = std::fs::File::create_new(to).map_err(write_err)?;
        let copied = match enc {
            Encoding::None => {
                store.open(&id, enc).and_then(|mut f| std::io::copy(&mut f, &mut out))
            }
            Encoding::Zstd => store.open_decoded(&id, enc).and_then(|mut r| {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut out);
                let n = std::io::copy(&mut r, &mut w)?;
                w.flush()?;
                Ok(n)
            }),
        };
        if copied.is_err() {
            return Err(damaged(store, o));
        }
        let mut h = Hashers::with(false, true);
        let mut back = std::fs::File::open(to).map_err(|e| Error::io("cannot read back", to, e))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = back.read(&mut buf).map_err(|e| Error::io("cannot read back", to, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            progress.advance(n as u64);
        }
        // Start writing it to disk now, while other files are hashed (the
        // sink makes the whole bag durable at the end, before its rename).
        let _ = rustix::fs::fadvise(&out, 0, None, rustix::fs::Advice::DontNeed);
        let mut digests = h.finish();
        if digests.blake3 != o.blake3 || digests.size as i64 != o.size {
            return Err(damaged(store, o));
        }
        digests.sha256.clone_from(&o.sha256);
        Ok(PayloadFile { path: self.bag.names[&o.blake3].clone(), digests })
    }

    /// A zip's or tar's file: the object read back and hashed (the packing
    /// thread checks the bytes it packs against the same BLAKE3).
    fn hash_object(
        &self,
        store: &Store,
        o: &ObjectRow,
        progress: &dyn Progress,
    ) -> Result<PayloadFile> {
        let (id, enc) = ids(o)?;
        let mut h = Hashers::with(false, true);
        let mut buf = vec![0u8; 1 << 20];
        let rb = store.read_back(&id, enc, false, &mut buf, &mut |b| {
            h.update(b);
            progress.advance(b.len() as u64);
            Ok(())
        });
        let intact = matches!(&rb, Ok(ReadBack::Read { blake3, len, .. }) if *blake3 == id && *len as i64 == o.size);
        if !intact {
            return Err(damaged(store, o));
        }
        let mut digests = h.finish();
        digests.sha256.clone_from(&o.sha256);
        Ok(PayloadFile { path: self.bag.names[&o.blake3].clone(), digests })
    }

    /// Add one object to a zip or tar, verifying its BLAKE3 as it streams
    /// (the bytes packed are the bytes hashed, not merely the same file).
    fn pack_object(&self, store: &Store, sink: &mut Sink, o: &ObjectRow) -> Result<()> {
        let (id, enc) = ids(o)?;
        let mut h = Hashers::with(false, false);
        let reader = store.open_decoded(&id, enc).map_err(|_| damaged(store, o))?;
        let mut r = HashingReader::new(reader, &mut h);
        sink.add(&self.bag.names[&o.blake3], o.size.max(0) as u64, &mut r)?;
        let d = h.finish();
        if d.blake3 != o.blake3 || d.size as i64 != o.size {
            return Err(damaged(store, o));
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
