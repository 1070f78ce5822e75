//! The two sides of a conversation. Its own module because messages (`model`) and calls
//! (`call`) both name a side, and `model` carries call records: neither may import the other
//! both ways.

use serde::{Deserialize, Serialize};

/// Who wrote a message, or started a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Party {
    Customer,
    Attendant,
}
