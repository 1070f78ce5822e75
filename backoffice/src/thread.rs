//! One conversation's messages as the attendant sees them: stored messages ordered by seq
//! (each once, whatever order frames arrive in), our messages still waiting for their ack,
//! and the receipts. Plain data, so the ordering rules are unit-tested natively.

use chimpassist_protocol::{
    ClientMessageId, FileInfo, MessageText, MessageView, Party, Receipts, Seq, TimestampMs,
};

/// A message we sent that the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub client_id: ClientMessageId,
    /// Kept parsed: the ack turns it into the stored message, a reconnect resends it.
    pub text: MessageText,
    /// Its files, uploaded already: a resend names them again.
    pub attachments: Vec<FileInfo>,
    pub at: TimestampMs,
    /// The server refused it (the reason is shown); it is not resent automatically.
    pub failed: Option<String>,
}

/// How far one of our messages got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tick {
    Sending,
    Failed,
    Sent,
    Delivered,
    Read,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Thread {
    /// Stored messages, ascending seq, no duplicates.
    pub messages: Vec<MessageView>,
    pub pending: Vec<Pending>,
    pub receipts: Receipts,
    /// Older messages exist on the server.
    pub more: bool,
    /// The newest page has been fetched at least once.
    pub loaded: bool,
}

impl Thread {
    /// Adds a stored message; returns false when it was already held. The server's copy of
    /// one of ours replaces the one made from its ack, which has no links to its files.
    pub fn insert(&mut self, message: MessageView) -> bool {
        self.pending.retain(|p| p.client_id != message.client_id);
        match self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
            Ok(at) if self.messages[at].attachments.len() < message.attachments.len() => {
                self.messages[at] = message;
                true
            }
            Ok(_) => false,
            Err(at) => {
                self.messages.insert(at, message);
                true
            }
        }
    }

    /// Adds a page of history (any order).
    pub fn insert_page(&mut self, page: Vec<MessageView>, more: bool, older: bool) {
        for m in page {
            self.insert(m);
        }
        if older || !self.loaded {
            self.more = more;
        }
        self.loaded = true;
    }

    /// The seq below which we hold every message: what a reconnect resumes from.
    pub fn contiguous_seq(&self) -> Seq {
        let Some(first) = self.messages.first() else {
            return 0;
        };
        // Only meaningful when we hold from the start or from a page boundary: everything
        // we hold is contiguous from `first` upwards until the first hole.
        let mut last = first.seq;
        for m in &self.messages[1..] {
            if m.seq != last + 1 {
                break;
            }
            last = m.seq;
        }
        last
    }

    pub fn oldest_seq(&self) -> Option<Seq> {
        self.messages.first().map(|m| m.seq)
    }

    pub fn newest_seq(&self) -> Seq {
        self.messages.last().map_or(0, |m| m.seq)
    }

    /// The newest message from the customer.
    pub fn newest_customer_seq(&self) -> Seq {
        self.messages
            .iter()
            .rev()
            .find(|m| m.from.party == Party::Customer)
            .map_or(0, |m| m.seq)
    }

    /// Customer messages the attendant side has not read.
    pub fn unread(&self) -> usize {
        let read = self.receipts.attendant_read;
        self.messages
            .iter()
            .filter(|m| m.seq > read && m.from.party == Party::Customer)
            .count()
    }

    /// Moves receipts forward only.
    pub fn merge_receipts(&mut self, r: &Receipts) {
        let mine = &mut self.receipts;
        mine.customer_delivered = mine.customer_delivered.max(r.customer_delivered);
        mine.customer_read = mine.customer_read.max(r.customer_read);
        mine.attendant_delivered = mine.attendant_delivered.max(r.attendant_delivered);
        mine.attendant_read = mine.attendant_read.max(r.attendant_read);
    }

    /// The tick of an attendant message with this seq.
    pub fn tick(&self, seq: Seq) -> Tick {
        if seq <= self.receipts.customer_read {
            Tick::Read
        } else if seq <= self.receipts.customer_delivered {
            Tick::Delivered
        } else {
            Tick::Sent
        }
    }

    pub fn fail(&mut self, client_id: ClientMessageId, reason: String) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_id == client_id) {
            p.failed = Some(reason);
        }
    }
}

/// Consecutive messages of one sender within five minutes are drawn as one group.
pub fn same_group(a: &MessageView, b: &MessageView) -> bool {
    a.from.party == b.from.party && a.from.id == b.from.id && b.timestamp - a.timestamp < 300_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::{ConversationId, Sender};

    fn msg(seq: Seq, party: Party) -> MessageView {
        MessageView {
            conversation: ConversationId::new(),
            seq,
            client_id: ClientMessageId::new(),
            from: Sender {
                party,
                id: "x".into(),
                name: "X".into(),
            },
            text: MessageText::parse(format!("m{seq}"), 100).unwrap(),
            timestamp: seq as i64 * 1000,
            call: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn messages_are_ordered_and_held_once() {
        let mut t = Thread::default();
        assert!(t.insert(msg(3, Party::Customer)));
        assert!(t.insert(msg(1, Party::Customer)));
        assert!(!t.insert(msg(3, Party::Customer)));
        t.insert(msg(2, Party::Attendant));
        let seqs: Vec<_> = t.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(t.contiguous_seq(), 3);
    }

    #[test]
    fn a_hole_stops_the_resume_point() {
        let mut t = Thread::default();
        for s in [4, 5, 7] {
            t.insert(msg(s, Party::Customer));
        }
        assert_eq!(t.contiguous_seq(), 5);
    }

    #[test]
    fn the_stored_copy_replaces_the_pending_one() {
        let mut t = Thread::default();
        let m = msg(1, Party::Attendant);
        t.pending.push(Pending {
            client_id: m.client_id,
            text: m.text.clone(),
            attachments: Vec::new(),
            at: 0,
            failed: None,
        });
        t.insert(m);
        assert!(t.pending.is_empty());
        assert_eq!(t.messages.len(), 1);
    }

    #[test]
    fn unread_counts_customer_messages_after_our_read_receipt() {
        let mut t = Thread::default();
        for (s, p) in [
            (1, Party::Customer),
            (2, Party::Attendant),
            (3, Party::Customer),
        ] {
            t.insert(msg(s, p));
        }
        assert_eq!(t.unread(), 2);
        t.merge_receipts(&Receipts {
            attendant_read: 1,
            ..Receipts::default()
        });
        assert_eq!(t.unread(), 1);
        // Receipts never move back.
        t.merge_receipts(&Receipts::default());
        assert_eq!(t.receipts.attendant_read, 1);
    }

    #[test]
    fn ticks_follow_the_customer_receipts() {
        let mut t = Thread::default();
        t.merge_receipts(&Receipts {
            customer_delivered: 5,
            customer_read: 3,
            ..Receipts::default()
        });
        assert_eq!(t.tick(2), Tick::Read);
        assert_eq!(t.tick(4), Tick::Delivered);
        assert_eq!(t.tick(6), Tick::Sent);
    }

    #[test]
    fn groups_break_on_sender_and_time() {
        let a = msg(1, Party::Customer);
        let mut b = msg(2, Party::Customer);
        assert!(same_group(&a, &b));
        b.timestamp += 400_000;
        assert!(!same_group(&a, &b));
        assert!(!same_group(&a, &msg(2, Party::Attendant)));
    }
}
