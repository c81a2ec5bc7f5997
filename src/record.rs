//! Signed records: DSSE envelopes (secure-systems-lab/dsse v1) around
//! in-toto Statement v1 payloads whose subject digest set is
//! `{"blake3": …, "sha256": …}`. `statement` builds the one-subject
//! statement every record (ingest, claim) is; signing takes it typed;
//! opening takes untrusted bytes and yields a `Verified` statement only
//! after the key id was found and the Ed25519 signature over the PAE
//! checked.
//!
//! Must not: touch the database or store; decide trust policy beyond "this
//! key signed these bytes" (key status is the caller's concern).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKey, SecretKey, pae};
use crate::id::DigestSet;

/// DSSE payload type of in-toto statements.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Predicate type of ingest records (documented in schema/FORMAT.md).
pub const INGEST_PREDICATE: &str = "https://custody.invalid/predicates/ingest/v1";

/// What a stored record is: its name in the `records.kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum RecordKind {
    /// An item's ingest record.
    Ingest,
    /// A claim.
    Claim,
}

impl RecordKind {
    /// The column's value.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A DSSE envelope as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// The payload type.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Signatures (we write exactly one).
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Key id (always set by us).
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the Ed25519 signature.
    pub sig: String,
}

/// An in-toto resource descriptor (subject).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subject {
    /// A name for the subject (the original file name, lossily UTF-8).
    pub name: String,
    /// Digests.
    pub digest: DigestSet,
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement<P> {
    /// Statement type.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What it is about.
    pub subject: Vec<Subject>,
    /// Predicate type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate.
    pub predicate: P,
}

/// The statement about one object, `name`d as its subject, with `predicate`
/// of type `predicate_type`.
pub fn statement<P>(
    name: &str,
    digest: &DigestSet,
    predicate_type: &str,
    predicate: P,
) -> Statement<P> {
    Statement {
        statement_type: STATEMENT_TYPE.into(),
        subject: vec![Subject { name: name.into(), digest: digest.clone() }],
        predicate_type: predicate_type.into(),
        predicate,
    }
}

/// The ingest predicate: one acquisition of an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestPredicate {
    /// The archive's id.
    pub archive_id: String,
    /// The item's UUID.
    pub item_id: String,
    /// File name, lossily UTF-8.
    pub original_name: String,
    /// Absolute path, lossily UTF-8.
    pub original_path: String,
    /// Exact path bytes (base64) when the path is not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_path_base64: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Sniffed media type.
    pub media_type: String,
    /// Ingest time, RFC 3339 UTC.
    pub ingested_at: String,
    /// Collector's key id.
    pub collector: String,
    /// Digest of collector-supplied provenance ('' = none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provenance: String,
}

impl IngestPredicate {
    /// The exact path bytes this predicate names.
    pub fn path_bytes(&self) -> Option<Vec<u8>> {
        match &self.original_path_base64 {
            Some(b) => B64.decode(b).ok(),
            None => Some(self.original_path.as_bytes().to_vec()),
        }
    }

    /// Encode exact path bytes into the two fields.
    pub fn path_fields(path: &[u8]) -> (String, Option<String>) {
        match std::str::from_utf8(path) {
            Ok(s) => (s.to_owned(), None),
            Err(_) => (String::from_utf8_lossy(path).into_owned(), Some(B64.encode(path))),
        }
    }
}

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a DSSE envelope, wrong payload type, bad base64, or not a statement.
    Malformed(String),
    /// No signature carries a key id we know.
    UnknownKey(String),
    /// The signature does not verify under the named key.
    BadSignature(String),
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::Malformed(why) => write!(f, "malformed envelope: {why}"),
            VerifyError::UnknownKey(k) => write!(f, "signed by unknown key {k}"),
            VerifyError::BadSignature(k) => write!(f, "signature by key {k} does not verify"),
        }
    }
}

/// A statement whose signature was checked, with the key id that signed it.
#[derive(Debug, Clone)]
pub struct Verified<P> {
    /// The statement.
    pub statement: Statement<P>,
    /// Who signed it.
    pub keyid: String,
}

/// Sign a statement into DSSE envelope bytes (compact JSON).
pub fn sign<P: Serialize>(statement: &Statement<P>, key: &SecretKey) -> Vec<u8> {
    sign_by(statement, &[key])
}

/// Sign a statement with several keys: one DSSE envelope, one signature per
/// key over the same PAE (compact JSON, no newline).
pub fn sign_by<P: Serialize>(statement: &Statement<P>, keys: &[&SecretKey]) -> Vec<u8> {
    // Serializing plain structs of strings and integers cannot fail.
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    let signed = pae(PAYLOAD_TYPE, &payload);
    let signatures = keys
        .iter()
        .map(|k| EnvelopeSignature { keyid: k.public().keyid(), sig: B64.encode(k.sign(&signed)) })
        .collect();
    let env =
        Envelope { payload: B64.encode(&payload), payload_type: PAYLOAD_TYPE.into(), signatures };
    serde_json::to_vec(&env).unwrap_or_default()
}

/// Whether the key `key` (as `keyid`) signed `bytes` (a DSSE envelope):
/// its signature is checked whatever other signatures the envelope has.
pub fn signed_by(bytes: &[u8], keyid: &str, key: &PublicKey) -> bool {
    let Ok(env) = serde_json::from_slice::<Envelope>(bytes) else { return false };
    let Ok(payload) = B64.decode(&env.payload) else { return false };
    let signed = pae(&env.payload_type, &payload);
    env.signatures
        .iter()
        .any(|s| s.keyid == keyid && B64.decode(&s.sig).is_ok_and(|sig| key.verify(&signed, &sig)))
}

