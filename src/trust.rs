//! Trust: which key may sign what, and when. The registered keys as the
//! checks need them (public key by id, revocations, owners), opening a
//! stored record with them (a failure is the finding that describes it;
//! `Verdicts` verifies many records' signatures at once beforehand),
//! whether a signature falls at or after its key's revocation, and whether
//! a key may sign now. Shared by the audit, `show` and every command that
//! signs.
//!
//! Must not: write anything, or trust a key row whose id does not match
//! its public key.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::crypto::{PublicKey, SecretKey, verify_many};
use crate::db::{KeyRow, Reader, RecordRow};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding};
use crate::record::{Sealed, Verified, VerifyError};

/// A key's revocation: from when (parsed), as stored, and why.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// From this instant on (an unreadable time counts as "forever").
    pub from: OffsetDateTime,
    /// The time as stored.
    pub at: String,
    /// Why.
    pub reason: String,
}

/// The archive's keys as the checks need them.
#[derive(Debug, Default)]
pub struct Keys {
    /// Public keys whose id matches.
    pub public: HashMap<String, PublicKey>,
    /// Revoked keys.
    pub revoked: HashMap<String, Revocation>,
    /// Owners' registered names.
    pub owners: HashMap<String, String>,
    /// Keys registered from another archive's bag: that archive's id.
    pub foreign: HashMap<String, String>,
}

impl Keys {
    /// The usable keys among `rows`, and a finding for every row whose key
    /// id does not match its public key.
    pub fn load(rows: &[KeyRow]) -> (Keys, Vec<Finding>) {
        let mut keys = Keys::default();
        let mut findings = Vec::new();
        for k in rows {
            keys.owners.insert(k.keyid.clone(), k.owner.clone());
            if let Some(a) = &k.foreign_archive {
                keys.foreign.insert(k.keyid.clone(), a.clone());
            }
            if let Some(at) = &k.revoked_at {
                let from = crate::clock::parse_instant(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
                let reason = k.revoke_reason.clone().unwrap_or_default();
                keys.revoked.insert(k.keyid.clone(), Revocation { from, at: at.clone(), reason });
            }
            match PublicKey::from_hex("keys table", &k.public_key) {
                Ok(pk) if pk.keyid() == k.keyid => {
                    keys.public.insert(k.keyid.clone(), pk);
                }
                _ => findings.push(Finding::new(
                    Code::EditedColumn,
                    format!("key {}", k.keyid),
                    "keys.public_key",
                    "the stored public key does not match its key id",
                    "re-register the key from its owner's .pub file after restoring the row",
                )),
            }
        }
        (keys, findings)
    }

    /// The archive's keys (findings about bad rows are the audit's).
    pub fn read(q: &Reader<'_>) -> Result<Keys> {
        Ok(Keys::load(&q.keys()?).0)
    }
}

impl Keys {
    /// The archive a record signed by `keyid` must name: the one a foreign
    /// key was registered from, else this one.
    pub fn archive_of<'a>(&'a self, keyid: &str, ours: &'a str) -> &'a str {
        self.foreign.get(keyid).map_or(ours, String::as_str)
    }
}

/// Which row names a record, for the findings about it.
pub struct RecordOf<'a> {
    /// What the finding is about (`item 3`, `claim 7`).
    pub subject: &'a str,
    /// Where the row that names the record is (`items row 3`).
    pub row: &'a str,
    /// The record id it names.
    pub record_id: i64,
    /// What the record is called (`ingest record`, `signed record`).
    pub record: &'a str,
    /// Whose record it is (`an item`, `a claim`).
    pub whose: &'a str,
}

/// Records taken apart and their signatures' verdicts, by record id,
/// reached many at a time (`crypto::verify_many`, the same verdicts as one
/// by one): `open_record` then opens each without parsing it again.
#[derive(Default)]
pub struct Verdicts(HashMap<i64, (Sealed, bool)>);

