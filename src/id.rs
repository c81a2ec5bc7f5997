//! Identifiers: `ObjectId` (BLAKE3 of the original bytes) and
//! `Sha256Digest` as newtypes shown as lowercase hex; `DigestSet`, the
//! `{blake3, sha256}` pair by which records, claims and custody events name
//! an object; and `Encoding`, how an object's bytes are kept (plain or one
//! zstd frame).
//!
//! Must not: do I/O or hashing of files (see `crypto` and `store`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

macro_rules! digest_newtype {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A 32-byte ", $what, " digest, displayed as lowercase hex.")]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// Lowercase hex (64 characters).
            pub fn to_hex(self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let mut out = [0u8; 32];
                if s.len() != 64 || hex::decode_to_slice(s, &mut out).is_err() {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(concat!("{:?} is not a ", $what, " digest"), s),
                    )
                    .hint("expected 64 lowercase hex characters"));
                }
                Ok($name(out))
            }
        }
    };
}

digest_newtype!(ObjectId, "blake3");
digest_newtype!(Sha256Digest, "sha256");

/// The digest pair an object is named by in signed records, claims and
/// custody events (the in-toto subject digest set).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DigestSet {
    /// BLAKE3 hex.
    pub blake3: String,
    /// SHA-256 hex.
    pub sha256: String,
}

/// How an object's bytes are kept on disk; its name is the one the
/// database and reports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum Encoding {
    /// The original bytes, as they are.
    None,
    /// One standard zstd frame (RFC 8878) of the original bytes.
    Zstd,
}

impl Encoding {
    /// The name used in the database and reports.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parse the database name.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_hex() {
        let hex64 = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
        let id: ObjectId = hex64.parse().unwrap();
        assert_eq!(id.to_string(), hex64);
        assert!("af13".parse::<ObjectId>().is_err());
        assert!(hex64.replace('a', "g").parse::<ObjectId>().is_err());
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::Zstd.as_str(), "zstd");
        assert_eq!(Encoding::parse("none"), Some(Encoding::None));
        assert_eq!(Encoding::parse("gzip"), None);
    }
}
