//! The two sides of a conversation. Its own module because messages (`model`) and calls
//! (`call`) both name a side, and `model` carries call records: neither may import the other
//! both ways.

use serde::{Deserialize, Serialize};

/// Who wrote a message, or started a call. `Bot` writes only messages: an integration
/// answering through the REST API under a display name (a site's own FAQ bot or AI
/// assistant); it never calls, types or sends receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Party {
    Customer,
    Attendant,
    Bot,
}

impl Party {
    /// Whether this side speaks for the site (an attendant or a bot), as readers group them.
    pub fn is_team(self) -> bool {
        matches!(self, Self::Attendant | Self::Bot)
    }
}
