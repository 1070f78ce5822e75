//! Voice and video calls. The server never carries media: browsers connect directly
//! (WebRTC) and fall back to a TURN relay. What the server owns is who may reach whom, and the
//! ICE servers each participant gets ([`ice`]).

pub mod ice;

pub use ice::{IceSettings, IceSettingsError, IceUrl};
