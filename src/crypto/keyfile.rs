//! Key files: an Ed25519 secret key kept outside the archive, in a JSON file
//! created with mode 0600 and `create_new` (never overwritten), the seed
//! sealed with XChaCha20-Poly1305 under an Argon2id-derived key unless the
//! user opted out; and the matching public key file.
//!
//! Must not: read the environment or prompt (the binary supplies the
//! passphrase), or ever write a secret into the archive.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use super::{PublicKey, SecretKey, random_bytes};
use crate::error::{Error, ErrorKind, Result};

const SECRET_FORMAT: &str = "custody-secret-key/v1";
const PUBLIC_FORMAT: &str = "custody-public-key/v1";
/// AEAD associated-data context: binds the sealed seed to its public key.
const AAD_CONTEXT: &[u8] = b"custody-secret-key/v1 seed ";

/// Argon2id cost parameters (OWASP's 2023 minimum is m=19 MiB, t=2; we use more).
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
const P_COST: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    format: String,
    name: String,
    public_key: String,
    keyid: String,
    created_at: String,
    encryption: Option<Sealing>,
    secret: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealing {
    kdf: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    aead: String,
    nonce: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    format: String,
    name: String,
    public_key: String,
    keyid: String,
}

/// A public key file's contents (custody's format), as JSON.
pub fn public_file_json(name: &str, key: &PublicKey) -> serde_json::Value {
    serde_json::json!({
        "format": PUBLIC_FORMAT,
        "name": name,
        "public_key": key.to_hex(),
        "keyid": key.keyid(),
    })
}

/// Parse a public key from a custody public key file's contents or a
/// securesystemslib key (`{"keytype": "ed25519", "keyval": {"public": …}}`);
/// returns the owner's name when the file names one.
pub fn parse_public_json(v: &serde_json::Value, what: &str) -> Result<(PublicKey, Option<String>)> {
    let bad = || Error::new(ErrorKind::InvalidInput, format!("{what} is not a public key file"));
    if v.get("format").and_then(|f| f.as_str()) == Some(PUBLIC_FORMAT) {
        let hex = v.get("public_key").and_then(|p| p.as_str()).ok_or_else(bad)?;
        let name = v.get("name").and_then(|n| n.as_str()).map(str::to_owned);
        return Ok((PublicKey::from_hex(what, hex)?, name));
    }
    let ed25519 = v.get("keytype").and_then(|t| t.as_str()) == Some("ed25519");
    let hex =
        v.pointer("/keyval/public").and_then(|p| p.as_str()).filter(|_| ed25519).ok_or_else(bad)?;
    Ok((PublicKey::from_hex(what, hex)?, None))
}

/// A public key with its owner's name, as read from a key file.
#[derive(Debug, Clone)]
pub struct NamedPublicKey {
    /// The owner's name.
    pub name: String,
    /// The key.
    pub key: PublicKey,
}

fn derive_key(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<[u8; 32]> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("bad argon2id parameters in key file: {e}"))
    })?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| Error::new(ErrorKind::Crypto, format!("argon2id failed: {e}")))?;
    Ok(out)
}

fn aad(public: &PublicKey) -> Vec<u8> {
    [AAD_CONTEXT, &public.0[..]].concat()
}

