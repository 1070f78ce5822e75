//! The widget's chat state machine: what each server frame and each visitor action does.
//!
//! Pure on purpose: no DOM, no signals, no socket. Every input changes a [`State`] and
//! returns the [`Effect`]s the shell (`crate::chat`) carries out afterwards: frames to send,
//! events for the host page, the outbox to persist, the badge. That is what lets the rules a
//! visitor relies on (nothing lost, nothing twice, receipts sent once) run as native unit
//! tests (`tests.rs`), and what keeps the socket (`crate::net`) free of chat logic.
//!
//! - [`frames`]: what the server says.
//! - [`commands`]: what the visitor does, and what the socket's own events mean.

mod commands;
mod frames;
#[cfg(test)]
mod tests;

use chimpassist_protocol::{
    ConversationId, ConversationStatus, ConversationView, CustomerToServer, CustomerView,
    DEFAULT_MAX_TEXT_BYTES, Party, Seq,
};

use crate::timeline::{Pending, Timeline};

pub(crate) use commands::{PAUSED_AFTER_MS, SendError};

/// The socket as the visitor is told about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Conn {
    #[default]
    Connecting,
    Online,
    Reconnecting,
    /// The server refused us for good (e.g. identity verification required).
    Refused(String),
}

/// What the panel shows when there is no conversation to chat in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Screen {
    #[default]
    Home,
    Callback,
    CallbackSent,
    Chat,
    /// Derived, never stored: the chat was asked for and the conversation is on its way.
    Starting,
}

/// What changes rarely about the visitor's session, in one signal.
///
/// Why one: every distinct signal type costs the widget about 2 KB of WASM (the reactive
/// graph's code is generic over it), and these change together, a few times per chat.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) customer: Option<CustomerView>,
    pub(crate) conversation: Option<ConversationView>,
    /// Position and estimated wait (seconds) while queued.
    pub(crate) queue: Option<(u32, u32)>,
    /// Whether any attendant of the queue is around (`None` until known).
    pub(crate) available: Option<bool>,
    /// Outside the queue's business hours, when it opens (ms).
    pub(crate) opens_at: Option<f64>,
    pub(crate) screen: Screen,
    /// The server's last complaint that is not about one message.
    pub(crate) notice: Option<String>,
    pub(crate) max_text: usize,
    /// Largest file the server keeps, bytes (the tray refuses larger ones itself).
    pub(crate) max_file: u64,
    /// The desk mails replies the visitor missed: the chat may ask for an address.
    pub(crate) email_replies: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            customer: None,
            conversation: None,
            queue: None,
            available: None,
            opens_at: None,
            screen: Screen::Home,
            notice: None,
            max_text: DEFAULT_MAX_TEXT_BYTES,
            max_file: 0,
            email_replies: false,
        }
    }
}

impl Session {
    pub(crate) fn is_open_conversation(&self) -> bool {
        self.conversation
            .as_ref()
            .is_some_and(|c| c.status.is_open())
    }

    pub(crate) fn conversation_id(&self) -> Option<ConversationId> {
        self.conversation.as_ref().map(|c| c.id)
    }
}

/// What the machine remembers that nothing draws: kept by the shell between inputs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Memory {
    /// Highest seq told to the server as read / delivered, so each receipt goes once.
    read_sent: Seq,
    delivered_sent: Seq,
    /// Typing throttle: when `composing` was last sent, and the last keystroke.
    composing_since: Option<i64>,
    last_input: i64,
}

/// Everything an input may read or change. The shell lends it out of its signals for one
/// input and puts it back; [`State::changed`] says which of the two big parts to redraw.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) conn: Conn,
    pub(crate) session: Session,
    /// The conversation's messages and receipts.
    pub(crate) timeline: Timeline,
    pub(crate) attendant_typing: bool,
    pub(crate) loading_older: bool,
    pub(crate) unread: u64,
    /// Read only: whether the panel is open and the tab visible (the shell's inputs).
    pub(crate) open: bool,
    pub(crate) visible: bool,
    pub(crate) memory: Memory,
    session_changed: bool,
    timeline_changed: bool,
}

/// What the shell must do after an input, in order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Effect {
    /// A frame for the server. Dropped while offline: what matters (pending messages) is
    /// resent after the next `welcome`.
    Send(CustomerToServer),
    /// `welcome` arrived: keep this token for the visitor; the connection is good.
    Welcomed(String),
    /// Refused for good: stop reconnecting.
    Stop,
    /// An event for the host page's `on(…)` listeners.
    Emit(Event),
    /// The pending messages changed: persist them (an empty list removes the item).
    SaveOutbox(Vec<Pending>),
    /// The unread count to show on the bubble and in the page title.
    Badge(u64),
    /// A reply arrived that the visitor cannot see: chime, if the site wants sound.
    Alert,
    /// Ask whether anyone serves the queue (drawn on the home screen).
    CheckAvailability,
    /// Something for the developer console.
    Warn(String),
}

/// Events for the host page (`widget.on(name, detail => …)`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// `message`: a message of the conversation, shown for the first time.
    Message {
        conversation: ConversationId,
        seq: Seq,
        text: String,
        from: Party,
        name: String,
    },
    /// `conversation-started`: a conversation opened (or reopened) while we watched.
    Started {
        conversation: ConversationId,
        status: ConversationStatus,
    },
    /// `conversation-ended`.
    Ended {
        conversation: ConversationId,
        status: ConversationStatus,
    },
}

impl State {
    pub(crate) fn new(session: Session, timeline: Timeline, memory: Memory) -> Self {
        Self {
            conn: Conn::Connecting,
            session,
            timeline,
            attendant_typing: false,
            loading_older: false,
            unread: 0,
            open: false,
            visible: false,
            memory,
            session_changed: false,
            timeline_changed: false,
        }
    }

    /// Whether the session and the timeline changed since the state was lent out.
    pub(crate) fn changed(&self) -> (bool, bool) {
        (self.session_changed, self.timeline_changed)
    }

    fn session_mut(&mut self) -> &mut Session {
        self.session_changed = true;
        &mut self.session
    }

    fn timeline_mut(&mut self) -> &mut Timeline {
        self.timeline_changed = true;
        &mut self.timeline
    }

    fn is_current(&self, id: &ConversationId) -> bool {
        self.session.conversation_id().as_ref() == Some(id)
    }

    /// The visitor sees the chat: read receipts rather than delivered, no unread count.
    fn seen(&self) -> bool {
        self.open && self.visible
    }

    /// Runs one input and asks for an outbox save if, and only if, the pending messages
    /// changed (a send, an ack, an echo, a refusal, a switch of conversation).
    fn saving_outbox(&mut self, input: impl FnOnce(&mut Self, &mut Vec<Effect>)) -> Vec<Effect> {
        let before = self.outbox_mark();
        let mut fx = Vec::new();
        input(self, &mut fx);
        if self.outbox_mark() != before {
            fx.push(Effect::SaveOutbox(self.timeline.pending().to_vec()));
        }
        fx
    }

    /// How many messages are pending, and how many of those failed. Enough to see a change
    /// within one input, which either adds one, removes some, or marks one failed (never
    /// two of these at once), and far cheaper than comparing the lists.
    fn outbox_mark(&self) -> (usize, usize) {
        let pending = self.timeline.pending();
        let failed = pending.iter().filter(|p| p.failed.is_some()).count();
        (pending.len(), failed)
    }
}
