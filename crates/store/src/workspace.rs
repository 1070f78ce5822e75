//! Records of the attendants' workspace: canned responses, private notes and search.

use chimpassist_protocol::{
    AttendantId, CannedId, ConversationId, MessageText, NoteId, QueueId, Role, Shortcut,
    TimestampMs,
};

use crate::{Attendant, Conversation, StoredMessage};

/// A canned response as stored. Its shortcut is unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCanned {
    pub id: CannedId,
    pub shortcut: Shortcut,
    pub text: MessageText,
    pub updated_at: TimestampMs,
}

/// A private note on a conversation. Kept apart from messages: it has no seq and no read of
/// messages ever returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNote {
    pub id: NoteId,
    pub conversation: ConversationId,
    pub author: AttendantId,
    pub text: MessageText,
    pub created_at: TimestampMs,
}

/// Which conversations an attendant may see: the one rule for every read of a conversation
/// in the back-office — transcripts, state, notes, search, the live lists — and for taking a
/// closed one back (`reopen`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Every conversation (admins).
    All,
    /// Conversations now in one of `queues`, and those ever assigned to `id` (even after
    /// they were transferred elsewhere).
    Attendant {
        id: AttendantId,
        queues: Vec<QueueId>,
    },
}

impl Visibility {
    /// What `attendant` may see: everything for admins, otherwise their queues and their
    /// own (current and past) conversations.
    pub fn of(attendant: &Attendant) -> Self {
        Self::for_role(&attendant.id, attendant.role, &attendant.queues)
    }

    /// The same, from the parts of an attendant record that decide it.
    pub fn for_role(id: &AttendantId, role: Role, queues: &[QueueId]) -> Self {
        match role {
            Role::Admin => Self::All,
            Role::Attendant => Self::Attendant {
                id: id.clone(),
                queues: queues.to_vec(),
            },
        }
    }

    /// Whether `conversation`, ever given to `attendants` (see
    /// [`crate::Store::conversation_attendants`]), is visible. Backends apply the same rule
    /// inside [`crate::Store::search`].
    pub fn allows(&self, conversation: &Conversation, attendants: &[AttendantId]) -> bool {
        self.allows_in(
            &conversation.queue_id,
            conversation.attendant_id.as_ref(),
            attendants,
        )
    }

    /// The rule itself: a conversation now in `queue`, held by `holder`, ever given to
    /// `attendants` (pass none to ask only about where it is now, as live lists do).
    pub fn allows_in(
        &self,
        queue: &QueueId,
        holder: Option<&AttendantId>,
        attendants: &[AttendantId],
    ) -> bool {
        match self {
            Self::All => true,
            Self::Attendant { id, queues } => {
                queues.contains(queue) || holder == Some(id) || attendants.contains(id)
            }
        }
    }
}

/// One result of [`crate::Store::search`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchMatch {
    pub conversation: Conversation,
    /// The conversation's newest message containing the text; `None` when only the
    /// customer's name matched.
    pub message: Option<StoredMessage>,
}
