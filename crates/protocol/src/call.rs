//! Voice and video calls inside a conversation.
//!
//! Media never crosses the server: the two browsers talk directly (WebRTC), through a TURN
//! relay when they cannot. The server carries the signalling, between the conversation's
//! customer and the attendant holding it only, and keeps who is calling whom: one call at a
//! time per conversation.
//!
//! # The exchange
//! 1. A side sends `call_invite {conversation, call_id, media}` (the customer's is a request,
//!    allowed by the queue's [`CallPolicy`]). Both sides get `call {call}` with `state:
//!    ringing`; the inviting connection also gets `call_ice {call_id, ice_servers}`.
//! 2. The other side answers `call_accept {call_id}` (its connection gets `call_ice`, and both
//!    sides `call` with `state: active`) or `call_decline`. Unanswered for 30 s, the call ends
//!    `missed`.
//! 3. The **inviting side makes the offer**; the accepting side only answers, so both never
//!    offer at once (no glare). `call_signal {call_id, signal}` carries the offer, the answer
//!    and ICE candidates, relayed as they are; an ICE restart is a new offer.
//! 4. Either side sends `call_hangup`; both get `call_ended {call_id, reason}`. A call also
//!    ends when its conversation closes or moves to another attendant, or a connection in
//!    the call closes.

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::{CallId, ConversationId, TimestampMs};
use crate::party::Party;

/// Longest SDP accepted, bytes (a video offer with screen share is ~6 KB).
pub const MAX_SDP_BYTES: usize = 14 * 1024;
/// Longest ICE candidate line, bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// Longest `sdpMid`, bytes.
const MAX_MID_BYTES: usize = 64;

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

/// Voice only, or voice and video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallMedia {
    Voice,
    Video,
}

/// Who may start a call in a queue's conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallPolicy {
    /// No calls.
    Off,
    /// The attendant calls; customers cannot ask.
    #[default]
    AttendantStarts,
    /// Either side: customers may ask for a call too.
    EitherSide,
}

impl CallPolicy {
    /// Whether `party` may start a call under this policy.
    pub fn lets(self, party: Party) -> bool {
        match self {
            Self::Off => false,
            Self::AttendantStarts => party == Party::Attendant,
            Self::EitherSide => true,
        }
    }
}

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallState {
    /// Invited; the other side has not answered yet.
    Ringing,
    /// Accepted: the browsers connect and talk.
    Active,
}

/// A call as both sides see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallView {
    pub id: CallId,
    pub conversation: ConversationId,
    pub media: CallMedia,
    /// Who invited (and so makes the offer).
    pub started_by: Party,
    /// The inviting side's display name.
    pub caller_name: String,
    /// The other side's display name.
    pub callee_name: String,
    pub state: CallState,
    pub invited_at: TimestampMs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<TimestampMs>,
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallEndReason {
    /// A side hung up (`by` says which).
    HungUp,
    /// The invited side said no.
    Declined,
    /// Nobody answered in time.
    Missed,
    /// The browsers lost each other and an ICE restart did not bring them back.
    Failed,
    /// A side's connection in the call closed (tab closed, network lost, session revoked).
    Disconnected,
    /// The conversation was resolved, expired or left.
    ConversationEnded,
    /// The conversation moved to another attendant (or back to the queue).
    Transferred,
}

/// A call as the conversation's transcript keeps it: the message that records it carries this
/// (its `from` is the side that called; its text says the same in English, for exports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRecord {
    pub call_id: CallId,
    pub media: CallMedia,
    pub started_by: Party,
    pub invited_at: TimestampMs,
    /// When the other side accepted; `None`: never answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<TimestampMs>,
    pub ended_at: TimestampMs,
    pub reason: CallEndReason,
}

/// How a call went, as transcripts and reports count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Talked: accepted, for this many milliseconds.
    Answered { duration_ms: i64 },
    /// Nobody answered in time.
    Missed,
    /// The invited side said no.
    Declined,
    /// Ended before anyone answered (hung up while ringing, the conversation ended…).
    Cancelled,
}

impl CallRecord {
    pub fn outcome(&self) -> CallOutcome {
        match (self.answered_at, self.reason) {
            (Some(at), _) => CallOutcome::Answered {
                duration_ms: (self.ended_at - at).max(0),
            },
            (None, CallEndReason::Missed) => CallOutcome::Missed,
            (None, CallEndReason::Declined) => CallOutcome::Declined,
            (None, _) => CallOutcome::Cancelled,
        }
    }

    /// The record in words (English), for the message's text: what an export or an older
    /// client shows.
    pub fn summary(&self) -> String {
        let (kind, title) = match self.media {
            CallMedia::Voice => ("voice call", "Voice call"),
            CallMedia::Video => ("video call", "Video call"),
        };
        match self.outcome() {
            CallOutcome::Answered { duration_ms } => {
                let secs = duration_ms / 1000;
                format!("{title}, {}:{:02}", secs / 60, secs % 60)
            }
            CallOutcome::Missed => format!("Missed {kind}"),
            CallOutcome::Declined => format!("Declined {kind}"),
            CallOutcome::Cancelled => format!("Cancelled {kind}"),
        }
    }
}

/// Why a side hangs up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Hangup {
    /// The user ended the call.
    #[default]
    HungUp,
    /// The connection dropped and could not be restored.
    Failed,
}

impl From<Hangup> for CallEndReason {
    fn from(h: Hangup) -> Self {
        match h {
            Hangup::HungUp => Self::HungUp,
            Hangup::Failed => Self::Failed,
        }
    }
}

/// A session description (`RTCSessionDescription.sdp`): non-empty, starts `v=0`, at most
/// [`MAX_SDP_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Sdp(String);

