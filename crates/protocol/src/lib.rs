//! The Chimp Assist wire protocol, shared by the server, the widget and the back-office.
//!
//! # Transport
//! Two WebSockets carry JSON text frames, each an object tagged by `type`:
//! `/ws/customer` ([`CustomerToServer`] / [`ServerToCustomer`]) and `/ws/attendant`
//! ([`AttendantToServer`] / [`ServerToAttendant`]). The first client frame is `hello` with
//! [`PROTOCOL_VERSION`]; the server answers `welcome`. Invalid frames are answered with an
//! `error` frame carrying a stable [`ErrorCode`]; the connection stays open.
//!
//! # Delivery guarantees
//! - **Ack means durably stored.** Each `send` carries a client id (UUID). The server stores
//!   the message, gives it the next seq of its conversation (1, 2, 3, … strictly increasing,
//!   no gaps), and only then answers `ack {client_id, seq, timestamp}`. A client need not
//!   wait for one ack before the next `send`: a connection's messages are stored in the order
//!   it sent them, and every frame it sends is answered (ack or error) in that order.
//! - **Idempotent resend.** Sending the same client id again returns the same ack and never
//!   creates a second message. Clients keep unacked messages pending and resend them, with the
//!   same client id, after reconnecting.
//! - **Delivery** goes to every open connection of every participant (an attendant may have
//!   two tabs; a customer two pages). Live frames of concurrent senders may arrive out of seq
//!   order: order by `seq`, drop seqs already held.
//! - **Resume.** On reconnect a client sends, per conversation, the highest seq it holds with
//!   no gap below it. The server replays exactly the messages after it, or answers `resync`
//!   when too many were missed, and the client pages history instead. Never a silent gap.
//! - **Receipts** (`delivered`, `read`) mean "up to and including seq", are persisted, only
//!   move forward, and are relayed to both sides.
//! - **Typing and presence** are relayed live and never stored.
//! - **State frames are the newest state, coalesced.** `conversation` and `withdrawn` (a
//!   conversation's whole view), `queue` (a queue's numbers) and `queue_status` (a waiting
//!   customer's place) each replace the previous one of the same conversation or queue. The
//!   server may skip superseded ones and sends them at most a few times a second per
//!   connection (an attendant that said `batch: true` gets them as one `batch` frame), but
//!   the newest always arrives, and never out of order with the other frames. Every other
//!   frame (messages, acks, receipts, assignments, errors…) arrives, each one.
pub mod attendant;
pub mod attributes;
pub mod audit;
pub mod call;
pub mod close;
pub mod customer;
pub mod decode;
pub mod error;
pub mod file;
pub mod forms;
pub mod greeting;
pub mod hours;
pub mod ids;
pub mod model;
pub mod party;
pub mod report;
pub mod rest;
pub mod time;
pub mod token;
pub mod visit;
pub mod webhook;
pub mod workspace;

pub use attendant::{AttendantToServer, ServerToAttendant, TransferTarget};
pub use attributes::{AttributeChanges, Attributes};
pub use call::{
    CallEndReason, CallMedia, CallOutcome, CallPolicy, CallRecord, CallSignal, CallState, CallView,
    Hangup, IceCandidate, IceServer, Sdp,
};
pub use customer::{CustomerToServer, PreChat, ResumePoint, ServerToCustomer, SessionGrant};
pub use decode::{ClientFrame, Limits, decode, encode};
pub use error::{ErrorBody, ErrorCode, ProtocolError};
pub use file::{AttachmentView, FileInfo, FileName, MAX_ATTACHMENTS};
pub use forms::UnknownForm;
pub use ids::*;
pub use model::*;
pub use visit::{PageReport, PageTracking, PageVisit, VisitView};
pub use workspace::{
    CannedRequest, CannedResponse, Note, NoteRequest, SearchHit, SearchQuery, Shortcut,
};

/// The protocol version this build speaks; sent in every `hello` and `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;
