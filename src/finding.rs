//! Findings: what an audit or a verification found wrong, as data —
//! severity, a stable code, what it is about, where, what is wrong and how
//! to repair it. Every checker (the archive audit, key trust, and later
//! bundle and replica verification) reports this way.
//!
//! Must not: decide anything (checkers make findings; the binary turns
//! them into exit codes).

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Evidence is damaged or cannot be trusted.
    Error,
    /// Something to tidy; no evidence is damaged.
    Warning,
}

/// What kind of problem; its kebab-case name is stable (reports, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Code {
    /// The object's file is gone.
    ObjectMissing,
    /// The object's bytes do not hash to its name.
    ObjectCorrupt,
    /// The object is shorter than recorded.
    ObjectTruncated,
    /// The zstd frame cannot be decoded.
    ObjectUndecompressable,
    /// A file in the store that no row names.
    OrphanFile,
    /// A record whose signature does not verify.
    BadSignature,
    /// A record signed by a key the archive does not know.
    UnknownKey,
    /// A record's subject digests do not match its object.
    SubjectMismatch,
    /// A database column no longer matches the signed bytes.
    EditedColumn,
    /// A record that is not a valid envelope / statement.
    MalformedRecord,
    /// An item whose record is missing, a record with no item, an object
    /// no item names, or record ids that were deleted.
    MissingRecord,
    /// A directory of the object store that cannot be read.
    StoreUnreadable,
    /// Signed by a key at or after its revocation.
    SignedAfterRevocation,
    /// A claim that supersedes no claim, or one about another object or kind.
    BadSupersedes,
    /// A row with no event in the custody log, or deleted leaves.
    LogEventMissing,
    /// A log event that no longer matches the rows and record it names.
    LogEventMismatch,
    /// A log event whose row is gone.
    LogEventOrphan,
    /// Stored tree nodes that differ from the ones the leaves give.
    LogNodeMismatch,
    /// A checkpoint whose tree the log no longer has.
    CheckpointMismatch,
    /// A checkpoint not signed by the archive's log key.
    CheckpointBadSignature,
    /// A stored cosignature that does not verify for its checkpoint.
    CosignatureInvalid,
    /// The log is shorter than an external checkpoint.
    LogRolledBack,
    /// The log's history differs from an external checkpoint's.
    LogRewritten,
    /// An export's or an import's row and its event disagree.
    TransferMismatch,
    /// A bag entry refused unread: an unsafe name, a link, a device, a
    /// name colliding after NFC and case folding, a zip bomb.
    BagUnsafeEntry,
    /// Not a BagIt 1.0 bag: `bagit.txt`, `bag-info.txt` or a manifest
    /// unreadable or missing, a tag file too large.
    BagStructure,
    /// What the bag's profile requires is missing (a field, a tag file, a
    /// manifest), or `fetch.txt` is present.
    BagProfile,
    /// A manifest lists a file the bag does not have.
    BagFileMissing,
    /// A payload file that a manifest does not list (or a custody bag's
    /// tag file that a tag manifest does not).
    BagFileUnlisted,
    /// A payload file whose digest is not its manifest's, or a wrong
    /// `Payload-Oxum`.
    BagFixity,
    /// A tag file whose digest is not its tag manifest's.
    BagTagFixity,
    /// The bag statement is missing, does not verify, or does not cover
    /// exactly the payload and evidence.
    BagStatement,
    /// Nobody said which keys to trust: the signatures are checked with
    /// the bag's own keys only.
    BagKeysNotPinned,
    /// Something in the bag is signed by a key nobody trusted.
    BagUntrustedKey,
    /// A signed record in the bag that does not verify, or whose subject
    /// is not a payload file of the bag.
    BagEnvelope,
    /// A custody event whose inclusion proof fails, or a signed record
    /// with no event in the bag.
    BagProof,
    /// The bag's checkpoint does not verify, or disagrees with bag-info
    /// or the statement.
    BagCheckpoint,
    /// A witness cosignature or the consistency proof from the witnessed
    /// checkpoint does not verify.
    BagWitness,
    /// A search index row missing, edited or left over (derived data:
    /// `custody reindex` rebuilds it; no evidence is damaged).
    IndexMismatch,
}

impl Code {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One problem found: what, where, and how to repair it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Kind.
    pub code: Code,
    /// What it is about: `object <blake3>`, `item 3`, `record 5`.
    pub subject: String,
    /// Where: a file path or table / row.
    pub location: String,
    /// What is wrong.
    pub message: String,
    /// How to repair it.
    pub repair: String,
}

impl Finding {
    /// A finding of `code` (orphan files and search index mismatches are
    /// warnings, everything else an error).
    pub fn new(
        code: Code,
        subject: impl Into<String>,
        location: impl Into<String>,
        message: impl Into<String>,
        repair: &str,
    ) -> Finding {
        let severity = if matches!(code, Code::OrphanFile | Code::IndexMismatch) {
            Severity::Warning
        } else {
            Severity::Error
        };
        Finding {
            severity,
            code,
            subject: subject.into(),
            location: location.into(),
            message: message.into(),
            repair: repair.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_stable_names() {
        assert_eq!(Code::ObjectUndecompressable.as_str(), "object-undecompressable");
        assert_eq!(Code::LogRolledBack.as_str(), "log-rolled-back");
        let json = serde_json::to_value(Code::SignedAfterRevocation).unwrap();
        assert_eq!(json, "signed-after-revocation");
        assert_eq!(Finding::new(Code::OrphanFile, "s", "l", "m", "r").severity, Severity::Warning);
    }
}
