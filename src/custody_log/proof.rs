//! Proof files: inclusion proofs in the C2SP `tlog-proof@v1` text format
//! (the event's bytes ride in its `extra` line, so the proof is
//! self-contained), and consistency proofs in a custody format of the same
//! shape (C2SP defines none). Both embed their signed checkpoints, and both
//! verify offline against the log's verifier key alone.
//!
//! Must not: accept a proof whose checkpoint is not signed by the given key
//! or whose hashes do not recompute the checkpoint's root.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;

use super::Event;
use super::merkle::{self, Hash};
use super::note::{Checkpoint, Note, Vkey};

/// First line of an inclusion proof.
pub const TLOG_PROOF: &str = "c2sp.org/tlog-proof@v1";
/// First line of a consistency proof.
pub const CONSISTENCY_PROOF: &str = "custody.invalid/consistency-proof@v1";

/// Render an inclusion proof.
pub fn inclusion_text(event: &[u8], index: u64, path: &[Hash], checkpoint: &Note) -> String {
    let mut s = format!("{TLOG_PROOF}\nextra {}\nindex {index}\n", B64.encode(event));
    for h in path {
        s.push_str(&B64.encode(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&checkpoint.to_text());
    s
}

/// Render a consistency proof between two signed checkpoints.
pub fn consistency_text(
    old: &Note,
    new: &Note,
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
) -> String {
    let mut s = format!("{CONSISTENCY_PROOF}\nold {old_size}\nnew {new_size}\n");
    for h in proof {
        s.push_str(&B64.encode(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&old.to_text());
    s.push('\n');
    s.push_str(&new.to_text());
    s
}

/// What a verified proof established.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "proof", rename_all = "kebab-case")]
pub enum Verified {
    /// The event is leaf `index` of the checkpointed tree.
    Inclusion {
        /// Leaf index.
        index: u64,
        /// Tree size of the checkpoint.
        tree_size: u64,
        /// The event.
        event: Event,
        /// The log's origin.
        origin: String,
        /// The checkpoint's root hash, base64.
        root: String,
    },
    /// The new tree extends the old one.
    Consistency {
        /// Old size.
        old_size: u64,
        /// New size.
        new_size: u64,
        /// The log's origin.
        origin: String,
        /// The old checkpoint's root hash, base64.
        old_root: String,
        /// The new checkpoint's root hash, base64.
        new_root: String,
    },
}

fn hashes<'a>(lines: &mut impl Iterator<Item = &'a str>) -> Result<Vec<Hash>, String> {
    let mut out = Vec::new();
    for l in lines.by_ref() {
        if l.is_empty() {
            return Ok(out);
        }
        let raw = B64.decode(l).map_err(|_| format!("proof hash {l:?} is not base64"))?;
        out.push(raw.try_into().map_err(|_| format!("proof hash {l:?} is not 32 bytes"))?);
        if out.len() > 128 {
            return Err("too many proof hashes".into());
        }
    }
    Err("no blank line before the checkpoint".into())
}

fn number(line: Option<&str>, prefix: &str) -> Result<u64, String> {
    line.and_then(|l| l.strip_prefix(prefix))
        .and_then(|n| n.strip_prefix(' '))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .filter(|n| !n.is_empty() && (n.len() == 1 || !n.starts_with('0')))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("expected a line \"{prefix} N\""))
}

/// A checkpoint note, checked against the log's key; returns the checkpoint.
pub fn verify_checkpoint(note: &Note, vkey: &Vkey) -> Result<Checkpoint, String> {
    if !note.verified_by(&vkey.name, &vkey.public) {
        return Err(format!("the checkpoint is not signed by {}", vkey.name));
    }
    let cp = Checkpoint::parse(&note.text)?;
    if cp.origin != vkey.name {
        return Err(format!(
            "the checkpoint's origin {:?} is not the key's name {:?}",
            cp.origin, vkey.name
        ));
    }
    Ok(cp)
}

/// Split a consistency proof's two notes: the first ends at the signature
/// lines that precede the second's text.
fn two_notes(rest: &str) -> Result<(Note, Note), String> {
    let lines: Vec<&str> = rest.split_inclusive('\n').collect();
    let blank =
        lines.iter().position(|l| *l == "\n").ok_or("the first checkpoint has no signatures")?;
    let sigs_end = lines[blank + 1..]
        .iter()
        .position(|l| !l.starts_with('\u{2014}'))
        .map(|i| blank + 1 + i)
        .ok_or("the second checkpoint is missing")?;
    lines.get(sigs_end).filter(|l| **l == "\n").ok_or("no blank line between the checkpoints")?;
    let first: String = lines[..sigs_end].concat();
    let second: String = lines[sigs_end + 1..].concat();
    Ok((Note::parse(first.as_bytes())?, Note::parse(second.as_bytes())?))
}

/// Verify a proof file (either kind) offline against the log's key.
pub fn verify(text: &str, vkey: &Vkey) -> Result<Verified, String> {
    let mut lines = text.split('\n');
    match lines.next() {
        Some(TLOG_PROOF) => {
            let mut next = lines.next();
            let extra = match next.and_then(|l| l.strip_prefix("extra ")) {
                Some(e) => {
                    next = lines.next();
                    B64.decode(e).map_err(|_| "the extra line is not base64".to_owned())?
                }
                None => {
                    return Err(
                        "the proof carries no event (extra line): cannot check the leaf".into()
                    );
                }
            };
            let index = number(next, "index")?;
            let path = hashes(&mut lines)?;
            let note_text: Vec<&str> = lines.collect();
            let note = Note::parse(note_text.join("\n").as_bytes())?;
            let cp = verify_checkpoint(&note, vkey)?;
            let event = Event::parse(&extra).map_err(|e| format!("the event is malformed: {e}"))?;
            if !merkle::verify_inclusion(
                index,
                cp.size,
                &merkle::leaf_hash(&extra),
                &path,
                &cp.root,
            ) {
                return Err(format!(
                    "the inclusion proof does not lead to the root of tree size {}",
                    cp.size
                ));
            }
            Ok(Verified::Inclusion {
                index,
                tree_size: cp.size,
                event,
                origin: cp.origin,
                root: B64.encode(cp.root),
            })
        }
        Some(CONSISTENCY_PROOF) => {
            let old_size = number(lines.next(), "old")?;
            let new_size = number(lines.next(), "new")?;
            let proof = hashes(&mut lines)?;
            let rest: Vec<&str> = lines.collect();
            let (old, new) = two_notes(&rest.join("\n"))?;
            let (a, b) = (verify_checkpoint(&old, vkey)?, verify_checkpoint(&new, vkey)?);
            if a.size != old_size || b.size != new_size {
                return Err("the sizes do not match the checkpoints".into());
            }
            if !merkle::verify_consistency(a.size, b.size, &a.root, &b.root, &proof) {
                return Err(format!("tree {} does not extend tree {}", b.size, a.size));
            }
            Ok(Verified::Consistency {
                old_size,
                new_size,
                origin: b.origin,
                old_root: B64.encode(a.root),
                new_root: B64.encode(b.root),
            })
        }
        Some(other) => Err(format!("unknown proof type {other:?}")),
        None => Err("empty proof".into()),
    }
}
