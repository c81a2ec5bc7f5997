//! The three digests a bag names every file by — SHA-256 and SHA-512 for
//! the BagIt manifests, BLAKE3 for custody's own — computed in one pass
//! (SHA-512 by OpenSSL's libcrypto: every byte of a bag is hashed with it,
//! and its assembly is 1.4× the portable implementation here),
//! and a spool: a tag file written to a temporary file while it is hashed,
//! so that evidence of any size is never held in memory.
//!
//! Must not: decide what a digest is checked against.

use std::io::{self, Read, Write};

use openssl::sha::Sha512;
use sha2::{Digest, Sha256};

/// A file's digests, lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256.
    pub sha256: String,
    /// SHA-512.
    pub sha512: String,
    /// BLAKE3.
    pub blake3: String,
    /// Bytes hashed.
    pub size: u64,
}

/// SHA-256, SHA-512 and BLAKE3 over one stream (each of the first two
/// may be left out: a payload file's SHA-256 is known from its signed
/// record once its BLAKE3 matches; a second pass over bytes already hashed
/// needs only BLAKE3, to prove they are the same bytes).
pub struct Hashers {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
    blake3: blake3::Hasher,
    size: u64,
}

impl Hashers {
    /// All three.
    pub fn new(sha256: bool) -> Hashers {
        Hashers::with(sha256, true)
    }

    /// BLAKE3, and SHA-256 / SHA-512 as asked.
    pub fn with(sha256: bool, sha512: bool) -> Hashers {
        Hashers {
            sha256: sha256.then(Sha256::new),
            sha512: sha512.then(Sha512::new),
            blake3: blake3::Hasher::new(),
            size: 0,
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, b: &[u8]) {
        if let Some(s) = self.sha256.as_mut() {
            s.update(b);
        }
        if let Some(s) = self.sha512.as_mut() {
            s.update(b);
        }
        self.blake3.update(b);
        self.size += b.len() as u64;
    }

    /// The digests (those left out are empty).
    pub fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.map(|s| hex::encode(s.finalize())).unwrap_or_default(),
            sha512: self.sha512.map(|s| hex::encode(s.finish())).unwrap_or_default(),
            blake3: self.blake3.finalize().to_hex().to_string(),
            size: self.size,
        }
    }
}

/// Digests of bytes in memory.
pub fn of(bytes: &[u8]) -> Digests {
    let mut h = Hashers::new(true);
    h.update(bytes);
    h.finish()
}

/// Hashes every byte read through it.
pub struct HashingReader<'a, R> {
    inner: R,
    hashers: &'a mut Hashers,
}

impl<'a, R: Read> HashingReader<'a, R> {
    /// Hash what `inner` gives.
    pub fn new(inner: R, hashers: &'a mut Hashers) -> Self {
        HashingReader { inner, hashers }
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hashers.update(&buf[..n]);
        Ok(n)
    }
}

/// A tag file being written: spooled to a temporary file and hashed.
pub struct Spool {
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    hashers: Hashers,
}

impl Spool {
    /// A new spool in `dir`.
    pub fn new(dir: &std::path::Path) -> io::Result<Spool> {
        Ok(Spool {
            file: std::io::BufWriter::new(tempfile::NamedTempFile::new_in(dir)?),
            hashers: Hashers::new(true),
        })
    }

    /// Append bytes.
    pub fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.hashers.update(b);
        self.file.write_all(b)
    }

    /// The spooled file, rewound, and its digests.
    pub fn finish(self) -> io::Result<(tempfile::NamedTempFile, Digests)> {
        use std::io::Seek;
        let mut f = self.file.into_inner().map_err(|e| e.into_error())?;
        f.as_file_mut().rewind()?;
        Ok((f, self.hashers.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let d = of(b"abc");
        assert_eq!(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(
            d.sha512
                .starts_with("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a")
        );
        assert_eq!(d.blake3, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
        assert_eq!(d.size, 3);
    }
}