impl Verdicts {
    /// Verify the signatures of `records` (those whose envelope parses as
    /// far as a signature by a known key) on `threads` threads.
    pub fn of<'r>(
        records: impl Iterator<Item = &'r RecordRow>,
        keys: &Keys,
        threads: usize,
    ) -> Verdicts {
        let sealed: Vec<(i64, Sealed)> = records
            .filter_map(|r| {
                Sealed::parse(&r.envelope, |k| keys.public.get(k).copied()).ok().map(|s| (r.id, s))
            })
            .collect();
        let signatures: Vec<_> = sealed.iter().map(|(_, s)| s.signature()).collect();
        let verdicts = verify_many(&signatures, threads);
        Verdicts(sealed.into_iter().zip(verdicts).map(|((id, s), ok)| (id, (s, ok))).collect())
    }
}

/// Open the record a row names with the archive's keys: a missing record,
/// an unknown key, a bad signature or a malformed envelope is the finding
/// that describes it. A record `verdicts` holds is opened from there (taken
/// apart and verified beforehand); any other is parsed and verified here.
pub fn open_record<P: serde::de::DeserializeOwned>(
    rec: Option<&RecordRow>,
    keys: &Keys,
    verdicts: &Verdicts,
    of: &RecordOf<'_>,
) -> std::result::Result<Verified<P>, Box<Finding>> {
    let Some(rec) = rec else {
        return Err(Box::new(Finding::new(
            Code::MissingRecord,
            of.subject,
            of.row,
            format!("its {} {} is missing", of.record, of.record_id),
            &format!(
                "restore the records table from a backup; {} without its signed record is unproven",
                of.whose
            ),
        )));
    };
    let opened = match verdicts.0.get(&rec.id) {
        Some((sealed, ok)) => sealed.open::<P>(*ok),
        None => Sealed::parse(&rec.envelope, |k| keys.public.get(k).copied())
            .and_then(|s| s.open::<P>(s.verify())),
    };
    opened.map_err(|e| {
        let (code, repair) = match &e {
            VerifyError::UnknownKey(_) => (
                Code::UnknownKey,
                "register the signer's public key with `custody key add` if you trust it; \
                 otherwise treat what it signed as unproven",
            ),
            VerifyError::BadSignature(_) => (
                Code::BadSignature,
                "the signed record was altered: restore it from a backup or replica",
            ),
            VerifyError::Malformed(_) => {
                (Code::MalformedRecord, "restore the record from a backup or replica")
            }
        };
        Box::new(Finding::new(
            code,
            of.subject,
            format!("records row {}", rec.id),
            e.to_string(),
            repair,
        ))
    })
}

/// A finding if `keyid` was revoked at or before `signed_at`.
pub fn revoked_before(
    keys: &Keys,
    keyid: &str,
    signed_at: &str,
    subject: &str,
    loc: &str,
) -> Option<Finding> {
    let revoked = keys.revoked.get(keyid)?;
    let signed = crate::clock::parse_instant(signed_at).ok();
    let after = signed.is_none_or(|t| t >= revoked.from);
    after.then(|| {
        Finding::new(
            Code::SignedAfterRevocation,
            subject,
            loc,
            format!(
                "signed at {signed_at} by key {keyid}, which was revoked at {} ({})",
                revoked.at, revoked.reason
            ),
            "treat it as unproven: whoever holds the revoked key could have made it; \
             have a current key holder re-examine and re-sign what is true",
        )
    })
}

/// The key id of `key` if it may sign in this archive now: registered, not
/// revoked, and the registered public key is this key's.
pub fn signer(q: &Reader<'_>, key: &SecretKey) -> Result<String> {
    let public = key.public();
    let keyid = public.keyid();
    match q.key(&keyid)? {
        None => Err(Error::new(
            ErrorKind::Usage,
            format!("signing key {keyid} is not registered in this archive"),
        )
        .hint("register its public key first: custody key add KEYFILE.pub")),
        Some(k) if k.revoked_at.is_some() => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "signing key {keyid} was revoked at {}",
                k.revoked_at.as_deref().unwrap_or_default()
            ),
        )
        .hint("sign with a current key (rotation: `custody key add` the new one)")),
        Some(k) if k.public_key != public.to_hex() => Err(Error::new(
            ErrorKind::Integrity,
            format!("registered public key for {keyid} differs from the key file"),
        )
        .hint("run `custody audit`: the keys table may have been edited")),
        Some(_) => Ok(keyid),
    }
}
