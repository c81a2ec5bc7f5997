//! Hashing, signing and verifying, with no I/O: BLAKE3 + SHA-256 digests of
//! content, the DSSE pre-authentication encoding (PAE), Ed25519 sign and
//! strict verify, and key ids.
//!
//! Every signature is over a PAE (DSSE's domain separation: payload type and
//! lengths are bound into the signed bytes). Key ids follow the TUF /
//! securesystemslib convention so an independent verifier computes the same.
//!
//! Must not: touch files, the database or the clock.

pub mod keyfile;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::id::{ObjectId, Sha256Digest};

/// DSSE pre-authentication encoding, per
/// <https://github.com/secure-systems-lab/dsse/blob/master/protocol.md>:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
/// decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// BLAKE3 and SHA-256 computed over the same stream of bytes.
#[derive(Default)]
pub struct DualHasher {
    blake3: blake3::Hasher,
    sha256: Sha256,
    len: u64,
}

impl DualHasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed the next bytes.
    pub fn update(&mut self, buf: &[u8]) {
        self.blake3.update(buf);
        self.sha256.update(buf);
        self.len += buf.len() as u64;
    }

    /// The object id, SHA-256 and length of everything fed.
    pub fn finish(self) -> (ObjectId, Sha256Digest, u64) {
        let b = *self.blake3.finalize().as_bytes();
        let s: [u8; 32] = self.sha256.finalize().into();
        (ObjectId(b), Sha256Digest(s), self.len)
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parse 32 bytes of hex, refusing weak or malformed points.
    pub fn from_hex(what: &str, s: &str) -> Result<Self> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut b).map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{what}: public key is not 64 hex characters"),
            )
        })?;
        let vk = VerifyingKey::from_bytes(&b).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("{what}: not a valid ed25519 public key"))
                .source_err(e)
        })?;
        if vk.is_weak() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{what}: ed25519 public key is a weak (small-order) point"),
            ));
        }
        Ok(PublicKey(b))
    }

    /// Lowercase hex of the 32 bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key id: SHA-256 over the securesystemslib canonical JSON of the
    /// key (`{"keytype":"ed25519","keyval":{"public":HEX},"scheme":"ed25519"}`),
    /// so TUF / in-toto tooling derives the same id independently.
    pub fn keyid(&self) -> String {
        let canonical = format!(
            r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
            self.to_hex()
        );
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Strictly verify `sig` over `msg` (rejects malleable and small-order
    /// signatures, per ed25519-dalek `verify_strict`).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(vk) = VerifyingKey::from_bytes(&self.0) else { return false };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else { return false };
        vk.verify_strict(msg, &sig).is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// An Ed25519 signing key held in memory only while it is used.
pub struct SecretKey {
    signing: SigningKey,
}

impl SecretKey {
    /// A new random key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            Error::new(ErrorKind::Crypto, format!("cannot read the system random generator: {e}"))
        })?;
        Ok(Self::from_seed(&seed))
    }

    /// The key for a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey { signing: SigningKey::from_bytes(seed) }
    }

    /// The seed (only for writing the key file).
    pub(crate) fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Sign `msg` (callers pass a PAE, never bare payload bytes).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

/// Fill `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| {
        Error::new(ErrorKind::Crypto, format!("cannot read the system random generator: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // protocol.md, "Test vectors" (DSSE v1.0).
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn dual_hash_known_answers() {
        let h = DualHasher::new();
        let (b, s, n) = h.finish();
        assert_eq!(b.to_hex(), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        assert_eq!(s.to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(n, 0);
        let mut h = DualHasher::new();
        h.update(b"ab");
        h.update(b"c");
        let (b, s, n) = h.finish();
        assert_eq!(b.to_hex(), "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
        assert_eq!(s.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(n, 3);
    }

    #[test]
    fn rfc8032_test_1_signs_and_verifies() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let k = SecretKey::from_seed(&seed);
        assert_eq!(
            k.public().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = k.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(k.public().verify(b"", &sig));
        assert!(!k.public().verify(b"x", &sig));
    }
}
