//! C2SP signed notes (`signed-note`, Ed25519 type 0x01), checkpoints
//! (`tlog-checkpoint`), Ed25519 cosignatures (`tlog-cosignature`,
//! `cosignature/v1`, type 0x04) and verifier keys (`vkey`).
//!
//! A note is text (lines ending in `\n`), a blank line, then signature lines
//! `— <key name> <base64(4-byte key id || signature)>`. The key id is
//! `SHA-256(name || "\n" || type || public key)[:4]`.
//!
//! Must not: trust a signature line whose name and key id do not both match
//! the key it is checked with; accept a note that breaks the format.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::crypto::{PublicKey, SecretKey};

use super::merkle::Hash;

/// Signature type of Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type of Ed25519 `cosignature/v1`.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
const DASH: &str = "\u{2014} ";
const MAX_NOTE: usize = 1 << 20;

/// Whether `name` is a valid key name: non-empty, no spaces, no `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The 4-byte key id of a key of signature type `alg`.
pub fn key_id(name: &str, alg: u8, public: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public.0);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A verifier key string: `<name>+<hex key id>+<base64(type || key)>`.
pub fn vkey(name: &str, alg: u8, public: &PublicKey) -> String {
    let mut material = vec![alg];
    material.extend_from_slice(&public.0);
    format!("{name}+{}+{}", hex::encode(key_id(name, alg, public)), B64.encode(material))
}

/// A parsed verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vkey {
    /// Key name.
    pub name: String,
    /// Signature type (0x01 note signer, 0x04 cosigner).
    pub alg: u8,
    /// The public key.
    pub public: PublicKey,
}

/// Parse a verifier key string, checking its key id.
pub fn parse_vkey(s: &str) -> Result<Vkey, String> {
    let s = s.trim();
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a verifier key is NAME+KEYID+KEY".into());
    };
    if !valid_name(name) {
        return Err(format!("{name:?} is not a valid key name"));
    }
    let material = B64.decode(key).map_err(|_| "the key part is not base64".to_owned())?;
    let (alg, raw) = material.split_first().ok_or("the key part is empty")?;
    if *alg != ALG_ED25519 && *alg != ALG_COSIGNATURE_V1 {
        return Err(format!(
            "signature type {alg:#04x} is not Ed25519 (0x01) or cosignature/v1 (0x04)"
        ));
    }
    let public =
        PublicKey::from_hex("verifier key", &hex::encode(raw)).map_err(|e| e.to_string())?;
    if hex::encode(key_id(name, *alg, &public)) != id.to_ascii_lowercase() {
        return Err("the key id does not match the name and key".into());
    }
    Ok(Vkey { name: name.into(), alg: *alg, public })
}

/// A signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigLine {
    /// Key name.
    pub name: String,
    /// Key id.
    pub id: [u8; 4],
    /// What follows the key id (signature, or timestamp + signature).
    pub sig: Vec<u8>,
}

impl SigLine {
    /// The line, with its trailing newline.
    pub fn to_line(&self) -> String {
        let mut b = self.id.to_vec();
        b.extend_from_slice(&self.sig);
        format!("{DASH}{} {}\n", self.name, B64.encode(b))
    }
}

/// A signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline.
    pub text: String,
    /// Signature lines, in order.
    pub sigs: Vec<SigLine>,
}

impl Note {
    /// Parse a signed note.
    pub fn parse(bytes: &[u8]) -> Result<Note, String> {
        if bytes.len() > MAX_NOTE {
            return Err("the note is too large".into());
        }
        let s = std::str::from_utf8(bytes).map_err(|_| "the note is not UTF-8".to_owned())?;
        if s.chars().any(|c| c < ' ' && c != '\n') {
            return Err("the note contains control characters".into());
        }
        let (text, sigs) = s.rsplit_once("\n\n").ok_or("no blank line before the signatures")?;
        let text = format!("{text}\n");
        if !sigs.ends_with('\n') || sigs.is_empty() {
            return Err("the signature block does not end in a newline".into());
        }
        let mut out = Vec::new();
        for line in sigs.trim_end_matches('\n').split('\n') {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| format!("{line:?} is not a signature line"))?;
            let (name, b64) =
                rest.split_once(' ').ok_or_else(|| format!("{line:?} has no signature"))?;
            if !valid_name(name) {
                return Err(format!("{name:?} is not a valid key name"));
            }
            let raw = B64.decode(b64).map_err(|_| format!("signature of {name} is not base64"))?;
            if raw.len() < 5 {
                return Err(format!("signature of {name} is too short"));
            }
            out.push(SigLine {
                name: name.into(),
                id: [raw[0], raw[1], raw[2], raw[3]],
                sig: raw[4..].to_vec(),
            });
        }
        Ok(Note { text, sigs: out })
    }

    /// The note as text.
    pub fn to_text(&self) -> String {
        let mut s = self.text.clone();
        s.push('\n');
        for l in &self.sigs {
            s.push_str(&l.to_line());
        }
        s
    }

    /// Add an Ed25519 signature by `name`.
    pub fn sign(&mut self, name: &str, key: &SecretKey) {
        let sig = key.sign(self.text.as_bytes());
        self.sigs.push(SigLine {
            name: name.into(),
            id: key_id(name, ALG_ED25519, &key.public()),
            sig: sig.to_vec(),
        });
    }

    /// Whether a signature line by (`name`, `public`) verifies.
    pub fn verified_by(&self, name: &str, public: &PublicKey) -> bool {
        let id = key_id(name, ALG_ED25519, public);
        self.sigs
            .iter()
            .any(|s| s.name == name && s.id == id && public.verify(self.text.as_bytes(), &s.sig))
    }

    /// Add a `cosignature/v1` by `name` at `timestamp` (POSIX seconds).
    pub fn cosign(&mut self, name: &str, key: &SecretKey, timestamp: u64) {
        let sig = key.sign(&cosigned_message(&self.text, timestamp));
        let mut body = timestamp.to_be_bytes().to_vec();
        body.extend_from_slice(&sig);
        self.sigs.push(SigLine {
            name: name.into(),
            id: key_id(name, ALG_COSIGNATURE_V1, &key.public()),
            sig: body,
        });
    }

    /// The timestamp and line of a verifying cosignature by (`name`, `public`).
    pub fn cosigned_by(&self, name: &str, public: &PublicKey) -> Option<(u64, &SigLine)> {
        let id = key_id(name, ALG_COSIGNATURE_V1, public);
        self.sigs.iter().filter(|s| s.name == name && s.id == id && s.sig.len() == 72).find_map(
            |s| {
                let mut t = [0u8; 8];
                t.copy_from_slice(&s.sig[..8]);
                let ts = u64::from_be_bytes(t);
                let ok =
                    ts < 1 << 63 && public.verify(&cosigned_message(&self.text, ts), &s.sig[8..]);
                ok.then_some((ts, s))
            },
        )
    }
}

