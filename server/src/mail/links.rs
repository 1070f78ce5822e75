//! The links in mails: one reopens the chat (in a reply mail), one turns e-mail off (in
//! every mail). Each names the visitor and the conversation, what it is for, and is signed and
//! expires, so whoever holds the mail — the visitor — can use it, and nobody can make one for
//! someone else.
//!
//! Signed as an HS256 JWT under a key derived from the server's secret for this use only, so
//! a link is never accepted as a customer token (`auth::tokens`) or the other way round.

use chimpassist_protocol::{ConversationId, CustomerId};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A reopening link works this long after its mail was sent.
pub const LINK_DAYS: i64 = 7;
/// A link that turns mail off works as long as mail might still come.
pub const STOP_DAYS: i64 = 365;

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Reopen the chat (`/mail/open`).
    Open,
    /// Turn e-mail from the desk off (`/mail/unsubscribe`).
    Stop,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Stop => "stop",
        }
    }

    fn days(self) -> i64 {
        match self {
            Self::Open => LINK_DAYS,
            Self::Stop => STOP_DAYS,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: String,
    /// The conversation the mail was about.
    cnv: String,
    /// [`Purpose`]: a link made for one is refused for the other.
    #[serde(rename = "use")]
    purpose: String,
    /// A stop link's address key (`mail::address_key`): the address that mail goes off for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adr: Option<String>,
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
    /// A stop link's address key.
    pub address_key: Option<String>,
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

    /// A link's token for `customer` and `conversation`, valid from `now_ms` for as long as
    /// its purpose says.
    pub fn issue(
        &self,
        purpose: Purpose,
        customer: &CustomerId,
        conversation: &ConversationId,
        now_ms: i64,
    ) -> String {
        self.sign(LinkClaims {
            sub: customer.as_str().to_owned(),
            cnv: conversation.to_string(),
            purpose: purpose.as_str().to_owned(),
            adr: None,
            exp: now_ms / 1000 + purpose.days() * 24 * 3600,
        })
    }

    /// A stop link's token: mail to the address with `address_key` goes off.
    pub fn issue_stop(
        &self,
        customer: &CustomerId,
        conversation: &ConversationId,
        address_key: &str,
        now_ms: i64,
    ) -> String {
        self.sign(LinkClaims {
            sub: customer.as_str().to_owned(),
            cnv: conversation.to_string(),
            purpose: Purpose::Stop.as_str().to_owned(),
            adr: Some(address_key.to_owned()),
            exp: now_ms / 1000 + Purpose::Stop.days() * 24 * 3600,
        })
    }

    fn sign(&self, claims: LinkClaims) -> String {
        // HS256 over a plain struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// What a valid, unexpired token made for `purpose` names; `None` for anything else.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Option<Opened> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation).ok()?;
        if data.claims.purpose != purpose.as_str() {
            return None;
        }
        Some(Opened {
            customer: CustomerId::parse(data.claims.sub).ok()?,
            conversation: ConversationId::parse(&data.claims.cnv).ok()?,
            address_key: data.claims.adr,
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
        let token = links.issue(Purpose::Open, &customer, &conversation, now);
        assert_eq!(
            links.verify(Purpose::Open, &token),
            Some(Opened {
                customer: customer.clone(),
                conversation,
                address_key: None,
            })
        );
        assert_eq!(links.verify(Purpose::Stop, &token), None, "made to open");
        let stop = links.issue_stop(&customer, &conversation, "k", now);
        assert_eq!(
            links
                .verify(Purpose::Stop, &stop)
                .and_then(|o| o.address_key),
            Some("k".to_owned())
        );
        assert_eq!(links.verify(Purpose::Open, &stop), None, "made to stop");
        let old = links.issue(
            Purpose::Open,
            &customer,
            &conversation,
            NOW - (LINK_DAYS + 1) * 86_400_000,
        );
        assert_eq!(links.verify(Purpose::Open, &old), None, "expired");
        assert_eq!(
            Links::new(b"another secret").verify(Purpose::Open, &token),
            None
        );
        let mut forged = token.clone();
        forged.pop();
        assert_eq!(links.verify(Purpose::Open, &forged), None);
    }

    #[test]
    fn links_and_customer_tokens_are_never_taken_for_each_other() {
        let secret = b"server secret";
        let (customer, conversation) = ids();
        let now = crate::views::now_ms();
        let link = Links::new(secret).issue(Purpose::Open, &customer, &conversation, now);
        assert_eq!(CustomerTokens::new(secret).verify(&link), None);
        let token = CustomerTokens::new(secret).issue(&customer, now);
        assert_eq!(Links::new(secret).verify(Purpose::Open, &token), None);
    }
}
