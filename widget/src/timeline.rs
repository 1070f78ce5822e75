//! The messages of the open conversation, as the visitor sees them.
//!
//! Pure data (no DOM), so the rules that keep a chat free of gaps and duplicates are unit
//! tested natively:
//! - stored messages are keyed by `seq`, so a replay after reconnect or a history page that
//!   overlaps what we hold never shows a message twice;
//! - our own messages are *pending* (keyed by client id) until the server's `ack` or the
//!   echo of the stored message arrives, whichever comes first; then they become stored.

use chimpassist_protocol::{
    ClientMessageId, ConversationId, FileId, MessageText, MessageView, Party, Receipts, Seq,
    TimestampMs,
};

/// One of our messages the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub conversation: ConversationId,
    pub client_id: ClientMessageId,
    /// Empty when it is only files.
    pub text: MessageText,
    /// Files uploaded already, named again on every resend.
    pub files: Vec<FileId>,
    /// Their names, shown until the stored message brings the files themselves.
    pub names: String,
    pub at: TimestampMs,
    /// Set when the server refused it (e.g. too long); it will not be resent.
    pub failed: Option<String>,
}

/// Delivery state of one of our messages, drawn as ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Not acknowledged yet: it will be resent after a reconnect.
    Pending,
    /// Refused by the server.
    Failed,
    /// Stored by the server.
    Sent,
    /// Reached the attendant's screen.
    Delivered,
    /// Read by the attendant.
    Read,
}

/// A line of the chat as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Stable key for the list: `s<seq>` for stored, `p<client id>` for pending.
    pub key: String,
    pub mine: bool,
    /// Written by a bot: shown with its name and a "bot" mark.
    pub bot: bool,
    pub author: String,
    pub text: String,
    pub at: TimestampMs,
    pub seq: Option<Seq>,
    /// Our messages only.
    pub tick: Option<Tick>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Timeline {
    conversation: Option<ConversationId>,
    /// Sorted by seq, no two alike (a sorted `Vec` is ~1 KB less WASM than a `BTreeMap`).
    stored: Vec<MessageView>,
    pending: Vec<Pending>,
    /// False once a history page said there is nothing older.
    pub more_before: bool,
    /// How far each side got (drawn as ticks); kept here so one signal holds the log.
    pub receipts: Receipts,
}

impl Timeline {
    pub fn conversation(&self) -> Option<&ConversationId> {
        self.conversation.as_ref()
    }

