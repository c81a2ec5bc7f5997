//! Hashing, signing and verifying, with no I/O: BLAKE3 + SHA-256 digests of
//! content, the DSSE pre-authentication encoding (PAE), Ed25519 sign and
//! strict verify (one at a time, or many at once with the same verdicts),
//! and key ids.
//!
//! Every signature is over a PAE (DSSE's domain separation: payload type and
//! lengths are bound into the signed bytes). Key ids follow the TUF /
//! securesystemslib convention so an independent verifier computes the same.
//!
//! Must not: touch files, the database or the clock.

pub mod keyfile;

use std::collections::HashMap;

use curve25519_dalek::edwards::CompressedEdwardsY;
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

/// One signature to check: `sig` by `key` over `msg`.
pub struct SignedMessage<'a> {
    /// The signer's key.
    pub key: &'a PublicKey,
    /// The signed bytes.
    pub msg: &'a [u8],
    /// The signature (64 bytes, or it fails).
    pub sig: &'a [u8],
}

/// Signatures checked in one batch equation: large enough for the
/// multiscalar multiplication to pay, small enough that a batch with a bad
/// signature (checked again one by one) costs little.
const BATCH: usize = 64;

/// Whether each signature verifies, with `PublicKey::verify`'s (strict)
/// verdict, reached many at a time on `threads` threads (0 = one).
///
/// A batch equation (ed25519-dalek's `verify_batch`) does not make the
/// checks strict verification makes, so they are made first: each key once
/// for a valid encoding and small order (weak keys), each signature for
/// its length, a canonical `s`, and an `R` that decompresses, is encoded
/// canonically and is not of small order; what fails one of them is false,
/// as strict verification would have it. A batch that fails is checked
/// again one signature at a time, so a bad signature is named exactly.
/// (What a batch still accepts and strict verification does not: an `R`
/// with a torsion component added to a valid one, with probability at most
/// one half per batch — the same signer's signature over the same message,
/// re-encoded, not a forgery. SECURITY.md says so.)
pub fn verify_many(items: &[SignedMessage<'_>], threads: usize) -> Vec<bool> {
    let per = items.len().div_ceil(threads.max(1)).max(BATCH);
    let mut out = vec![false; items.len()];
    std::thread::scope(|s| {
        for (part, verdicts) in items.chunks(per).zip(out.chunks_mut(per)) {
            s.spawn(move || verify_part(part, verdicts));
        }
    });
    out
}

/// `verify_many` on one thread.
fn verify_part(items: &[SignedMessage<'_>], out: &mut [bool]) {
    let mut keys: HashMap<[u8; 32], Option<VerifyingKey>> = HashMap::new();
    let mut batch: Vec<(usize, VerifyingKey, ed25519_dalek::Signature)> = Vec::with_capacity(BATCH);
    for (i, item) in items.iter().enumerate() {
        let key = *keys
            .entry(item.key.0)
            .or_insert_with(|| VerifyingKey::from_bytes(&item.key.0).ok().filter(|k| !k.is_weak()));
        let (Some(key), Some(sig)) = (key, strict_signature(item.sig)) else { continue };
        batch.push((i, key, sig));
        if batch.len() == BATCH {
            verify_batch(items, &batch, out);
            batch.clear();
        }
    }
    verify_batch(items, &batch, out);
}

/// A signature that passes the checks strict verification makes before its
/// equation: 64 bytes, canonical `s`, `R` canonical and not of small order.
fn strict_signature(bytes: &[u8]) -> Option<ed25519_dalek::Signature> {
    let sig = ed25519_dalek::Signature::from_slice(bytes).ok()?;
    let r = CompressedEdwardsY(*sig.r_bytes());
    let point = r.decompress()?;
    let canonical_s = curve25519_dalek::Scalar::from_canonical_bytes(*sig.s_bytes());
    (bool::from(canonical_s.is_some()) && point.compress() == r && !point.is_small_order())
        .then_some(sig)
}

/// Verify one batch; if it fails, each of its signatures on its own.
fn verify_batch(
    items: &[SignedMessage<'_>],
    batch: &[(usize, VerifyingKey, ed25519_dalek::Signature)],
    out: &mut [bool],
) {
    if batch.is_empty() {
        return;
    }
    let msgs: Vec<&[u8]> = batch.iter().map(|(i, _, _)| items[*i].msg).collect();
    let sigs: Vec<ed25519_dalek::Signature> = batch.iter().map(|b| b.2).collect();
    let keys: Vec<VerifyingKey> = batch.iter().map(|b| b.1).collect();
    let all = ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok();
    for (i, key, sig) in batch {
        out[*i] = all || key.verify_strict(items[*i].msg, sig).is_ok();
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

    /// `n` signatures by a few keys over distinct messages.
    fn signed(n: usize) -> (Vec<PublicKey>, Vec<Vec<u8>>, Vec<[u8; 64]>) {
        let keys: Vec<SecretKey> = (0..3u8).map(|i| SecretKey::from_seed(&[i + 1; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| format!("record {i}").into_bytes()).collect();
        let sigs = msgs.iter().enumerate().map(|(i, m)| keys[i % 3].sign(m)).collect();
        let publics = (0..n).map(|i| keys[i % 3].public()).collect();
        (publics, msgs, sigs)
    }

    fn many(keys: &[PublicKey], msgs: &[Vec<u8>], sigs: &[[u8; 64]], threads: usize) -> Vec<bool> {
        let items: Vec<SignedMessage<'_>> = (0..msgs.len())
            .map(|i| SignedMessage { key: &keys[i], msg: &msgs[i], sig: &sigs[i] })
            .collect();
        verify_many(&items, threads)
    }

    #[test]
    fn many_at_once_gives_each_signature_its_own_verdict() {
        let (keys, mut msgs, mut sigs) = signed(300);
        assert!(many(&keys, &msgs, &sigs, 2).iter().all(|&ok| ok));
        // One altered message and one altered signature, each in a batch
        // of good ones: only they fail (the batch is checked one by one).
        msgs[70].push(b'!');
        sigs[200][40] ^= 1;
        let verdicts = many(&keys, &msgs, &sigs, 2);
        let bad: Vec<usize> = (0..300).filter(|&i| !verdicts[i]).collect();
        assert_eq!(bad, [70, 200]);
        for threads in [0, 1, 7] {
            assert_eq!(many(&keys, &msgs, &sigs, threads), verdicts);
        }
    }

    #[test]
    fn many_at_once_rejects_what_strict_verification_rejects() {
        // The identity as the key, R the identity and s = 0: the batch
        // equation holds for every message (as plain, non-strict
        // verification would accept); strict verification rejects the
        // small-order key, and so must the batch.
        let weak = PublicKey({
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        });
        let mut forged = [0u8; 64];
        forged[0] = 1;
        assert!(!weak.verify(b"anything", &forged));
        let (mut keys, msgs, mut sigs) = signed(10);
        keys[4] = weak;
        sigs[4] = forged;
        // A non-canonical s (s + l) over a good R: strict rejects it.
        let l: [u8; 32] =
            hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
                .unwrap()
                .try_into()
                .unwrap();
        let mut carry = 0u16;
        for (b, add) in sigs[6][32..].iter_mut().zip(l) {
            let v = u16::from(*b) + u16::from(add) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        assert!(!keys[6].verify(&msgs[6], &sigs[6]));
        let verdicts = many(&keys, &msgs, &sigs, 1);
        assert_eq!((0..10).filter(|&i| !verdicts[i]).collect::<Vec<_>>(), [4, 6]);
    }

    #[test]
    fn many_at_once_agrees_with_strict_verification_on_mutations() {
        // Every single-bit flip of a signature, a key and a message: the
        // batch verdict equals verify_strict's.
        let (keys, msgs, sigs) = signed(3);
        let mut cases: Vec<(PublicKey, Vec<u8>, [u8; 64])> = Vec::new();
        for bit in 0..512 {
            let mut s = sigs[0];
            s[bit / 8] ^= 1 << (bit % 8);
            cases.push((keys[0], msgs[0].clone(), s));
        }
        for bit in 0..256 {
            let mut k = keys[1];
            k.0[bit / 8] ^= 1 << (bit % 8);
            cases.push((k, msgs[1].clone(), sigs[1]));
        }
        for bit in 0..64 {
            let mut m = msgs[2].clone();
            m[bit / 8] ^= 1 << (bit % 8);
            cases.push((keys[2], m, sigs[2]));
        }
        cases.push((keys[2], msgs[2].clone(), sigs[2]));
        let items: Vec<SignedMessage<'_>> =
            cases.iter().map(|(k, m, s)| SignedMessage { key: k, msg: m, sig: s }).collect();
        let verdicts = verify_many(&items, 2);
        for (i, (k, m, s)) in cases.iter().enumerate() {
            assert_eq!(verdicts[i], k.verify(m, s), "case {i}");
        }
        assert!(verdicts[cases.len() - 1]);
    }
}
