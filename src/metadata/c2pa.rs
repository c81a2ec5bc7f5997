//! C2PA Content Credentials: a file's manifest store (embedded, or a
//! `.c2pa` sidecar beside it) validated offline by the `c2pa` crate —
//! claim signature, certificate chain against the trust anchors given,
//! certificate validity at the time-stamp, hard binding to the bytes —
//! and turned into claim values:
//! - it validates: `device` values — a credentials value (state, signer
//!   subject and issuer, time-stamp, claim generator, actions) and the
//!   capture time and location of its `stds.exif` assertion, read by the
//!   same rules as an XMP packet, each with the validation state in its
//!   raw values;
//! - it does not: no `device` value, only an embedded credentials value
//!   with state `invalid` and the failure codes (the review turns it into
//!   a `credentials-invalid` discrepancy).
//!
//! Must not: fetch anything (remote manifests and OCSP are off, and the
//! crate is built without an HTTP client); hold more than `MAX_IN_MEMORY`
//! of a file whose handler reads it whole (JPEG).

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use c2pa::{Context, Reader, ValidationState};

use super::embedded::{Embedded, push};
use crate::claim::{ClaimValue, CredentialState, Credentials};

/// The `c2pa` crate release that validates (named in every claim's raw
/// values: a later reader may judge differently).
pub const READER: &str = "c2pa-rs 0.90.22";
/// The largest file validated whose handler reads it into memory.
pub const MAX_IN_MEMORY: u64 = 64 << 20;
/// The largest sidecar read.
pub const MAX_SIDECAR: u64 = 16 << 20;

/// The trust anchors manifests are validated against (PEM certificates,
/// e.g. a copy of the C2PA trust list), or none.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    pem: Option<String>,
    /// How the anchors are named in raw values: count and BLAKE3.
    named: String,
}

impl Anchors {
    /// Anchors from PEM text; an error says what is wrong with it.
    pub fn from_pem(text: &str) -> Result<Anchors, String> {
        let count = text.matches("-----BEGIN CERTIFICATE-----").count();
        if count == 0 {
            return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
        }
        // Each block must be base64 of a DER SEQUENCE (a certificate's
        // outer structure); the crate parses them when it validates.
        use base64::Engine as _;
        for (i, block) in text.split("-----BEGIN CERTIFICATE-----").skip(1).enumerate() {
            let body = block.split("-----END CERTIFICATE-----").next().unwrap_or_default();
            let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes());
            if !der.is_ok_and(|d| d.len() > 64 && d[0] == 0x30) {
                return Err(format!(
                    "has a certificate (number {}) that is not DER in base64",
                    i + 1
                ));
            }
        }
        Ok(Anchors {
            pem: Some(text.to_owned()),
            named: format!(
                "{count} certificate{}, blake3 {}",
                if count == 1 { "" } else { "s" },
                blake3::hash(text.as_bytes()).to_hex()
            ),
        })
    }

    /// How these anchors are named in a claim's raw values.
    fn named(&self) -> &str {
        if self.pem.is_none() { "none" } else { &self.named }
    }

    fn context(&self) -> Result<Context, String> {
        let mut settings = serde_json::json!({
            "verify": {
                "verify_trust": true,
                "verify_timestamp_trust": true,
                "remote_manifest_fetch": false,
                "ocsp_fetch": false,
            },
        });
        if let Some(pem) = &self.pem {
            settings["trust"] = serde_json::json!({ "trust_anchors": pem });
        }
        Context::new().with_settings(settings.to_string().as_str()).map_err(|e| e.to_string())
    }
}

/// The media types whose manifest store `validate` reads.
pub fn reads(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/jpeg"
            | "image/png"
            | "image/webp"
            | "image/heic"
            | "image/heif"
            | "image/avif"
            | "video/mp4"
            | "video/quicktime"
            | "video/x-m4v"
    )
}

