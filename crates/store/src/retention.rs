//! What a retention sweep removed (see [`crate::Store::purge_ended_before`]).

/// The statuses of ended conversations, the only ones a retention sweep empties.
pub const ENDED: [&str; 3] = ["resolved", "expired", "abandoned"];

/// How much one retention sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Conversations emptied (they stay, for the reports, marked emptied).
    pub conversations: u64,
    pub messages: u64,
    pub notes: u64,
    pub files: u64,
}

impl Purged {
    /// Both sweeps' counts.
    pub fn plus(self, other: Purged) -> Purged {
        Purged {
            conversations: self.conversations + other.conversations,
            messages: self.messages + other.messages,
            notes: self.notes + other.notes,
            files: self.files + other.files,
        }
    }
}
