//! The link in a reply mail: it names the visitor and the conversation, and is signed and
//! expires, so whoever holds the mail — the visitor — can reopen that chat, and nobody can
//! make one for someone else.
//!
//! Signed as an HS256 JWT under a key derived from the server's secret for this use only, so
//! a link is never accepted as a customer token (`auth::tokens`) or the other way round.

use chimpassist_protocol::{ConversationId, CustomerId};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A link works this long after its mail was sent.
pub const LINK_DAYS: i64 = 7;

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: String,
    /// The conversation the mail was about.
    cnv: String,
    exp: i64,
}

/// Makes and checks links.
#[derive(Clone)]
pub struct Links {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Links(..)")
    }
}

/// What a valid link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub customer: CustomerId,
    pub conversation: ConversationId,
}

impl Links {
    pub fn new(server_secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_secret)
            .expect("HMAC takes a key of any length");
        mac.update(b"chimpassist mail links v1");
        let key = mac.finalize().into_bytes();
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }

    /// A link's token for `customer` and `conversation`, valid [`LINK_DAYS`] from `now_ms`.
    pub fn issue(
        &self,
        customer: &CustomerId,
        conversation: &ConversationId,
        now_ms: i64,
    ) -> String {
        let claims = LinkClaims {
            sub: customer.as_str().to_owned(),
            cnv: conversation.to_string(),
            exp: now_ms / 1000 + LINK_DAYS * 24 * 3600,
        };
        // HS256 over a plain struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// What a valid, unexpired token names; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Opened> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation).ok()?;
        Some(Opened {
            customer: CustomerId::parse(data.claims.sub).ok()?,
            conversation: ConversationId::parse(&data.claims.cnv).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::CustomerTokens;

    const NOW: i64 = 1_765_000_000_000;

    fn ids() -> (CustomerId, ConversationId) {
        (
            CustomerId::parse("c-mail".to_owned()).unwrap(),
            ConversationId::new(),
        )
    }

    #[test]
    fn a_link_names_its_visitor_and_conversation_until_it_expires() {
        let links = Links::new(b"server secret");
        let (customer, conversation) = ids();
        let now = crate::views::now_ms();
        let token = links.issue(&customer, &conversation, now);
        assert_eq!(
            links.verify(&token),
            Some(Opened {
                customer: customer.clone(),
                conversation
            })
        );
        let old = links.issue(&customer, &conversation, NOW - (LINK_DAYS + 1) * 86_400_000);
        assert_eq!(links.verify(&old), None, "expired");
        assert_eq!(Links::new(b"another secret").verify(&token), None);
        let mut forged = token.clone();
        forged.pop();
        assert_eq!(links.verify(&forged), None);
    }

    #[test]
    fn links_and_customer_tokens_are_never_taken_for_each_other() {
        let secret = b"server secret";
        let (customer, conversation) = ids();
        let now = crate::views::now_ms();
        let link = Links::new(secret).issue(&customer, &conversation, now);
        assert_eq!(CustomerTokens::new(secret).verify(&link), None);
        let token = CustomerTokens::new(secret).issue(&customer, now);
        assert_eq!(Links::new(secret).verify(&token), None);
    }
}