/// Validate the manifest store of a file (`stream`, of `media_type`,
/// `size` bytes), embedded or given as a sidecar, into `out`.
pub fn validate<R: Read + Seek + Send>(
    media_type: &str,
    size: u64,
    stream: R,
    sidecar: Option<&[u8]>,
    anchors: &Anchors,
    out: &mut Embedded,
) {
    if media_type == "image/jpeg" && size > MAX_IN_MEMORY {
        out.problems.push(format!(
            "the C2PA content credentials were not validated: the file is {size} bytes, more \
             than the {MAX_IN_MEMORY} the JPEG reader holds in memory"
        ));
        return;
    }
    let read = anchors.context().and_then(|ctx| {
        let reader = Reader::from_context(ctx);
        match sidecar {
            Some(store) => reader.with_manifest_data_and_stream(store, media_type, stream),
            None => reader.with_stream(media_type, stream),
        }
        .map_err(|e| match e {
            c2pa::Error::JumbfNotFound => "a C2PA block was found but no manifest store".into(),
            c2pa::Error::RemoteManifestUrl(url) | c2pa::Error::RemoteManifestFetch(url) => {
                format!(
                    "the manifest store is remote ({url}) and is not fetched; put it beside the \
                     file as a .c2pa sidecar and ingest again"
                )
            }
            e => format!("could not be read: {e}"),
        })
    });
    let reader = match read {
        Ok(r) => r,
        Err(why) => {
            out.problems.push(format!("C2PA content credentials: {why}"));
            return;
        }
    };
    let mut raw = BTreeMap::from([
        ("C2PA reader".to_owned(), READER.to_owned()),
        ("C2PA trust anchors".to_owned(), anchors.named().to_owned()),
    ]);
    if let Some(s) = sidecar {
        raw.insert("C2PA sidecar blake3".into(), blake3::hash(s).to_hex().to_string());
    }
    let creds = credentials(&reader, &mut raw);
    let Some(creds) = creds else {
        out.problems.push("C2PA content credentials: the store has no active manifest".into());
        return;
    };
    if creds.state == CredentialState::Invalid {
        push(out, ClaimValue::Credentials(creds), raw, "C2PA content credentials");
        return;
    }
    let mut device = Embedded::default();
    if let Some(m) = reader.active_manifest() {
        for a in m.assertions() {
            if matches!(a.label(), "stds.exif" | "c2pa.metadata")
                && let Ok(v) = a.value()
            {
                let props = properties(v);
                super::photo::xmp_claims_of(&props, &format!("C2PA {}", a.label()), &mut device);
            }
        }
    }
    push(&mut device, ClaimValue::Credentials(creds), raw.clone(), "C2PA content credentials");
    for (_, r) in &mut device.values {
        for k in ["C2PA validation state", "C2PA failure codes", "C2PA manifest", "C2PA reader"] {
            if let Some(v) = raw.get(k) {
                r.insert(k.to_owned(), v.clone());
            }
        }
    }
    out.device.append(&mut device.values);
    out.problems.append(&mut device.problems);
}

