//! Calls: who is calling whom, at most one call per conversation. Pure: each decision is
//! taken on the facts given and returns what happened; the actor ([`super::call_ops`]) reads
//! the facts from its model and tells both sides.
//!
//! Why in the coordinator: it alone knows, cluster-wide and in order, who holds each
//! conversation, so "one call per conversation", "only the holder and the customer" and
//! "a resolved or transferred conversation ends its call" are decided in one place.

use std::collections::HashMap;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, CallEndReason, CallId, CallMedia, CallPolicy, CallSignal, CallState, CallView,
    ConversationId, CustomerId, Party, TimestampMs,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// One side of a conversation, as a request names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "party", content = "id", rename_all = "snake_case")]
pub enum Caller {
    Customer(CustomerId),
    Attendant(AttendantId),
}

impl Caller {
    pub fn party(&self) -> Party {
        match self {
            Self::Customer(_) => Party::Customer,
            Self::Attendant(_) => Party::Attendant,
        }
    }
}

/// What a decision needs to know of the conversation, from the model.
#[derive(Clone, Debug)]
pub(crate) struct Scene {
    pub(crate) conversation: ConversationId,
    pub(crate) customer: CustomerId,
    pub(crate) customer_name: String,
    /// The holder, with their name (`None`: queued, nobody to call).
    pub(crate) attendant: Option<(AttendantId, String)>,
    pub(crate) policy: CallPolicy,
}

/// A call going on.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) view: CallView,
    pub(crate) customer: CustomerId,
    pub(crate) attendant: AttendantId,
    /// When it began ringing, for the ring timeout.
    rang_at: Instant,
}

impl Call {
    fn side(&self, caller: &Caller) -> Option<Party> {
        match caller {
            Caller::Customer(c) if *c == self.customer => Some(Party::Customer),
            Caller::Attendant(a) if *a == self.attendant => Some(Party::Attendant),
            _ => None,
        }
    }
}

/// A call that ended, and why.
#[derive(Clone, Debug)]
pub(crate) struct Ended {
    pub(crate) call: Call,
    pub(crate) reason: CallEndReason,
    pub(crate) by: Option<Party>,
}

/// Why a call request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a participant of that conversation or call (or no such call: no probing).
    Stranger,
    /// The conversation has nobody on the other side (queued) or is closed.
    NotOpen,
    /// The queue's policy does not let this side start a call.
    NotAllowed(CallPolicy),
    /// The conversation has a call already.
    InProgress,
    /// The call id is taken by another call.
    DuplicateId,
    /// The customer's last request went unanswered: they may ask again after this long.
    TooSoon(Duration),
    /// Not now in this call (answering one's own invitation, signalling before it is
    /// accepted, an offer from the answering side…).
    Out(&'static str),
}

/// How the invited side answered.
pub(crate) enum Answered {
    Accepted(Call),
    Declined(Ended),
}

/// After a customer's call request ends unanswered (declined, missed, withdrawn), how long
/// before they may ask again in that conversation: a visitor cannot ring the desk over and
/// over. The attendant may call back at once.
pub(crate) const REQUEST_PAUSE: Duration = Duration::from_secs(30);

/// The calls going on.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    by_conversation: HashMap<ConversationId, Call>,
    by_id: HashMap<CallId, ConversationId>,
    /// Conversations whose customer may not ask for a call again before then.
    paused: HashMap<ConversationId, Instant>,
}

