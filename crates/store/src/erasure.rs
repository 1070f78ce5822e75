//! What erasing a customer leaves: counts, and the placeholder their conversations move to.

use chimpassist_protocol::CustomerId;

use crate::Customer;

/// The id of the record erased customers' conversations belong to afterwards, so reports still
/// count them while nothing names the person. Created by the first erasure.
pub const ERASED_CUSTOMER: &str = "erased";
/// Its name, wherever a conversation shows its customer.
pub const ERASED_NAME: &str = "Erased customer";

/// How much an erasure removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Conversations emptied and moved to the placeholder.
    pub conversations: u64,
    pub messages: u64,
    pub notes: u64,
    pub files: u64,
    pub callbacks: u64,
}

/// The placeholder's record.
pub fn placeholder() -> Customer {
    Customer {
        id: CustomerId::parse(ERASED_CUSTOMER).unwrap_or_else(|_| unreachable!("a valid id")),
        external_id: None,
        verified: false,
        profile_verified: false,
        name: ERASED_NAME.to_owned(),
        avatar_url: None,
        email: None,
        created_at: 0,
    }
}
