//! Call frames, the same on both sockets: the coordinator decides and relays
//! ([`crate::coordinator::Caller`]); this connection keeps the calls it joined, to hang them up
//! when it closes, and hands itself its ICE servers.
//!
//! The ICE servers (with TURN credentials) go only to the connection that invited or
//! accepted, straight from this node: never over the bus, never to the other tabs of the same
//! person, which are not in the call.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use chimpassist_protocol::{
    CallEndReason, CallId, CallMedia, CallSignal, ConversationId, Hangup, IceServer, Party,
};

use super::peer::{Failure, reply};
use crate::coordinator::Caller;
use crate::delivery::outbox::OutboxTx;
use crate::delivery::{Answers, ServerFrame};
use crate::error::AppResult;
use crate::state::AppState;

/// A call frame from either socket.
pub(super) enum CallFrame {
    Invite {
        conversation: ConversationId,
        call_id: CallId,
        media: CallMedia,
    },
    Accept {
        call_id: CallId,
    },
    Decline {
        call_id: CallId,
    },
    Hangup {
        call_id: CallId,
        reason: Hangup,
    },
    Signal {
        call_id: CallId,
        signal: CallSignal,
    },
}

impl CallFrame {
    /// The call it concerns.
    pub(super) fn id(&self) -> CallId {
        match self {
            Self::Invite { call_id, .. }
            | Self::Accept { call_id }
            | Self::Decline { call_id }
            | Self::Hangup { call_id, .. }
            | Self::Signal { call_id, .. } => *call_id,
        }
    }
}

/// The call frames of both sockets' enums, which carry the same fields.
macro_rules! from_frames {
    ($($frames:ident),*) => {$(
        impl TryFrom<chimpassist_protocol::$frames> for CallFrame {
            type Error = chimpassist_protocol::$frames;

            fn try_from(frame: chimpassist_protocol::$frames) -> Result<Self, Self::Error> {
                use chimpassist_protocol::$frames as F;
                Ok(match frame {
                    F::CallInvite { conversation, call_id, media } => Self::Invite {
                        conversation,
                        call_id,
                        media,
                    },
                    F::CallAccept { call_id } => Self::Accept { call_id },
                    F::CallDecline { call_id } => Self::Decline { call_id },
                    F::CallHangup { call_id, reason } => Self::Hangup { call_id, reason },
                    F::CallSignal { call_id, signal } => Self::Signal { call_id, signal },
                    other => return Err(other),
                })
            }
        }
    )*};
}

from_frames!(CustomerToServer, AttendantToServer);

/// The calls this connection invited or accepted.
#[derive(Clone, Debug, Default)]
pub(super) struct CallsHere(Arc<Mutex<HashSet<CallId>>>);

impl CallsHere {
    fn with<T>(&self, f: impl FnOnce(&mut HashSet<CallId>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Hangs up every call this connection joined (it closed): the other side hears
    /// `disconnected`. Calls that ended meanwhile are refused by the coordinator, which is
    /// fine.
    pub(super) async fn hang_up_all(&self, state: &AppState, by: Caller) {
        let joined: Vec<CallId> = self.with(|calls| calls.drain().collect());
        for call in joined {
            let hung_up = state
                .coordinator
                .call_hangup(by.clone(), call, CallEndReason::Disconnected)
                .await;
            if let Err(e) = hung_up {
                tracing::debug!(%call, error = %e, "call not hung up on close");
            }
        }
    }
}

/// Handles a call frame of `by`, who speaks through `tx`: an invitation or acceptance gets
/// this connection its ICE servers (`call_ice`).
pub(super) async fn handle<F: ServerFrame>(
    state: &AppState,
    by: Caller,
    here: &CallsHere,
    tx: &OutboxTx,
    frame: CallFrame,
) -> Result<(), Failure> {
    let id = frame.id();
    run::<F>(state, by, here, tx, frame)
        .await
        .map_err(|error| Failure {
            error,
            answers: Some(Answers::Call(id)),
        })
}

async fn run<F: ServerFrame>(
    state: &AppState,
    by: Caller,
    here: &CallsHere,
    tx: &OutboxTx,
    frame: CallFrame,
) -> AppResult<()> {
    let coordinator = &state.coordinator;
    let party = by.party();
    let joined = match frame {
        CallFrame::Invite {
            conversation,
            call_id,
            media,
        } => {
            coordinator
                .call_invite(by, conversation, call_id, media)
                .await?;
            call_id
        }
        CallFrame::Accept { call_id } => {
            coordinator.call_answer(by, call_id, true).await?;
            call_id
        }
        CallFrame::Decline { call_id } => {
            return Ok(coordinator.call_answer(by, call_id, false).await?);
        }
        CallFrame::Hangup { call_id, reason } => {
            here.with(|calls| calls.remove(&call_id));
            return Ok(coordinator.call_hangup(by, call_id, reason.into()).await?);
        }
        CallFrame::Signal { call_id, signal } => {
            return Ok(coordinator.call_signal(by, call_id, signal).await?);
        }
    };
    here.with(|calls| calls.insert(joined));
    let ice = ice_servers(state, joined, party);
    reply(tx, F::call_ice_frame(joined, ice)).await;
    Ok(())
}

/// This side's ICE servers: TURN credentials named after the call and the side (what the
/// relay logs), valid from now.
fn ice_servers(state: &AppState, call: CallId, party: Party) -> Vec<IceServer> {
    state
        .ice
        .servers_for(&format!("{call}.{party}"), SystemTime::now())
}
