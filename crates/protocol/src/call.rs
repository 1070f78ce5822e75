//! Voice and video calls: what the server tells each side so its browser can connect.
//!
//! Media never crosses the server: browsers talk directly (WebRTC), through a TURN relay
//! when they cannot. The server only hands each participant the ICE servers to use, with
//! TURN credentials of their own that expire (the TURN REST API scheme), never the secret.

use serde::{Deserialize, Serialize};

/// One entry of `RTCConfiguration.iceServers`, in the browser's own shape, so a client
/// passes the list through unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    /// `stun:`, `stuns:`, `turn:` or `turns:` URLs.
    pub urls: Vec<String>,
    /// TURN only: `<expiry as Unix seconds>:<who>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN only: `base64(HMAC-SHA1(secret, username))`, valid until the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}