/// Write a new secret key file at `path` (mode 0600, never overwriting) and
/// its public key beside it at `path.pub`. `passphrase = None` stores the
/// seed unencrypted.
pub fn write_new(
    path: &Path,
    name: &str,
    key: &SecretKey,
    passphrase: Option<&str>,
    created_at: &str,
) -> Result<std::path::PathBuf> {
    let public = key.public();
    let (encryption, secret) = match passphrase {
        None => (None, hex::encode(key.seed())),
        Some(pass) => {
            let mut salt = [0u8; 16];
            let mut nonce = [0u8; 24];
            random_bytes(&mut salt)?;
            random_bytes(&mut nonce)?;
            let k = derive_key(pass, &salt, M_COST_KIB, T_COST, P_COST)?;
            let cipher = XChaCha20Poly1305::new(&k.into());
            let seed = key.seed();
            let sealed = cipher
                .encrypt(&XNonce::from(nonce), Payload { msg: &seed, aad: &aad(&public) })
                .map_err(|_| Error::new(ErrorKind::Crypto, "sealing the secret key failed"))?;
            let sealing = Sealing {
                kdf: "argon2id".into(),
                m_cost_kib: M_COST_KIB,
                t_cost: T_COST,
                p_cost: P_COST,
                salt: hex::encode(salt),
                aead: "xchacha20poly1305".into(),
                nonce: hex::encode(nonce),
            };
            (Some(sealing), hex::encode(sealed))
        }
    };
    let file = SecretFile {
        format: SECRET_FORMAT.into(),
        name: name.into(),
        public_key: public.to_hex(),
        keyid: public.keyid(),
        created_at: created_at.into(),
        encryption,
        secret,
    };
    let pub_path = {
        let mut p = path.as_os_str().to_owned();
        p.push(".pub");
        std::path::PathBuf::from(p)
    };
    if pub_path.exists() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("public key file {} already exists", crate::text::shown(&pub_path)),
        )
        .hint("choose another --out; key files are never overwritten"));
    }
    if path.exists() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("key file {} already exists", crate::text::shown(path)),
        )
        .hint("choose another --out; key files are never overwritten"));
    }
    let json = serde_json::to_vec_pretty(&file)
        .map_err(|e| Error::new(ErrorKind::Io, "cannot encode key file").source_err(e))?;
    write_exclusive(path, &json, 0o600)?;
    let public_file = PublicFile {
        format: PUBLIC_FORMAT.into(),
        name: name.into(),
        public_key: public.to_hex(),
        keyid: public.keyid(),
    };
    let json = serde_json::to_vec_pretty(&public_file)
        .map_err(|e| Error::new(ErrorKind::Io, "cannot encode public key file").source_err(e))?;
    if let Err(e) = write_exclusive(&pub_path, &json, 0o644) {
        // The secret was never used: take it back rather than leave a key
        // without its public half.
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(pub_path)
}

/// Write a complete file or nothing: a temporary file in the same folder
/// (created 0600), fsynced, linked into place without replacing anything,
/// then the folder fsynced. An interrupted write leaves no key file.
fn write_exclusive(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let write_err = |e| Error::io("cannot write key file", path, e);
    let mut tmp =
        tempfile::Builder::new().prefix(".custody-key-").tempfile_in(&dir).map_err(write_err)?;
    tmp.write_all(bytes).and_then(|()| tmp.write_all(b"\n")).map_err(write_err)?;
    tmp.as_file().set_permissions(fs::Permissions::from_mode(mode)).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::AlreadyExists,
                format!("key file {} already exists", crate::text::shown(path)),
            )
            .hint("choose another --out; key files are never overwritten")
        } else {
            Error::io("cannot create key file", path, e.error)
        }
    })?;
    fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("cannot fsync", &dir, e))
}

fn read_key_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = fs::read(path).map_err(|e| Error::io("cannot read key file", path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("key file {} is corrupt or truncated", crate::text::shown(path)),
        )
        .hint("restore it from your backup; a damaged key file cannot be repaired")
        .source_err(e)
    })
}

fn corrupt(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("key file {} is corrupt: {why}", crate::text::shown(path)),
    )
    .hint("restore it from your backup; a damaged key file cannot be repaired")
}

fn parse_secret(path: &Path) -> Result<SecretFile> {
    let v = read_key_json(path)?;
    let f: SecretFile =
        serde_json::from_value(v).map_err(|e| corrupt(path, "unexpected fields").source_err(e))?;
    if f.format != SECRET_FORMAT {
        return Err(corrupt(path, &format!("unknown format {:?}", f.format)));
    }
    Ok(f)
}

/// Whether the secret key file at `path` is passphrase-protected.
pub fn needs_passphrase(path: &Path) -> Result<bool> {
    check_mode(path)?;
    Ok(parse_secret(path)?.encryption.is_some())
}

/// Refuse a public key file given where the secret is needed (before its
/// permissions are judged: a `.pub` file is meant to be readable), and a
/// secret key file that group or others can read or write.
fn check_mode(path: &Path) -> Result<()> {
    let is_public = read_key_json(path)
        .ok()
        .is_some_and(|v| v.get("format").and_then(|f| f.as_str()) == Some(PUBLIC_FORMAT));
    if is_public {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is a public key: signing needs the secret key file",
                crate::text::shown(path)
            ),
        )
        .hint("pass the secret key file (the same name without .pub)"));
    }
    let meta = fs::metadata(path).map_err(|e| Error::io("cannot read key file", path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "key file {} is accessible by group or others (mode {mode:04o})",
                crate::text::shown(path)
            ),
        )
        .hint(format!("run: chmod 600 {}", crate::text::shown(path))));
    }
    Ok(())
}