    /// Switches to another conversation, forgetting the previous one's lines.
    pub fn switch_to(&mut self, conversation: ConversationId) {
        if self.conversation.as_ref() != Some(&conversation) {
            self.stored.clear();
            self.receipts = Receipts::default();
            self.pending.retain(|p| p.conversation == conversation);
            self.conversation = Some(conversation);
            self.more_before = true;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.pending.is_empty()
    }

    /// Adds a stored message; returns true when it is new to us (not a replay or echo of
    /// something already shown). An echo of our own pending message replaces it.
    pub fn insert(&mut self, message: MessageView) -> bool {
        if self.conversation.as_ref() != Some(&message.conversation) {
            return false;
        }
        self.pending.retain(|p| p.client_id != message.client_id);
        self.put(message)
    }

    /// Adds a stored message unless its seq is held already; true when added.
    fn put(&mut self, message: MessageView) -> bool {
        match self.stored.binary_search_by_key(&message.seq, |m| m.seq) {
            Ok(_) => false,
            Err(at) => {
                self.stored.insert(at, message);
                true
            }
        }
    }

    /// Adds a page of history; returns how many messages were new.
    pub fn insert_page(&mut self, messages: Vec<MessageView>, more: bool) -> usize {
        let older_than_all = messages
            .iter()
            .map(|m| m.seq)
            .max()
            .is_some_and(|max| self.stored.first().is_none_or(|first| max < first.seq));
        if older_than_all || self.stored.is_empty() {
            self.more_before = more;
        }
        messages
            .into_iter()
            .filter(|m| self.insert(m.clone()))
            .count()
    }

    pub fn add_pending(&mut self, pending: Pending) {
        if !self
            .pending
            .iter()
            .any(|p| p.client_id == pending.client_id)
        {
            self.pending.push(pending);
        }
    }

    /// The server stored our message as `seq`.
    pub fn ack(
        &mut self,
        client_id: &ClientMessageId,
        seq: Seq,
        at: TimestampMs,
        me: &chimpassist_protocol::Sender,
    ) {
        if let Some(i) = self.pending.iter().position(|p| &p.client_id == client_id) {
            let p = self.pending.remove(i);
            self.put(MessageView {
                conversation: p.conversation,
                seq,
                client_id: p.client_id,
                from: me.clone(),
                text: p.text,
                timestamp: at,
                call: None,
                attachments: Vec::new(),
            });
        }
    }

    /// The server refused our message: keep it visible, marked, and never resend it.
    pub fn fail(&mut self, client_id: &ClientMessageId, why: String) {
        if let Some(p) = self.pending.iter_mut().find(|p| &p.client_id == client_id) {
            p.failed = Some(why);
        }
    }

    /// Our messages still to be (re)sent, oldest first.
    pub fn unsent(&self) -> impl Iterator<Item = &Pending> {
        self.pending.iter().filter(|p| p.failed.is_none())
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The newest seq such that every message up to it is held: where a resume starts.
    /// `None` when we hold nothing (then a history page is asked instead).
    pub fn resume_seq(&self) -> Option<Seq> {
        self.stored.last().map(|m| m.seq)
    }

    pub fn oldest_seq(&self) -> Option<Seq> {
        self.stored.first().map(|m| m.seq)
    }

    /// Seq of the newest message written by the attendant side.
    pub fn newest_from_attendant(&self) -> Option<Seq> {
        self.stored
            .iter()
            .rev()
            .find(|m| m.from.party == Party::Attendant)
            .map(|m| m.seq)
    }

    /// Every line in display order: stored by seq, then pending by time.
    pub fn lines(&self, receipts: &Receipts) -> Vec<Line> {
        let stored = self.stored.iter().map(|m| {
            let mine = m.from.party == Party::Customer;
            Line {
                key: format!("s{}", m.seq),
                mine,
                bot: m.from.party == Party::Bot,
                author: m.from.name.clone(),
                text: m.text.as_str().to_owned(),
                at: m.timestamp,
                seq: Some(m.seq),
                tick: mine.then_some({
                    if m.seq <= receipts.attendant_read {
                        Tick::Read
                    } else if m.seq <= receipts.attendant_delivered {
                        Tick::Delivered
                    } else {
                        Tick::Sent
                    }
                }),
                error: None,
            }
        });
        let pending = self.pending.iter().map(|p| Line {
            key: format!("p{}", p.client_id.as_uuid()),
            mine: true,
            bot: false,
            author: String::new(),
            text: if p.names.is_empty() {
                p.text.as_str().to_owned()
            } else {
                format!("{}\n📎 {}", p.text.as_str(), p.names)
                    .trim_start()
                    .to_owned()
            },
            at: p.at,
            seq: None,
            tick: Some(if p.failed.is_some() {
                Tick::Failed
            } else {
                Tick::Pending
            }),
            error: p.failed.clone(),
        });
        stored.chain(pending).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::Sender;

    fn conv() -> ConversationId {
        ConversationId::new()
    }

    fn msg(c: &ConversationId, seq: Seq, party: Party, client: ClientMessageId) -> MessageView {
        MessageView {
            conversation: *c,
            seq,
            client_id: client,
            from: Sender {
                party,
                id: "x".into(),
                name: "X".into(),
            },
            text: MessageText::parse(format!("m{seq}"), 100).unwrap(),
            timestamp: seq as i64,
            call: None,
            attachments: Vec::new(),
        }
    }

    fn me() -> Sender {
        Sender {
            party: Party::Customer,
            id: "me".into(),
            name: "Me".into(),
        }
    }

    #[test]
    fn replays_and_overlapping_pages_never_duplicate() {
        let c = conv();
        let mut t = Timeline::default();
        t.switch_to(c);
        for seq in 1..=5 {
            assert!(t.insert(msg(&c, seq, Party::Attendant, ClientMessageId::new())));
        }
        let replay = msg(&c, 3, Party::Attendant, ClientMessageId::new());
        assert!(!t.insert(replay));
        let page: Vec<_> = (2..=7)
            .rev()
            .map(|s| msg(&c, s, Party::Attendant, ClientMessageId::new()))
            .collect();
        assert_eq!(t.insert_page(page, false), 2);
        let seqs: Vec<_> = t
            .lines(&Receipts::default())
            .iter()
            .map(|l| l.seq)
            .collect();
        assert_eq!(seqs, (1..=7).map(Some).collect::<Vec<_>>());
        assert_eq!(t.resume_seq(), Some(7));
    }

    #[test]
    fn pending_becomes_stored_once_on_ack_or_echo() {
        let c = conv();
        let mut t = Timeline::default();
        t.switch_to(c);
        let id = ClientMessageId::new();
        let pending = Pending {
            conversation: c,
            client_id: id,
            text: MessageText::parse("hello", 100).unwrap(),
            files: Vec::new(),
            names: String::new(),
            at: 1,
            failed: None,
        };
        t.add_pending(pending.clone());
        t.add_pending(pending);
        assert_eq!(t.unsent().count(), 1);
        assert_eq!(t.lines(&Receipts::default())[0].tick, Some(Tick::Pending));
        // The echo (another tab, or a replay) arrives before the ack.
        t.insert(msg(&c, 1, Party::Customer, id));
        t.ack(&id, 1, 1, &me());
        let lines = t.lines(&Receipts::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].tick, Some(Tick::Sent));
        assert_eq!(t.unsent().count(), 0);
    }

    #[test]
    fn ticks_follow_attendant_receipts() {
        let c = conv();
        let mut t = Timeline::default();
        t.switch_to(c);
        for seq in 1..=3 {
            t.insert(msg(&c, seq, Party::Customer, ClientMessageId::new()));
        }
        let receipts = Receipts {
            attendant_delivered: 2,
            attendant_read: 1,
            ..Receipts::default()
        };
        let ticks: Vec<_> = t.lines(&receipts).iter().map(|l| l.tick).collect();
        assert_eq!(
            ticks,
            vec![Some(Tick::Read), Some(Tick::Delivered), Some(Tick::Sent)]
        );
    }

    #[test]
    fn refused_messages_stay_visible_and_are_not_resent() {
        let c = conv();
        let mut t = Timeline::default();
        t.switch_to(c);
        let id = ClientMessageId::new();
        t.add_pending(Pending {
            conversation: c,
            client_id: id,
            text: MessageText::parse("x".repeat(10), 100).unwrap(),
            files: Vec::new(),
            names: String::new(),
            at: 1,
            failed: None,
        });
        t.fail(&id, "too long".into());
        assert_eq!(t.unsent().count(), 0);
        assert_eq!(t.lines(&Receipts::default())[0].tick, Some(Tick::Failed));
    }

    #[test]
    fn messages_of_another_conversation_are_ignored() {
        let c = conv();
        let mut t = Timeline::default();
        t.switch_to(c);
        assert!(!t.insert(msg(&conv(), 1, Party::Attendant, ClientMessageId::new())));
        assert!(t.is_empty());
    }
}
