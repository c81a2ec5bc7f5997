//! How an object's original bytes become its stored bytes and back: plain,
//! or one standard zstd frame (RFC 8878) with its own content checksum, so
//! `zstd -d` alone detects damage. Writing a large object nudges the kernel
//! to start writeback of each chunk, so the batch's `syncfs` finds little
//! left.
//!
//! Must not: name, place or fsync objects (that is the store's put path),
//! or decide whether to compress (that is `media::should_compress`).

use std::fs::File;
use std::io::{self, Read, Write};

use crate::id::Encoding;

/// zstd level used for objects: fast, with most of the gain on text.
pub const ZSTD_LEVEL: i32 = 3;

enum Out {
    Plain(File),
    Zstd(zstd::stream::Encoder<'static, File>),
}

/// Original bytes past which each write starts the writeback of what is
/// written. A smaller object is left to the batch's one `syncfs`, which
/// writes a batch of small files far faster than one request each.
const NUDGE_AFTER: u64 = 1 << 20;

/// Writes original bytes into a staged file in its encoding.
pub struct ObjectWriter {
    out: Out,
    /// Original bytes written so far.
    written: u64,
}

impl ObjectWriter {
    /// Encode into `file` as `enc`.
    pub fn new(file: File, enc: Encoding) -> io::Result<ObjectWriter> {
        let out = match enc {
            Encoding::None => Out::Plain(file),
            Encoding::Zstd => {
                let mut z = zstd::stream::Encoder::new(file, ZSTD_LEVEL)?;
                // The frame's own XXH64 content checksum: `zstd -d` verifies it too.
                z.include_checksum(true)?;
                Out::Zstd(z)
            }
        };
        Ok(ObjectWriter { out, written: 0 })
    }

    /// Write the next original bytes; past `NUDGE_AFTER`, start writeback
    /// of what is written so far (and drop what is already clean from the
    /// page cache): disk writes overlap hashing.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        let file = match &mut self.out {
            Out::Plain(f) => {
                f.write_all(buf)?;
                &*f
            }
            Out::Zstd(z) => {
                z.write_all(buf)?;
                z.get_ref()
            }
        };
        self.written += buf.len() as u64;
        if self.written >= NUDGE_AFTER {
            let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
        }
        Ok(())
    }

    /// End the encoding (a zstd frame's end is written here; its error
    /// must not be lost).
    pub fn finish(self) -> io::Result<()> {
        match self.out {
            Out::Plain(mut f) => f.flush(),
            Out::Zstd(z) => z.finish()?.flush(),
        }
    }
}

/// The original bytes of a stored file of encoding `enc`. Not
/// `single_frame()`: bytes appended after the frame must fail to decode.
pub fn decoder(file: File, enc: Encoding) -> io::Result<Box<dyn Read>> {
    Ok(match enc {
        Encoding::None => Box::new(file),
        Encoding::Zstd => Box::new(zstd::stream::Decoder::new(file)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_round_trip_is_a_standard_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.zst");
        let text = "the citadel gate at dawn, residents reported. ".repeat(100);
        let mut w = ObjectWriter::new(File::create(&path).unwrap(), Encoding::Zstd).unwrap();
        w.write(text.as_bytes()).unwrap();
        w.finish().unwrap();
        let stored = std::fs::read(&path).unwrap();
        assert_eq!(&stored[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
        assert_eq!(zstd::decode_all(&stored[..]).unwrap(), text.as_bytes());
        let mut back = String::new();
        decoder(File::open(&path).unwrap(), Encoding::Zstd)
            .unwrap()
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}