impl Calls {
    /// Nothing to settle: no call, and no paused request to forget.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_conversation.is_empty() && self.paused.is_empty()
    }

    /// `by` starts a `media` call in `scene`'s conversation: it rings on the other side.
    /// Returns the call as it now stands.
    pub(crate) fn invite(
        &mut self,
        by: &Caller,
        scene: Scene,
        id: CallId,
        media: CallMedia,
        at: (TimestampMs, Instant),
    ) -> Result<Call, Refusal> {
        let Some((attendant, attendant_name)) = scene.attendant else {
            return Err(match by {
                Caller::Customer(c) if *c == scene.customer => Refusal::NotOpen,
                _ => Refusal::Stranger,
            });
        };
        let party = match by {
            Caller::Customer(c) if *c == scene.customer => Party::Customer,
            Caller::Attendant(a) if *a == attendant => Party::Attendant,
            _ => return Err(Refusal::Stranger),
        };
        if !scene.policy.lets(party) {
            return Err(Refusal::NotAllowed(scene.policy));
        }
        if let Some(until) = self.paused.get(&scene.conversation)
            && party == Party::Customer
            && at.1 < *until
        {
            return Err(Refusal::TooSoon(*until - at.1));
        }
        if self.by_conversation.contains_key(&scene.conversation) {
            return Err(Refusal::InProgress);
        }
        if self.by_id.contains_key(&id) {
            return Err(Refusal::DuplicateId);
        }
        let (caller_name, callee_name) = match party {
            Party::Customer => (scene.customer_name, attendant_name),
            Party::Attendant => (attendant_name, scene.customer_name),
            // Bots write messages only.
            Party::Bot => return Err(Refusal::Stranger),
        };
        let view = CallView {
            id,
            conversation: scene.conversation,
            media,
            started_by: party,
            caller_name,
            callee_name,
            state: CallState::Ringing,
            invited_at: at.0,
            answered_at: None,
        };
        let call = Call {
            view,
            customer: scene.customer,
            attendant,
            rang_at: at.1,
        };
        self.by_id.insert(id, scene.conversation);
        self.by_conversation
            .insert(scene.conversation, call.clone());
        Ok(call)
    }

    /// The call `id` if `by` is in it, with their side.
    pub(crate) fn of(&self, by: &Caller, id: CallId) -> Result<(&Call, Party), Refusal> {
        let call = self
            .by_id
            .get(&id)
            .and_then(|c| self.by_conversation.get(c))
            .ok_or(Refusal::Stranger)?;
        let side = call.side(by).ok_or(Refusal::Stranger)?;
        Ok((call, side))
    }

    /// The invited side answers a ringing call.
    pub(crate) fn answer(
        &mut self,
        by: &Caller,
        id: CallId,
        accept: bool,
        at: (TimestampMs, Instant),
    ) -> Result<Answered, Refusal> {
        let (call, side) = self.of(by, id)?;
        if side == call.view.started_by {
            return Err(Refusal::Out("you started this call"));
        }
        if call.view.state != CallState::Ringing {
            return Err(Refusal::Out("the call was answered already"));
        }
        if !accept {
            let call = self.remove(id, at.1);
            return Ok(Answered::Declined(Ended {
                call,
                reason: CallEndReason::Declined,
                by: Some(side),
            }));
        }
        let conversation = call.view.conversation;
        let call = self
            .by_conversation
            .get_mut(&conversation)
            .expect("found above");
        call.view.state = CallState::Active;
        call.view.answered_at = Some(at.0);
        Ok(Answered::Accepted(call.clone()))
    }

    /// Checks a signal from `by` in call `id`: an accepted call, offers from the inviting
    /// side, answers from the other. Returns the call, to relay to the other side.
    pub(crate) fn signal(
        &self,
        by: &Caller,
        id: CallId,
        signal: &CallSignal,
    ) -> Result<&Call, Refusal> {
        let (call, side) = self.of(by, id)?;
        if call.view.state != CallState::Active {
            return Err(Refusal::Out("the call has not been accepted"));
        }
        if !signal.allowed_from(side, call.view.started_by) {
            return Err(Refusal::Out(
                "the side that started the call offers; the other answers",
            ));
        }
        Ok(call)
    }

    /// `by` (a participant) ends call `id` for `reason`.
    pub(crate) fn hang_up(
        &mut self,
        by: &Caller,
        id: CallId,
        reason: CallEndReason,
        now: Instant,
    ) -> Result<Ended, Refusal> {
        let (_, side) = self.of(by, id)?;
        Ok(Ended {
            call: self.remove(id, now),
            reason,
            by: Some(side),
        })
    }

    /// Ends the calls that cannot go on: those `gone` gives a reason for (their
    /// conversation closed or moved), and those that rang `ring` or longer unanswered.
    pub(crate) fn settle(
        &mut self,
        now: Instant,
        ring: Duration,
        gone: impl Fn(&Call) -> Option<CallEndReason>,
    ) -> Vec<Ended> {
        let ending: Vec<_> = self
            .by_conversation
            .values()
            .filter_map(|call| {
                let reason = gone(call).or_else(|| {
                    (call.view.state == CallState::Ringing
                        && now.duration_since(call.rang_at) >= ring)
                        .then_some(CallEndReason::Missed)
                })?;
                Some((call.view.id, reason))
            })
            .collect();
        self.paused.retain(|_, until| *until > now);
        ending
            .into_iter()
            .map(|(id, reason)| Ended {
                call: self.remove(id, now),
                reason,
                by: None,
            })
            .collect()
    }

    /// Removes a call that ended at `now`; a customer's request that nobody took pauses
    /// their requests ([`REQUEST_PAUSE`]).
    fn remove(&mut self, id: CallId, now: Instant) -> Call {
        let conversation = self.by_id.remove(&id).expect("a call has its id");
        let call = self
            .by_conversation
            .remove(&conversation)
            .expect("a call has its conversation");
        if call.view.started_by == Party::Customer && call.view.state == CallState::Ringing {
            self.paused.insert(conversation, now + REQUEST_PAUSE);
        }
        call
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::Sdp;

    fn customer() -> CustomerId {
        CustomerId::parse("c-1").unwrap()
    }

    fn attendant() -> AttendantId {
        AttendantId::parse("a-1").unwrap()
    }

    fn scene(policy: CallPolicy) -> Scene {
        Scene {
            conversation: ConversationId::from(uuid::Uuid::from_u128(1)),
            customer: customer(),
            customer_name: "Ana".into(),
            attendant: Some((attendant(), "Bia".into())),
            policy,
        }
    }

    fn at(now: Instant) -> (TimestampMs, Instant) {
        (1_000, now)
    }

    #[test]
    fn the_holder_calls_the_customer_answers_and_either_hangs_up() {
        let mut calls = Calls::default();
        let now = Instant::now();
        let me = Caller::Attendant(attendant());
        let them = Caller::Customer(customer());
        let id = CallId::new();
        let Call { view, .. } = calls
            .invite(
                &me,
                scene(CallPolicy::default()),
                id,
                CallMedia::Video,
                at(now),
            )
            .unwrap();
        assert_eq!(view.started_by, Party::Attendant);
        assert_eq!(
            (view.caller_name.as_str(), view.callee_name.as_str()),
            ("Bia", "Ana")
        );
        let offer = CallSignal::Offer {
            sdp: Sdp::parse("v=0\r\n").unwrap(),
        };
        assert!(matches!(
            calls.signal(&me, id, &offer),
            Err(Refusal::Out(_))
        ));
        assert!(matches!(
            calls.answer(&me, id, true, (2_000, now)),
            Err(Refusal::Out(_))
        ));
        let Ok(Answered::Accepted(Call { view, .. })) = calls.answer(&them, id, true, (2_000, now))
        else {
            panic!("accepted");
        };
        assert_eq!(view.state, CallState::Active);
        assert_eq!(view.answered_at, Some(2_000));
        assert!(calls.signal(&me, id, &offer).is_ok());
        assert!(matches!(
            calls.signal(&them, id, &offer),
            Err(Refusal::Out(_))
        ));
        let ended = calls
            .hang_up(&them, id, CallEndReason::HungUp, now)
            .unwrap();
        assert_eq!(ended.by, Some(Party::Customer));
        assert!(calls.is_empty());
    }

    #[test]
    fn one_call_per_conversation_and_only_its_two_sides() {
        let mut calls = Calls::default();
        let now = Instant::now();
        let me = Caller::Attendant(attendant());
        let first = CallId::new();
        calls
            .invite(
                &me,
                scene(CallPolicy::default()),
                first,
                CallMedia::Voice,
                at(now),
            )
            .unwrap();
        assert_eq!(
            calls
                .invite(
                    &me,
                    scene(CallPolicy::default()),
                    CallId::new(),
                    CallMedia::Voice,
                    at(now)
                )
                .err(),
            Some(Refusal::InProgress)
        );
        let stranger = Caller::Attendant(AttendantId::parse("a-2").unwrap());
        let other_customer = Caller::Customer(CustomerId::parse("c-2").unwrap());
        for who in [&stranger, &other_customer] {
            assert_eq!(
                calls
                    .invite(
                        who,
                        scene(CallPolicy::EitherSide),
                        CallId::new(),
                        CallMedia::Voice,
                        at(now)
                    )
                    .err(),
                Some(Refusal::Stranger)
            );
            assert_eq!(calls.of(who, first).err(), Some(Refusal::Stranger));
            assert_eq!(
                calls.hang_up(who, first, CallEndReason::HungUp, now).err(),
                Some(Refusal::Stranger)
            );
        }
    }

    #[test]
    fn the_queue_says_who_may_start() {
        let now = Instant::now();
        let customer = Caller::Customer(customer());
        let mut calls = Calls::default();
        assert_eq!(
            calls
                .invite(
                    &customer,
                    scene(CallPolicy::default()),
                    CallId::new(),
                    CallMedia::Voice,
                    at(now)
                )
                .err(),
            Some(Refusal::NotAllowed(CallPolicy::AttendantStarts))
        );
        assert_eq!(
            calls
                .invite(
                    &Caller::Attendant(attendant()),
                    scene(CallPolicy::Off),
                    CallId::new(),
                    CallMedia::Voice,
                    at(now)
                )
                .err(),
            Some(Refusal::NotAllowed(CallPolicy::Off))
        );
        let Call { view, .. } = calls
            .invite(
                &customer,
                scene(CallPolicy::EitherSide),
                CallId::new(),
                CallMedia::Voice,
                at(now),
            )
            .unwrap();
        assert_eq!(view.started_by, Party::Customer);
        assert_eq!(
            (view.caller_name.as_str(), view.callee_name.as_str()),
            ("Ana", "Bia")
        );
        let mut queued = scene(CallPolicy::EitherSide);
        queued.attendant = None;
        queued.conversation = ConversationId::from(uuid::Uuid::from_u128(2));
        assert_eq!(
            calls
                .invite(&customer, queued, CallId::new(), CallMedia::Voice, at(now))
                .err(),
            Some(Refusal::NotOpen)
        );
    }

    /// Alice (the holder) calls Ana in the default queue.
    fn ring_alice(calls: &mut Calls, id: CallId, now: Instant) {
        let alice = Caller::Attendant(attendant());
        let scene = scene(CallPolicy::default());
        calls
            .invite(&alice, scene, id, CallMedia::Voice, at(now))
            .unwrap();
    }

    #[test]
    fn a_customer_whose_request_went_unanswered_waits_before_asking_again() {
        let now = Instant::now();
        let ana = Caller::Customer(customer());
        let mut calls = Calls::default();
        let ask = |calls: &mut Calls, at: Instant| {
            let scene = scene(CallPolicy::EitherSide);
            calls.invite(&ana, scene, CallId::new(), CallMedia::Voice, (0, at))
        };
        let first = ask(&mut calls, now).unwrap().view.id;
        let bia = Caller::Attendant(attendant());
        calls.answer(&bia, first, false, (0, now)).ok().unwrap();
        let later = now + Duration::from_secs(10);
        assert_eq!(
            ask(&mut calls, later).err(),
            Some(Refusal::TooSoon(REQUEST_PAUSE - Duration::from_secs(10)))
        );
        // The attendant calls back at once; the customer may ask again after the pause.
        let back = CallId::new();
        ring_alice(&mut calls, back, later);
        calls
            .hang_up(&bia, back, CallEndReason::HungUp, later)
            .unwrap();
        assert!(ask(&mut calls, now + REQUEST_PAUSE).is_ok());
    }

    #[test]
    fn unanswered_calls_are_missed_declined_ones_say_who_and_gone_conversations_end_theirs() {
        let now = Instant::now();
        let ring = Duration::from_secs(30);
        let mut calls = Calls::default();
        let id = CallId::new();
        ring_alice(&mut calls, id, now);
        assert!(
            calls
                .settle(now + Duration::from_secs(29), ring, |_| None)
                .is_empty()
        );
        let ended = calls.settle(now + ring, ring, |_| None);
        assert_eq!(ended.len(), 1);
        assert_eq!(
            (ended[0].reason, ended[0].by),
            (CallEndReason::Missed, None)
        );

        ring_alice(&mut calls, id, now);
        let Ok(Answered::Declined(ended)) =
            calls.answer(&Caller::Customer(customer()), id, false, (2_000, now))
        else {
            panic!("declined");
        };
        assert_eq!(
            (ended.reason, ended.by),
            (CallEndReason::Declined, Some(Party::Customer))
        );

        ring_alice(&mut calls, id, now);
        calls
            .answer(&Caller::Customer(customer()), id, true, (2_000, now))
            .ok()
            .unwrap();
        // Answered calls never ring out; a transfer ends them.
        assert!(calls.settle(now + ring * 10, ring, |_| None).is_empty());
        let ended = calls.settle(now, ring, |_| Some(CallEndReason::Transferred));
        assert_eq!(ended[0].reason, CallEndReason::Transferred);
        assert!(calls.is_empty());
    }
}
