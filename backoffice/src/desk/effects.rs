//! What goes into the reducer besides the desk ([`Env`], [`Command`]) and what comes out
//! ([`Effect`]): the vocabulary between the pure desk and the browser that drives it.

use chimpassist_protocol::{
    AttendantToServer, AttendantView, Attributes, ClientMessageId, ConversationId,
    ConversationView, CustomerId, FileInfo, MessageText, Note, TimestampMs, TypingState, VisitView,
};

/// Messages asked for per history page.
pub const HISTORY_PAGE: u32 = 30;

/// What the reducer needs to know about the world at the moment of a step.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    pub now: TimestampMs,
    /// The tab is hidden: news is announced by notification, and nothing counts as read.
    pub hidden: bool,
    /// The socket is open now: a read receipt is only recorded as sent if it can go out.
    pub online: bool,
    /// Who is signed in (from `/api/me`, login or the latest `welcome`).
    pub me: Option<&'a AttendantView>,
}

/// Something the desk wants done outside it.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A frame for the server. Dropped if the socket is closed: what must not be lost (our
    /// messages) stays pending in the desk and is resent after the next `welcome`.
    Send(AttendantToServer),
    /// A notification with a sound (only while the tab is hidden).
    Alert(Alert),
    /// A passing message on screen.
    Toast(Toast),
    /// Read the conversation again over REST; answer with [`Command::Refreshed`], or
    /// [`Command::Gone`] when it is no longer ours to see.
    Refresh(ConversationId),
    /// Fetch a conversation's notes over REST; answer with [`Command::Notes`].
    FetchNotes(ConversationId),
    /// Clear the customer's typing mark later; answer with [`Command::TypingExpired`].
    ExpireTyping(ConversationId),
    /// The server's account for me (from `welcome`).
    Me(AttendantView),
    /// A `welcome` arrived: the reconnect backoff starts over.
    Welcomed,
    /// A conversation was selected: the desk page must be the one showing.
    ShowDesk,
    /// A customer's visit changed (a page, their clock): the panel shows it if it shows them.
    Visit {
        customer: CustomerId,
        visit: Box<VisitView>,
    },
    /// A customer's attributes changed: the panel shows them if it shows that customer.
    Attributes {
        customer: CustomerId,
        attributes: Attributes,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alert {
    NewAssignment { customer: String },
    NewMessage { from: String, preview: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toast {
    /// The server's words (an error without a message of ours to mark).
    Server(String),
    /// The conversation on screen moved out of my queues.
    Withdrawn { customer: String },
}

/// What the attendant (or an answer to an earlier effect) asks of the desk.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Show a conversation (fetching its history the first time, else reading it).
    Select(ConversationId),
    /// Show a conversation that may not be listed (a search hit, a previous conversation).
    Open(ConversationView),
    /// Send a message; it stays pending until its ack, and is resent after reconnects.
    Send {
        conversation: ConversationId,
        client_id: ClientMessageId,
        /// Empty when the message is only files.
        text: MessageText,
        /// Files uploaded already (the tray sends only when every upload is done).
        attachments: Vec<FileInfo>,
    },
    /// Send a refused message again, as a new one (`client_id`: the new id).
    Retry {
        conversation: ConversationId,
        failed: ClientMessageId,
        client_id: ClientMessageId,
    },
    Typing {
        conversation: ConversationId,
        state: TypingState,
    },
    /// The attendant scrolled to the top: fetch the page before the oldest message.
    LoadOlder(ConversationId),
    /// The conversation is on screen (the tab came back into view): read it.
    MarkRead(ConversationId),
    /// The chat pane opened: fetch its notes once.
    OpenNotes(ConversationId),
    Notes(Vec<Note>),
    Refreshed(ConversationView),
    Gone(ConversationId),
    TypingExpired(ConversationId),
    /// The socket is connecting (again).
    Connecting,
    /// The socket closed and will reconnect: the banner shows.
    Lost,
    SignedOut,
}