/// Load and unlock a secret key file. The file must be mode 0600 (or
/// stricter); `passphrase` is required when the file is sealed.
pub fn load_secret(path: &Path, passphrase: Option<&str>) -> Result<(String, SecretKey)> {
    check_mode(path)?;
    let f = parse_secret(path)?;
    let public =
        PublicKey::from_hex(&format!("key file {}", crate::text::shown(path)), &f.public_key)?;
    let secret = hex::decode(&f.secret).map_err(|_| corrupt(path, "secret is not hex"))?;
    let seed: [u8; 32] = match &f.encryption {
        None => secret.try_into().map_err(|_| corrupt(path, "secret is not 32 bytes"))?,
        Some(s) => {
            let Some(pass) = passphrase else {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!("key file {} is passphrase-protected", crate::text::shown(path)),
                )
                .hint("enter the passphrase at the prompt or set CUSTODY_PASSPHRASE"));
            };
            if s.kdf != "argon2id" || s.aead != "xchacha20poly1305" {
                return Err(corrupt(path, "unsupported kdf or cipher"));
            }
            // Bounds keep a damaged file from demanding terabytes or hours.
            if s.m_cost_kib > 4 * 1024 * 1024 || s.t_cost > 64 || s.p_cost > 64 {
                return Err(corrupt(path, "argon2id costs out of range"));
            }
            let salt = hex::decode(&s.salt).map_err(|_| corrupt(path, "salt is not hex"))?;
            let nonce: [u8; 24] = hex::decode(&s.nonce)
                .ok()
                .and_then(|n| n.try_into().ok())
                .ok_or_else(|| corrupt(path, "nonce is not 24 bytes of hex"))?;
            let k = derive_key(pass, &salt, s.m_cost_kib, s.t_cost, s.p_cost)?;
            let cipher = XChaCha20Poly1305::new(&k.into());
            let plain = cipher
                .decrypt(&XNonce::from(nonce), Payload { msg: &secret, aad: &aad(&public) })
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Crypto,
                        format!("wrong passphrase for key file {} (or the file was altered)", crate::text::shown(path)),
                    )
                    .hint("check the passphrase (CUSTODY_PASSPHRASE, if set, is used instead of a prompt)")
                })?;
            plain.try_into().map_err(|_| corrupt(path, "sealed secret is not 32 bytes"))?
        }
    };
    let key = SecretKey::from_seed(&seed);
    if key.public() != public {
        return Err(corrupt(path, "secret does not match its public key"));
    }
    Ok((f.name, key))
}

/// Read the public half of a secret or public key file (no passphrase needed).
pub fn load_public(path: &Path) -> Result<NamedPublicKey> {
    let v = read_key_json(path)?;
    let format = v.get("format").and_then(|f| f.as_str()).unwrap_or_default().to_owned();
    let (name, hex_key, keyid) = if format == SECRET_FORMAT {
        let f = parse_secret(path)?;
        (f.name, f.public_key, f.keyid)
    } else if format == PUBLIC_FORMAT {
        let f: PublicFile = serde_json::from_value(v)
            .map_err(|e| corrupt(path, "unexpected fields").source_err(e))?;
        (f.name, f.public_key, f.keyid)
    } else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a custody key file", crate::text::shown(path)),
        )
        .hint("pass the FILE.pub written by `custody key new`"));
    };
    let key = PublicKey::from_hex(&format!("key file {}", crate::text::shown(path)), &hex_key)?;
    if key.keyid() != keyid {
        return Err(corrupt(path, "keyid does not match the public key"));
    }
    Ok(NamedPublicKey { name, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_round_trip_and_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = SecretKey::from_seed(&[7u8; 32]);
        write_new(&path, "ana", &key, Some("correct horse"), "2024-11-29T00:00:00Z").unwrap();
        let (name, back) = load_secret(&path, Some("correct horse")).unwrap();
        assert_eq!(name, "ana");
        assert_eq!(back.public(), key.public());
        let err = load_secret(&path, Some("wrong")).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Crypto);
        assert!(write_new(&path, "ana", &key, None, "x").is_err(), "must never overwrite");
        assert_eq!(load_public(&dir.path().join("k.pub")).unwrap().key, key.public());
    }
}