/// The statement inside envelope bytes, its signature NOT checked: for
/// derived data only (the search index repeats what the stored envelopes
/// say; whether they are signed is the audit's question).
pub fn unverified_statement<P: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<Statement<P>, VerifyError> {
    let env: Envelope =
        serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let payload = B64
        .decode(&env.payload)
        .map_err(|_| VerifyError::Malformed("payload is not base64".into()))?;
    serde_json::from_slice(&payload).map_err(|e| VerifyError::Malformed(e.to_string()))
}

/// Open untrusted envelope bytes: (1) parse, (2) check the payload type,
/// (3) find a signature whose key id `lookup` knows, (4) verify it over the
/// PAE, (5) only then parse the statement.
pub fn open<P: serde::de::DeserializeOwned>(
    bytes: &[u8],
    lookup: impl Fn(&str) -> Option<PublicKey>,
) -> Result<Verified<P>, VerifyError> {
    let sealed = Sealed::parse(bytes, lookup)?;
    let ok = sealed.verify();
    sealed.open(ok)
}

/// An envelope taken apart as far as `open`'s steps 1–3, its signature not
/// yet verified: so that many can be verified at once
/// (`crypto::verify_many`) and each then opened with its verdict.
pub struct Sealed {
    payload: Vec<u8>,
    signed: Vec<u8>,
    keyid: String,
    key: PublicKey,
    sig: Vec<u8>,
}

impl Sealed {
    /// Steps 1–3 of `open`.
    pub fn parse(
        bytes: &[u8],
        lookup: impl Fn(&str) -> Option<PublicKey>,
    ) -> Result<Sealed, VerifyError> {
        let env: Envelope =
            serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(VerifyError::Malformed(format!("payload type {:?}", env.payload_type)));
        }
        let payload = B64
            .decode(&env.payload)
            .map_err(|_| VerifyError::Malformed("payload is not base64".into()))?;
        let first =
            env.signatures.first().ok_or_else(|| VerifyError::Malformed("no signatures".into()))?;
        let Some((sig, key)) = env.signatures.iter().find_map(|s| lookup(&s.keyid).map(|k| (s, k)))
        else {
            return Err(VerifyError::UnknownKey(first.keyid.clone()));
        };
        let raw = B64.decode(&sig.sig).map_err(|_| VerifyError::BadSignature(sig.keyid.clone()))?;
        let signed = pae(&env.payload_type, &payload);
        Ok(Sealed { payload, signed, keyid: sig.keyid.clone(), key, sig: raw })
    }

    /// The signature to verify: its key, the PAE it signs, its bytes.
    pub fn signature(&self) -> crate::crypto::SignedMessage<'_> {
        crate::crypto::SignedMessage { key: &self.key, msg: &self.signed, sig: &self.sig }
    }

    /// Step 4 of `open` on its own: strict verification.
    pub fn verify(&self) -> bool {
        self.key.verify(&self.signed, &self.sig)
    }

    /// Steps 4–5 of `open`, given the verdict on `signature()`.
    pub fn open<P: serde::de::DeserializeOwned>(
        &self,
        verified: bool,
    ) -> Result<Verified<P>, VerifyError> {
        if !verified {
            return Err(VerifyError::BadSignature(self.keyid.clone()));
        }
        let statement: Statement<P> = serde_json::from_slice(&self.payload).map_err(|e| {
            VerifyError::Malformed(format!("payload is not the expected statement: {e}"))
        })?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(VerifyError::Malformed(format!(
                "statement type {:?}",
                statement.statement_type
            )));
        }
        Ok(Verified { statement, keyid: self.keyid.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Statement<serde_json::Value> {
        let digest = DigestSet { blake3: "00".repeat(32), sha256: "11".repeat(32) };
        statement("citadel.jpg", &digest, INGEST_PREDICATE, serde_json::json!({"k": "v"}))
    }

    #[test]
    fn sign_then_open() {
        let k = SecretKey::from_seed(&[1; 32]);
        let pk = k.public();
        let env = sign(&example(), &k);
        let v: Verified<serde_json::Value> =
            open(&env, |id| (id == pk.keyid()).then_some(pk)).unwrap();
        assert_eq!(v.keyid, pk.keyid());
        assert_eq!(v.statement.subject[0].name, "citadel.jpg");
        let err = open::<serde_json::Value>(&env, |_| None).unwrap_err();
        assert!(matches!(err, VerifyError::UnknownKey(_)));
        // One flipped payload byte breaks the signature.
        let mut e: Envelope = serde_json::from_slice(&env).unwrap();
        let mut p = B64.decode(&e.payload).unwrap();
        p[10] ^= 1;
        e.payload = B64.encode(p);
        let bad = serde_json::to_vec(&e).unwrap();
        let err = open::<serde_json::Value>(&bad, |_| Some(pk)).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature(_)));
    }

    #[test]
    fn non_utf8_path_round_trips() {
        let raw = b"/evidence/caf\xe9.txt";
        let (lossy, b64) = IngestPredicate::path_fields(raw);
        assert!(lossy.contains('\u{fffd}'));
        let p = IngestPredicate {
            archive_id: String::new(),
            item_id: String::new(),
            original_name: String::new(),
            original_path: lossy,
            original_path_base64: b64,
            size: 0,
            media_type: String::new(),
            ingested_at: String::new(),
            collector: String::new(),
            provenance: String::new(),
        };
        assert_eq!(p.path_bytes().unwrap(), raw.to_vec());
    }
}
