//! How much of a customer's identity the host site proved, as the lists and the customer
//! panel show it.
//!
//! `verified` means the site proved the id it knows the visitor by (`external_id`), with an
//! HMAC or a signed token; `profile_verified` that the name, e-mail and avatar came from that
//! signed token too. With an HMAC only the id is proven: the name and e-mail are still what
//! the visitor's page claimed, and are shown as such.

use chimpassist_protocol::CustomerView;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Id and profile signed by the site: ✓ by the name.
    Profile,
    /// Only the site id is proven: ✓ by the id; name and e-mail are unverified claims.
    SiteId(String),
    /// Nothing proven: everything shown is what the visitor's page claimed.
    Unverified,
}

impl Identity {
    pub fn of(c: &CustomerView) -> Self {
        let site_id = c
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty());
        match (c.verified, c.profile_verified, site_id) {
            (true, true, _) => Identity::Profile,
            (true, false, Some(id)) => Identity::SiteId(id.to_owned()),
            // A proof without the id it proves vouches for nothing shown.
            _ => Identity::Unverified,
        }
    }

    /// Whether the name and e-mail shown are the visitor's own claims though the site proved
    /// who they are (so they get an "unverified" mark of their own).
    pub fn profile_claimed(&self) -> bool {
        matches!(self, Identity::SiteId(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::CustomerId;

    fn customer(verified: bool, profile_verified: bool, external_id: Option<&str>) -> CustomerView {
        CustomerView {
            id: CustomerId::parse("customer-1").expect("a customer id"),
            name: "Ada".into(),
            avatar_url: None,
            email: Some("ada@example.com".into()),
            external_id: external_id.map(str::to_owned),
            verified,
            profile_verified,
        }
    }

    #[test]
    fn a_signed_profile_is_verified_as_a_whole() {
        let c = customer(true, true, Some("42"));
        assert_eq!(Identity::of(&c), Identity::Profile);
        assert!(!Identity::of(&c).profile_claimed());
    }

    #[test]
    fn a_proven_id_alone_leaves_the_profile_a_claim() {
        let c = customer(true, false, Some(" 42 "));
        assert_eq!(Identity::of(&c), Identity::SiteId("42".into()));
        assert!(Identity::of(&c).profile_claimed());
    }

    #[test]
    fn unproven_customers_stay_unverified() {
        assert_eq!(
            Identity::of(&customer(false, false, Some("42"))),
            Identity::Unverified
        );
        assert_eq!(
            Identity::of(&customer(false, false, None)),
            Identity::Unverified
        );
        // Never sent by the server, but a flag without the id proves nothing shown.
        assert_eq!(
            Identity::of(&customer(true, false, Some(" "))),
            Identity::Unverified
        );
        assert!(!Identity::Unverified.profile_claimed());
    }
}