/// The credentials value of the active manifest, its raw values added to
/// `raw` (`None`: there is no active manifest).
fn credentials(reader: &Reader, raw: &mut BTreeMap<String, String>) -> Option<Credentials> {
    let m = reader.active_manifest()?;
    let state = match reader.validation_state() {
        ValidationState::Trusted => CredentialState::Trusted,
        ValidationState::Valid => CredentialState::Valid,
        ValidationState::Invalid => CredentialState::Invalid,
    };
    let codes = reader.validation_results().and_then(|r| r.active_manifest());
    let failures: Vec<String> = codes
        .map(|c| c.failure().iter().map(|s| s.code().to_owned()).collect())
        .unwrap_or_default();
    let sig = m.signature_info();
    let generator = m.claim_generator.clone().or_else(|| {
        let info = m.claim_generator_info.as_ref()?;
        let names: Vec<String> = info
            .iter()
            .map(|g| match &g.version {
                Some(v) => format!("{}/{v}", g.name),
                None => g.name.clone(),
            })
            .collect();
        (!names.is_empty()).then(|| names.join(" "))
    });
    let mut actions = Vec::new();
    for a in m.assertions() {
        if a.label().starts_with("c2pa.actions")
            && let Ok(v) = a.value()
        {
            let list = v.get("actions").and_then(|l| l.as_array());
            for act in list.into_iter().flatten() {
                if let Some(name) = act.get("action").and_then(|n| n.as_str()) {
                    actions.push(name.to_owned());
                }
            }
        }
    }
    raw.insert("C2PA validation state".into(), state.name().to_owned());
    if !failures.is_empty() {
        raw.insert("C2PA failure codes".into(), failures.join(" "));
    }
    if let Some(l) = reader.active_label() {
        raw.insert("C2PA manifest".into(), l.to_owned());
    }
    if let Some(s) = sig.and_then(|s| s.cert_serial_number.clone()) {
        raw.insert("C2PA signer serial number".into(), s);
    }
    if let Some(a) = sig.and_then(|s| s.alg) {
        raw.insert("C2PA signature algorithm".into(), a.to_string());
    }
    // A time-stamp the claim rules refuse is kept raw only.
    let signed_at = sig.and_then(|s| s.time.clone());
    if let Some(t) = &signed_at {
        raw.insert("C2PA time-stamp".into(), t.clone());
    }
    let signed_at = signed_at.filter(|t| crate::clock::parse_instant(t).is_ok());
    Some(Credentials {
        state,
        failures,
        signer: sig.and_then(|s| s.common_name.clone()),
        issuer: sig.and_then(|s| s.issuer.clone()),
        signed_at,
        generator,
        actions,
    })
}

/// A `stds.exif` (JSON-LD) assertion as XMP-style properties: names as
/// given (`exif:GPSLatitude`), numbers and booleans as text, lists joined.
fn properties(v: &serde_json::Value) -> super::xmp::Properties {
    let text = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut out = BTreeMap::new();
    for (k, v) in v.as_object().into_iter().flatten() {
        if k.starts_with('@') {
            continue;
        }
        let value = match v.get("@list").and_then(|l| l.as_array()) {
            Some(list) => Some(list.iter().filter_map(text).collect::<Vec<_>>().join(", ")),
            None => text(v),
        };
        if let Some(value) = value {
            out.insert(k.clone(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_assertions_read_as_xmp_properties() {
        // The C2PA specification's stds.exif example (18.13), abridged.
        let v = serde_json::json!({
            "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
            "exif:GPSLatitude": "39,21.102N",
            "exif:GPSLongitude": "74,26.5737W",
            "exif:GPSAltitudeRef": 0,
            "exif:GPSAltitude": "100963/29890",
            "exif:FNumber": 4.0,
            "exifEX:LensSpecification": {"@list": [1.55, 4.2, 1.6, 2.4]},
        });
        let p = properties(&v);
        assert_eq!(p["exif:GPSAltitudeRef"], "0");
        assert_eq!(p["exif:FNumber"], "4.0");
        assert_eq!(p["exifEX:LensSpecification"], "1.55, 4.2, 1.6, 2.4");
        assert!(!p.contains_key("@context"));
        let mut out = Embedded::default();
        crate::metadata::photo::xmp_claims_of(&p, "C2PA stds.exif", &mut out);
        let [(ClaimValue::Location(l), raw)] = &out.values[..] else { panic!("{out:?}") };
        assert_eq!((l.lat, l.lon), (Some(39.3517), Some(-74.442895)));
        assert_eq!(l.altitude_m.map(|a| (a * 1000.0).round()), Some(3378.0));
        assert_eq!(raw["C2PA stds.exif exif:GPSLatitude"], "39,21.102N");
    }

    #[test]
    fn anchors_must_be_certificates() {
        assert!(Anchors::from_pem("not a pem").unwrap_err().contains("no PEM certificate"));
        let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(Anchors::from_pem(bad).is_err());
        assert_eq!(Anchors::default().named(), "none");
    }
}