/// The message a `cosignature/v1` signs.
fn cosigned_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A checkpoint: origin, tree size, root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: three lines.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    /// Parse a checkpoint from a note's text (extension lines are allowed
    /// and ignored, as the spec says).
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let mut lines = text.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or("no origin line")?;
        let size = lines.next().ok_or("no tree size line")?;
        if size.is_empty()
            || (size.len() > 1 && size.starts_with('0'))
            || !size.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!("tree size {size:?} is not a decimal number"));
        }
        let size: u64 = size.parse().map_err(|_| format!("tree size {size:?} is too large"))?;
        let root = lines.next().ok_or("no root hash line")?;
        let raw = B64.decode(root).map_err(|_| "the root hash is not base64".to_owned())?;
        let root: Hash = raw.try_into().map_err(|_| "the root hash is not 32 bytes".to_owned())?;
        Ok(Checkpoint { origin: origin.into(), size, root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_checkpoint_round_trips() {
        let key = SecretKey::from_seed(&[7; 32]);
        let cp = Checkpoint { origin: "custody.invalid/test".into(), size: 5, root: [9; 32] };
        let mut note = Note { text: cp.text(), sigs: Vec::new() };
        note.sign("custody.invalid/test", &key);
        let parsed = Note::parse(note.to_text().as_bytes()).unwrap();
        assert_eq!(parsed, note);
        assert!(parsed.verified_by("custody.invalid/test", &key.public()));
        assert!(!parsed.verified_by("other", &key.public()));
        assert_eq!(Checkpoint::parse(&parsed.text).unwrap(), cp);
        // A changed size breaks the signature.
        let forged = note.to_text().replacen("\n5\n", "\n4\n", 1);
        let f = Note::parse(forged.as_bytes()).unwrap();
        assert!(!f.verified_by("custody.invalid/test", &key.public()));
        // Cosignature: verifies under its own key id type, not as a note signature.
        let w = SecretKey::from_seed(&[8; 32]);
        let mut c = note.clone();
        c.cosign("witness.example/w1", &w, 1_700_000_000);
        assert_eq!(
            c.cosigned_by("witness.example/w1", &w.public()).map(|c| c.0),
            Some(1_700_000_000)
        );
        assert!(!c.verified_by("witness.example/w1", &w.public()));
        let v = vkey("witness.example/w1", ALG_COSIGNATURE_V1, &w.public());
        let parsed = parse_vkey(&v).unwrap();
        assert_eq!(parsed.public, w.public());
        assert!(parse_vkey(&v.replacen("w1", "w2", 1)).is_err());
    }

    #[test]
    fn signed_note_spec_vector() {
        // The example of golang.org/x/mod/sumdb/note, used by C2SP signed-note.
        let v = parse_vkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .unwrap();
        assert_eq!(hex::encode(key_id("PeterNeumann", ALG_ED25519, &v.public)), "c74f20a3");
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let note = Note::parse(text.as_bytes()).unwrap();
        assert!(note.verified_by("PeterNeumann", &v.public));
        assert_eq!(note.to_text(), text);
        let changed = text.replacen("cryptography", "Cryptography", 1);
        assert!(!Note::parse(changed.as_bytes()).unwrap().verified_by("PeterNeumann", &v.public));
    }

    #[test]
    fn malformed_notes_are_refused() {
        for bad in [
            "",
            "no blank line\n",
            "text\n\nnot a signature\n",
            "text\n\n\u{2014} name\n",
            "text\n\n\u{2014} na+me AAAAAAA=\n",
            "te\txt\n\n\u{2014} name AAAAAAA=\n",
            "text\n\n\u{2014} name AAAAAAA=",
            "text\n\n\u{2014} name AAAA\n",
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        for bad in ["", "o\n", "o\n01\nAAAA\n", "o\n1\nAAAA\n", "o\n-1\n\n", "\n1\nAAAA\n"] {
            assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
