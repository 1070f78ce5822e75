//! Widget → server frames.

use chimpassist_protocol::{CallSignal, ConversationId, CustomerToServer, PreChat, UserClaim};

use super::{Json, Out};

fn frame<O: Out>(kind: &str) -> Json<O> {
    Json::new().s("type", kind)
}

/// `hello`'s `user`, in the host page's own names (`avatarURL`).
fn user_json<O: Out>(u: &UserClaim) -> O {
    Json::new()
        .opt("id", u.id.as_deref())
        .opt("name", u.name.as_deref())
        .opt("avatarURL", u.avatar_url.as_deref())
        .opt("email", u.email.as_deref())
        .opt("hash", u.hash.as_deref())
        .opt("token", u.token.as_deref())
        .value()
}

fn media_str(media: chimpassist_protocol::CallMedia) -> &'static str {
    match media {
        chimpassist_protocol::CallMedia::Voice => "voice",
        chimpassist_protocol::CallMedia::Video => "video",
    }
}

/// A call signal in the browser's field names (`sdpMid`, `sdpMLineIndex`).
fn signal_json<O: Out>(signal: &CallSignal) -> O {
    match signal {
        CallSignal::Offer { sdp } => Json::new().s("kind", "offer").s("sdp", sdp.as_str()),
        CallSignal::Answer { sdp } => Json::new().s("kind", "answer").s("sdp", sdp.as_str()),
        CallSignal::Candidate { candidate } => {
            let c = candidate.get();
            let mut line = Json::new()
                .s("candidate", &c.candidate)
                .opt("sdpMid", c.sdp_mid.as_deref());
            if let Some(index) = c.sdp_m_line_index {
                line = line.n("sdpMLineIndex", f64::from(index));
            }
            Json::new()
                .s("kind", "candidate")
                .v("candidate", line.value())
        }
    }
    .value()
}

/// A frame for the server, as a JSON value (the caller turns it into text).
pub(crate) fn client_frame<O: Out>(frame_: &CustomerToServer) -> O {
    use CustomerToServer as F;
    let conv = |kind: &str, c: &ConversationId| frame(kind).s("conversation", &c.to_string());
    let json = match frame_ {
        F::Hello {
            protocol,
            token,
            user,
            resume,
        } => {
            let points = resume
                .iter()
                .map(|p| {
                    Json::new()
                        .s("conversation", &p.conversation.to_string())
                        .n("last_seq", p.last_seq as f64)
                        .value()
                })
                .collect();
            let j = frame("hello")
                .n("protocol", f64::from(*protocol))
                .opt("token", token.as_deref())
                .v("resume", O::list(points));
            match user {
                Some(u) => j.v("user", user_json(u)),
                None => j,
            }
        }
        F::StartChat { queue, prechat } => {
            let j = frame("start_chat").opt("queue", queue.as_ref().map(|q| q.as_str()));
            match prechat {
                Some(PreChat {
                    name,
                    email,
                    problem,
                }) => j.v(
                    "prechat",
                    Json::new()
                        .opt("name", name.as_deref())
                        .opt("email", email.as_deref())
                        .opt("problem", problem.as_deref())
                        .value(),
                ),
                None => j,
            }
        }
        F::Send {
            conversation,
            client_id,
            text,
        } => conv("send", conversation)
            .s("client_id", &client_id.to_string())
            .s("text", text.as_str()),
        F::Receipt {
            conversation,
            kind,
            up_to_seq,
        } => conv("receipt", conversation)
            .s("kind", kind.as_str())
            .n("up_to_seq", *up_to_seq as f64),
        F::Typing {
            conversation,
            state,
        } => conv("typing", conversation).s("state", state.as_str()),
        F::Presence { state } => frame("presence").s("state", state.as_str()),
        F::EndChat { conversation } => conv("end_chat", conversation),
        F::Rate {
            conversation,
            rating,
        } => conv("rate", conversation).v(
            "rating",
            Json::new()
                .n("score", f64::from(rating.score))
                .opt("comment", rating.comment.as_deref())
                .value(),
        ),
        F::History {
            conversation,
            before_seq,
            limit,
        } => {
            let mut j = conv("history", conversation);
            if let Some(b) = before_seq {
                j = j.n("before_seq", *b as f64);
            }
            if let Some(l) = limit {
                j = j.n("limit", f64::from(*l));
            }
            j
        }
        F::Ping { nonce } => frame("ping").n("nonce", *nonce as f64),
        F::CallInvite {
            conversation,
            call_id,
            media,
        } => conv("call_invite", conversation)
            .s("call_id", &call_id.to_string())
            .s("media", media_str(*media)),
        F::CallAccept { call_id } => frame("call_accept").s("call_id", &call_id.to_string()),
        F::CallDecline { call_id } => frame("call_decline").s("call_id", &call_id.to_string()),
        F::CallHangup { call_id, reason } => {
            frame("call_hangup").s("call_id", &call_id.to_string()).s(
                "reason",
                match reason {
                    chimpassist_protocol::Hangup::HungUp => "hung_up",
                    chimpassist_protocol::Hangup::Failed => "failed",
                },
            )
        }
        F::CallSignal { call_id, signal } => frame("call_signal")
            .s("call_id", &call_id.to_string())
            .v("signal", signal_json(signal)),
    };
    json.value()
}