impl Sdp {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ProtocolError> {
        let raw = raw.into();
        if !raw.starts_with("v=0") {
            return Err(ProtocolError::invalid(
                "sdp must be a session description (v=0 …)",
            ));
        }
        if raw.len() > MAX_SDP_BYTES {
            return Err(ProtocolError::invalid(format!(
                "sdp is longer than {MAX_SDP_BYTES} bytes"
            )));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sdp {
    type Error = ProtocolError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<Sdp> for String {
    fn from(s: Sdp) -> String {
        s.0
    }
}

/// An ICE candidate (`RTCIceCandidateInit`, in the browser's field names). An empty
/// `candidate` is the end of candidates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCandidate", into = "RawCandidate")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = RawCandidate))]
pub struct IceCandidate(RawCandidate);

/// The wire form of [`IceCandidate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RawCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
}

impl IceCandidate {
    pub fn parse(raw: RawCandidate) -> Result<Self, ProtocolError> {
        let line = raw.candidate.as_str();
        if !(line.is_empty() || line.starts_with("candidate:")) {
            return Err(ProtocolError::invalid(
                "candidate must be an ICE candidate line (candidate:…) or empty",
            ));
        }
        if line.len() > MAX_CANDIDATE_BYTES || line.contains(['\r', '\n']) {
            return Err(ProtocolError::invalid(format!(
                "candidate must be one line of at most {MAX_CANDIDATE_BYTES} bytes"
            )));
        }
        if raw
            .sdp_mid
            .as_ref()
            .is_some_and(|m| m.len() > MAX_MID_BYTES)
        {
            return Err(ProtocolError::invalid(format!(
                "sdpMid is longer than {MAX_MID_BYTES} bytes"
            )));
        }
        Ok(Self(raw))
    }

    pub fn get(&self) -> &RawCandidate {
        &self.0
    }
}

impl TryFrom<RawCandidate> for IceCandidate {
    type Error = ProtocolError;
    fn try_from(raw: RawCandidate) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<IceCandidate> for RawCandidate {
    fn from(c: IceCandidate) -> RawCandidate {
        c.0
    }
}

/// What the two browsers tell each other to connect, relayed as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallSignal {
    /// From the inviting side only (a first offer, or an ICE restart).
    Offer {
        sdp: Sdp,
    },
    /// From the accepting side only.
    Answer {
        sdp: Sdp,
    },
    Candidate {
        candidate: IceCandidate,
    },
}

impl CallSignal {
    /// Whether `party` may send this signal in a call `started_by` started: offers come from
    /// the inviting side, answers from the other (no glare).
    pub fn allowed_from(&self, party: Party, started_by: Party) -> bool {
        match self {
            Self::Offer { .. } => party == started_by,
            Self::Answer { .. } => party != started_by,
            Self::Candidate { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_keep_the_browsers_field_names_and_refuse_what_is_not_sdp() {
        let json = r#"{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}"#;
        let signal: CallSignal = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&signal).unwrap(), json);
        let end: CallSignal =
            serde_json::from_str(r#"{"kind":"candidate","candidate":{"candidate":""}}"#).unwrap();
        assert!(matches!(end, CallSignal::Candidate { .. }));
        for bad in [
            r#"{"kind":"offer","sdp":"<script>"}"#,
            r#"{"kind":"candidate","candidate":{"candidate":"rm -rf"}}"#,
            r#"{"kind":"candidate","candidate":{"candidate":"candidate:1\r\na=evil"}}"#,
        ] {
            assert!(serde_json::from_str::<CallSignal>(bad).is_err(), "{bad}");
        }
        let long = format!(
            r#"{{"kind":"answer","sdp":"v=0{}"}}"#,
            "x".repeat(MAX_SDP_BYTES)
        );
        assert!(serde_json::from_str::<CallSignal>(&long).is_err());
    }

    #[test]
    fn only_the_inviting_side_offers_and_only_the_other_answers() {
        let sdp = || Sdp::parse("v=0\r\n").unwrap();
        let offer = CallSignal::Offer { sdp: sdp() };
        let answer = CallSignal::Answer { sdp: sdp() };
        assert!(offer.allowed_from(Party::Attendant, Party::Attendant));
        assert!(!offer.allowed_from(Party::Customer, Party::Attendant));
        assert!(answer.allowed_from(Party::Customer, Party::Attendant));
        assert!(!answer.allowed_from(Party::Attendant, Party::Attendant));
    }

    #[test]
    fn a_record_says_how_the_call_went() {
        let record = |answered_at, reason| CallRecord {
            call_id: CallId::new(),
            media: CallMedia::Video,
            started_by: Party::Attendant,
            invited_at: 1_000,
            answered_at,
            ended_at: 152_500,
            reason,
        };
        let talked = record(Some(2_000), CallEndReason::HungUp);
        assert_eq!(
            talked.outcome(),
            CallOutcome::Answered {
                duration_ms: 150_500
            }
        );
        assert_eq!(talked.summary(), "Video call, 2:30");
        assert_eq!(
            record(None, CallEndReason::Missed).summary(),
            "Missed video call"
        );
        assert_eq!(
            record(None, CallEndReason::Declined).outcome(),
            CallOutcome::Declined
        );
        assert_eq!(
            record(None, CallEndReason::Transferred).outcome(),
            CallOutcome::Cancelled
        );
    }

    #[test]
    fn the_policy_says_who_may_start() {
        assert!(!CallPolicy::Off.lets(Party::Attendant));
        assert!(CallPolicy::default().lets(Party::Attendant));
        assert!(!CallPolicy::default().lets(Party::Customer));
        assert!(CallPolicy::EitherSide.lets(Party::Customer));
    }
}
