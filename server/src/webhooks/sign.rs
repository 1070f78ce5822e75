//! Standard Webhooks v1 signatures (symmetric): `v1,` + base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, keyed with the base64 part of a `whsec_…` secret.
//!
//! Written here (about 30 lines) rather than taken from the `standardwebhooks` crate, which
//! depends on `http` 0.2 while axum uses 1.x; the official test vector checks it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the spec allows 24 to 64).
const SECRET_BYTES: usize = 32;

/// A new secret in the `whsec_…` form.
pub fn new_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The `v1,…` signature of one delivery with `secret`; `None` when the secret is not in the
/// `whsec_` + base64 form (only secrets this server made are stored, so that is a bug).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret, space-separated, so a receiver
/// that knows either secret accepts the delivery while a rotation overlaps.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let signatures: Option<Vec<String>> = secrets
        .iter()
        .map(|secret| signature(secret, id, timestamp, body))
        .collect();
    Some(signatures?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's test vector (standard-webhooks, `libraries/rust/src/lib.rs`).
    #[test]
    fn signs_the_official_test_vector() {
        let signed = signature(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(
            signed.as_deref(),
            Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
        );
    }

    #[test]
    fn new_secrets_are_distinct_and_usable() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 44);
        let both = header(&[&a, &b], "id", 1, b"{}").unwrap();
        assert_eq!(both.split(' ').count(), 2);
        assert!(signature("not-a-secret", "id", 1, b"{}").is_none());
    }
}
