//! The JSON document of a customer's export (`data.json`): plain, self-describing field names
//! and times both as milliseconds and as RFC 3339 (UTC), so it reads without our API's docs.

use chimpassist_protocol::call::CallRecord;
use chimpassist_protocol::{Attributes, ConversationStatus, Party, TimestampMs, VisitView};
use chimpassist_store::{Callback, Conversation, Customer, StoredMessage};
use serde::Serialize;

use super::Gathered;
use super::archive::file_path;

/// The document's format name, for whoever reads the file later.
pub const FORMAT: &str = "chimpassist.contact-export/1";

/// A time both ways.
#[derive(Debug, Serialize)]
pub struct Time {
    pub ms: TimestampMs,
    pub utc: String,
}

impl Time {
    pub fn of(ms: TimestampMs) -> Self {
        let utc = jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        Self { ms, utc }
    }
}

#[derive(Debug, Serialize)]
pub struct Document {
    pub format: &'static str,
    pub exported_at: Time,
    pub customer: Profile,
    pub conversations: Vec<ConversationOut>,
    pub callbacks: Vec<CallbackOut>,
    /// The site's pages the widget saw the customer on (the last 20), their browser,
    /// language and clock; `None` when it reported none.
    pub visit: Option<VisitOut>,
    /// What the site told the chat about them (`plan`, `orders`…), by name.
    pub attributes: Attributes,
    /// What is stored about the customer but not given here, and why.
    pub excluded: Vec<Excluded>,
}

#[derive(Debug, Serialize)]
pub struct Profile {
    /// This server's id for the customer.
    pub id: String,
    /// The site's own id for them (`userData.id`), when it gave one.
    pub site_id: Option<String>,
    /// Whether the site proved that id.
    pub verified: bool,
    pub name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub first_seen: Time,
}

#[derive(Debug, Serialize)]
pub struct VisitOut {
    pub pages: Vec<PageOut>,
    pub referrer: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub utc_offset_minutes: Option<i16>,
    pub updated_at: Time,
}

#[derive(Debug, Serialize)]
pub struct PageOut {
    pub url: String,
    pub title: String,
    pub at: Time,
}

#[derive(Debug, Serialize)]
pub struct ConversationOut {
    pub id: String,
    pub queue: String,
    pub status: ConversationStatus,
    /// What the customer wrote in the pre-chat form.
    pub subject: Option<String>,
    pub requested_at: Time,
    pub answered_at: Option<Time>,
    pub ended_at: Option<Time>,
    pub rating: Option<RatingOut>,
    pub messages: Vec<MessageOut>,
}

#[derive(Debug, Serialize)]
pub struct RatingOut {
    pub score: u8,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MessageOut {
    pub seq: u64,
    pub at: Time,
    /// `customer` or `attendant`.
    pub from: Party,
    /// The name shown with the message.
    pub from_name: String,
    pub text: String,
    pub attachments: Vec<AttachmentOut>,
    /// On a message that records a call: who started it, when, how it ended.
    pub call: Option<CallRecord>,
}

#[derive(Debug, Serialize)]
pub struct AttachmentOut {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Its path in the archive; `None` when the file is no longer stored.
    pub file: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CallbackOut {
    pub queue: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferred_time: Option<String>,
    pub note: Option<String>,
    pub requested_at: Time,
    pub done_at: Option<Time>,
}

#[derive(Debug, Serialize)]
pub struct Excluded {
    pub what: &'static str,
    pub count: usize,
    pub why: &'static str,
}

/// Why notes are left out (the cover page says it too).
pub const NOTES_WHY: &str = "Notes are what the support team wrote for itself about the \
conversations; they may concern other people (GDPR art. 15(4)).";

impl Document {
    pub fn of(g: &Gathered, now: TimestampMs) -> Self {
        let stored: Vec<_> = g.files.iter().map(|(info, _)| info.id).collect();
        let conversations = g
            .conversations
            .iter()
            .map(|(c, messages, _)| conversation(c, messages, &stored))
            .collect();
        let notes = g.conversations.iter().map(|(_, _, n)| n).sum();
        Self {
            format: FORMAT,
            exported_at: Time::of(now),
            customer: profile(&g.customer),
            conversations,
            callbacks: g.callbacks.iter().map(callback).collect(),
            visit: g.visit.as_ref().map(visit),
            attributes: g.attributes.clone(),
            excluded: vec![Excluded {
                what: "notes attendants wrote about the conversations",
                count: notes,
                why: NOTES_WHY,
            }],
        }
    }
}

fn profile(c: &Customer) -> Profile {
    Profile {
        id: c.id.as_str().to_owned(),
        site_id: c.external_id.clone(),
        verified: c.verified,
        name: c.name.clone(),
        email: c.email.clone(),
        avatar_url: c.avatar_url.clone(),
        first_seen: Time::of(c.created_at),
    }
}

fn visit(v: &VisitView) -> VisitOut {
    VisitOut {
        pages: v
            .pages
            .iter()
            .map(|p| PageOut {
                url: p.url.clone(),
                title: p.title.clone(),
                at: Time::of(p.at),
            })
            .collect(),
        referrer: v.referrer.clone(),
        browser: v.browser.clone(),
        os: v.os.clone(),
        language: v.language.clone(),
        time_zone: v.time_zone.clone(),
        utc_offset_minutes: v.utc_offset_minutes,
        updated_at: Time::of(v.updated_at),
    }
}

fn conversation(
    c: &Conversation,
    messages: &[StoredMessage],
    stored: &[chimpassist_protocol::FileId],
) -> ConversationOut {
    ConversationOut {
        id: c.id.to_string(),
        queue: c.queue_id.as_str().to_owned(),
        status: c.status,
        subject: c.subject.clone(),
        requested_at: Time::of(c.requested_at),
        answered_at: c.assigned_at.map(Time::of),
        ended_at: c.ended_at.map(Time::of),
        rating: c.rating.as_ref().map(|r| RatingOut {
            score: r.score,
            comment: r.comment.clone(),
        }),
        messages: messages.iter().map(|m| message(m, stored)).collect(),
    }
}

fn message(m: &StoredMessage, stored: &[chimpassist_protocol::FileId]) -> MessageOut {
    MessageOut {
        seq: m.seq,
        at: Time::of(m.timestamp),
        from: m.sender_party,
        from_name: m.sender_name.clone(),
        text: m.text.as_str().to_owned(),
        attachments: m
            .attachments
            .iter()
            .map(|f| AttachmentOut {
                name: f.name.as_str().to_owned(),
                content_type: f.content_type.clone(),
                size: f.size,
                file: stored.contains(&f.id).then(|| file_path(f)),
            })
            .collect(),
        call: m.call.clone(),
    }
}

fn callback(c: &Callback) -> CallbackOut {
    CallbackOut {
        queue: c.queue_id.as_str().to_owned(),
        name: c.name.clone(),
        phone: c.phone.clone(),
        email: c.email.clone(),
        preferred_time: c.preferred_time.clone(),
        note: c.note.clone(),
        requested_at: Time::of(c.created_at),
        done_at: c.done_at.map(Time::of),
    }
}
