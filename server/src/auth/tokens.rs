//! Signed tokens: the customer token this server issues to each browser, and the identity
//! proofs a host site may attach to `userData`.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use chimpassist_protocol::CustomerId;

/// Customer tokens live this long; each `hello` issues a fresh one (sliding expiry).
const CUSTOMER_TOKEN_DAYS: i64 = 180;

#[derive(Debug, Serialize, Deserialize)]
struct CustomerClaims {
    sub: String,
    exp: i64,
    iat: i64,
}

/// Signs and checks customer tokens with the server's own secret (kept in the store, so
/// every node shares it).
#[derive(Clone)]
pub struct CustomerTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for CustomerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomerTokens(..)")
    }
}

impl CustomerTokens {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub fn issue(&self, customer: &CustomerId, now_ms: i64) -> String {
        let iat = now_ms / 1000;
        let claims = CustomerClaims {
            sub: customer.as_str().to_owned(),
            iat,
            exp: iat + CUSTOMER_TOKEN_DAYS * 24 * 3600,
        };
        // HS256 over a plain struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// The customer a valid, unexpired token names; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<CustomerId> {
        let validation = Validation::new(Algorithm::HS256);
        let data =
            jsonwebtoken::decode::<CustomerClaims>(token, &self.decoding, &validation).ok()?;
        CustomerId::parse(data.claims.sub).ok()
    }
}

#[derive(Debug, Deserialize)]
struct IdentityClaims {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    avatar: Option<String>,
    /// Read as given; parsed into attribute changes by the caller, so that a bad one is
    /// told as such rather than failing the proof.
    #[serde(default)]
    attributes: Option<serde_json::Value>,
}

/// How a host site proved that a visitor is who `userData.id` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// `userData.hash` = hex HMAC-SHA256(secret, id): covers the id only.
    Hmac,
    /// `userData.token`: an HS256 JWT with `sub` = id and `exp`, and maybe the profile the
    /// site vouches for (`name`, `email`, `avatar` claims, as given) and attributes of
    /// theirs (`attributes`, an object, as given).
    Token {
        name: Option<String>,
        email: Option<String>,
        avatar: Option<String>,
        attributes: Option<serde_json::Value>,
    },
}

/// Checks a host site's proof that a visitor is `id`; `None` when neither proof holds.
///
/// `hash` must be hex HMAC-SHA256(secret, id), compared in constant time; `token` must be an
/// HS256 JWT signed with the same secret, with `sub` = id and an unexpired `exp`. A valid
/// token wins over a hash: it says more.
pub fn identity_proof(
    secret: &[u8],
    id: &str,
    hash: Option<&str>,
    token: Option<&str>,
) -> Option<Proof> {
    if let Some(token) = token {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        if let Ok(data) = jsonwebtoken::decode::<IdentityClaims>(
            token,
            &DecodingKey::from_secret(secret),
            &validation,
        ) && data.claims.sub == id
        {
            let claims = data.claims;
            return Some(Proof::Token {
                name: claims.name,
                email: claims.email,
                avatar: claims.avatar,
                attributes: claims.attributes,
            });
        }
    }
    let expected = hex::decode(hash?.trim()).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(id.as_bytes());
    mac.verify_slice(&expected).ok().map(|()| Proof::Hmac)
}

/// SHA-256 hex of a session token: only this is stored, so a leaked database holds no
/// usable cookies.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (256 bits, URL-safe base64).
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_tokens_round_trip_and_reject_tampering() {
        let tokens = CustomerTokens::new(b"0123456789abcdef0123456789abcdef");
        let id = CustomerId::parse("c1").unwrap();
        let now = 1_700_000_000_000;
        let token = tokens.issue(&id, crate::views::now_ms().max(now));
        assert_eq!(tokens.verify(&token), Some(id));
        let other = CustomerTokens::new(b"another secret, another server!!");
        assert_eq!(other.verify(&token), None);
        assert_eq!(tokens.verify("garbage"), None);
    }

    #[test]
    fn hmac_proof_must_match_the_id() {
        let secret = b"site secret";
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(b"298301");
        let hash = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            identity_proof(secret, "298301", Some(&hash), None),
            Some(Proof::Hmac)
        );
        assert_eq!(identity_proof(secret, "298302", Some(&hash), None), None);
        assert_eq!(identity_proof(b"other", "298301", Some(&hash), None), None);
        assert_eq!(identity_proof(secret, "298301", Some("zz"), None), None);
    }

    #[test]
    fn jwt_proof_needs_matching_sub_and_expiry() {
        #[derive(Serialize)]
        struct C<'a> {
            sub: &'a str,
            exp: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'a str>,
        }
        let secret = b"site secret";
        let key = EncodingKey::from_secret(secret);
        let future = crate::views::now_ms() / 1000 + 600;
        let good = jsonwebtoken::encode(
            &Header::default(),
            &C {
                sub: "42",
                exp: future,
                name: Some("Ana Lima"),
            },
            &key,
        )
        .unwrap();
        assert_eq!(
            identity_proof(secret, "42", None, Some(&good)),
            Some(Proof::Token {
                name: Some("Ana Lima".into()),
                email: None,
                avatar: None,
                attributes: None,
            })
        );
        assert_eq!(identity_proof(secret, "43", None, Some(&good)), None);
        let expired = jsonwebtoken::encode(
            &Header::default(),
            &C {
                sub: "42",
                exp: 1000,
                name: None,
            },
            &key,
        )
        .unwrap();
        assert_eq!(identity_proof(secret, "42", None, Some(&expired)), None);
    }
}
