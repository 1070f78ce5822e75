//! Widget → server frames.

use chimpassist_protocol::{ConversationId, CustomerToServer, PreChat, UserClaim};

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
            attachments,
        } => {
            let j = conv("send", conversation)
                .s("client_id", &client_id.to_string())
                .opt("text", Some(text.as_str()).filter(|t| !t.is_empty()));
            if attachments.is_empty() {
                j
            } else {
                let ids = attachments.iter().map(|id| O::text(&id.to_string()));
                j.v("attachments", O::list(ids.collect()))
            }
        }
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
        F::LeaveEmail { email } => frame("leave_email").s("email", email),
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
        // Calls are not the chat's: the call code (loaded only when a call starts) will write
        // its own frames and hand them to the socket as text, so the chat carries none of
        // it. Nothing in the chat builds these.
        F::CallInvite { .. }
        | F::CallAccept { .. }
        | F::CallDecline { .. }
        | F::CallHangup { .. }
        | F::CallSignal { .. } => frame("call"),
        // The page helper's frames (`helper-frames`, written in widget/js/page.js): absent
        // from the chat's build, present where the workspace's other crates enable them.
        #[allow(unreachable_patterns)]
        _ => frame("page"),
    };
    json.value()
}
