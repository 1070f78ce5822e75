//! Documents as stored, and their conversion to and from the model.
//!
//! Each collection has its own document type instead of serializing the model directly: the
//! stored shape (`_id`, UUIDs as BSON binary subtype 4, signed 64-bit integers, the helper
//! fields the indexes need such as `open_customer`) is a schema of its own and must not move
//! when a model type gains a field. Reading back goes through the protocol's parsers, so a
//! hand-edited document that breaks an id rule is reported instead of passed on.

use chimpassist_protocol::rest::QueueBot;
use chimpassist_protocol::{
    AttendantId, CallPolicy, CallRecord, CallbackId, ConversationId, ConversationStatus,
    CustomerId, FileId, FileInfo, FileName, MessageText, QueueId, Rating, Receipts, Seq,
    UnknownForm,
};
use chimpassist_store::{
    Attendant, AuthSession, Callback, Conversation, Customer, Queue, StoreError, StoreResult,
    StoredMessage,
};
use mongodb::bson::{Bson, Uuid};
use serde::{Deserialize, Serialize};

use crate::error::bad_document;

// --- scalars ---------------------------------------------------------------------------------

/// The BSON form of the UUID ids (binary subtype 4).
pub(crate) fn uuid(id: uuid::Uuid) -> Uuid {
    Uuid::from_bytes(id.into_bytes())
}

pub(crate) fn from_uuid<T: From<uuid::Uuid>>(id: Uuid) -> T {
    T::from(uuid::Uuid::from_bytes(id.bytes()))
}

/// BSON integers are signed; seqs, counts and limits beyond `i64::MAX` cannot occur, so clamp.
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored seq or count back to the model's unsigned type.
pub(crate) fn uint(value: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| bad_document(format!("{what} is negative ({value})")))
}

pub(crate) fn opt<T: Into<Bson>>(value: Option<T>) -> Bson {
    value.map_or(Bson::Null, Into::into)
}

pub(crate) fn parse<T, E: std::fmt::Display>(what: &str, parsed: Result<T, E>) -> StoreResult<T> {
    parsed.map_err(|e| bad_document(format!("{what}: {e}")))
}

/// A stored enum column, read through the protocol's one string form.
fn form<T: std::str::FromStr<Err = UnknownForm>>(raw: &str) -> StoreResult<T> {
    raw.parse()
        .map_err(|e: UnknownForm| bad_document(e.to_string()))
}

/// Statuses in which a conversation is open (one per customer; counted for capacity when
/// `assigned` or `active`).
pub(crate) const OPEN: [&str; 3] = ["queued", "assigned", "active"];
/// Statuses that count against an attendant's capacity.
pub(crate) const HELD: [&str; 2] = ["assigned", "active"];

pub(crate) fn is_open(status: ConversationStatus) -> bool {
    OPEN.contains(&status.as_str())
}

// --- settings --------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SettingDoc {
    #[serde(rename = "_id")]
    pub(crate) key: String,
    pub(crate) value: String,
}

// --- customers -------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CustomerDoc {
    #[serde(rename = "_id")]
    pub(crate) id: String,
    pub(crate) external_id: Option<String>,
    pub(crate) verified: bool,
    /// Absent on records written before the field existed: none of them had proven its
    /// profile.
    #[serde(default)]
    pub(crate) profile_verified: bool,
    pub(crate) name: String,
    pub(crate) avatar_url: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) created_at: i64,
    /// Present only on verified records: the unique partial index on it is what makes
    /// "one record per proven identity" hold while unproven claims may repeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) verified_external_id: Option<String>,
}

impl CustomerDoc {
    /// An unverified record (`create_customer` never stores `verified` or `profile_verified`
    /// true).
    pub(crate) fn unverified(c: &Customer) -> Self {
        Self {
            id: c.id.as_str().to_owned(),
            external_id: c.external_id.clone(),
            verified: false,
            profile_verified: false,
            name: c.name.clone(),
            avatar_url: c.avatar_url.clone(),
            email: c.email.clone(),
            created_at: c.created_at,
            verified_external_id: None,
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<Customer> {
        Ok(Customer {
            id: parse("customer id", CustomerId::parse(self.id))?,
            external_id: self.external_id,
            verified: self.verified,
            profile_verified: self.profile_verified,
            name: self.name,
            avatar_url: self.avatar_url,
            email: self.email,
            created_at: self.created_at,
        })
    }
}

// --- attendants ------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AttendantDoc {
    #[serde(rename = "_id")]
    pub(crate) id: String,
    /// Lower-cased; unique.
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) avatar_url: Option<String>,
    pub(crate) role: String,
    pub(crate) skill: String,
    pub(crate) queues: Vec<String>,
    pub(crate) capacity: i64,
    pub(crate) disabled: bool,
    pub(crate) password_hash: Option<String>,
    pub(crate) must_change_password: bool,
    pub(crate) created_at: i64,
    /// Bumped by every capacity-checked assignment to this attendant, so two concurrent ones
    /// write the same document and the second is retried (see `conversations::transition`).
    #[serde(default)]
    pub(crate) assignments: i64,
}

impl AttendantDoc {
    pub(crate) fn new(a: &Attendant) -> Self {
        Self {
            id: a.id.as_str().to_owned(),
            email: a.email.to_lowercase(),
            name: a.name.clone(),
            avatar_url: a.avatar_url.clone(),
            role: a.role.as_str().to_owned(),
            skill: a.skill.clone(),
            queues: queue_strings(&a.queues),
            capacity: i64::from(a.capacity),
            disabled: a.disabled,
            password_hash: a.password_hash.clone(),
            must_change_password: a.must_change_password,
            created_at: a.created_at,
            assignments: 0,
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<Attendant> {
        Ok(Attendant {
            id: parse("attendant id", AttendantId::parse(self.id))?,
            email: self.email,
            name: self.name,
            avatar_url: self.avatar_url,
            role: form(&self.role)?,
            skill: self.skill,
            queues: self
                .queues
                .into_iter()
                .map(|q| parse("queue id", QueueId::parse(q)))
                .collect::<StoreResult<_>>()?,
            capacity: parse("capacity", u32::try_from(self.capacity))?,
            disabled: self.disabled,
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            created_at: self.created_at,
        })
    }
}

pub(crate) fn queue_strings(queues: &[QueueId]) -> Vec<String> {
    queues.iter().map(|q| q.as_str().to_owned()).collect()
}

// --- auth sessions ---------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AuthSessionDoc {
    #[serde(rename = "_id")]
    pub(crate) token_hash: String,
    pub(crate) attendant_id: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
}

impl AuthSessionDoc {
    pub(crate) fn new(s: &AuthSession) -> Self {
        Self {
            token_hash: s.token_hash.clone(),
            attendant_id: s.attendant_id.as_str().to_owned(),
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<AuthSession> {
        Ok(AuthSession {
            token_hash: self.token_hash,
            attendant_id: parse("attendant id", AttendantId::parse(self.attendant_id))?,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

// --- queues ----------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct QueueDoc {
    #[serde(rename = "_id")]
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) mode: String,
    pub(crate) skill: Option<String>,
    pub(crate) greeting: Option<String>,
    pub(crate) away_message: Option<String>,
    /// Absent on queues written before calls: the default policy.
    #[serde(default)]
    pub(crate) calls: Option<String>,
    /// Absent on queues without a bot (and on those written before bots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bot: Option<QueueBotDoc>,
    /// Absent on queues answered at all hours (and on those written before hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hours: Option<chimpassist_protocol::hours::BusinessHours>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct QueueBotDoc {
    pub(crate) name: String,
    pub(crate) timeout_secs: i64,
}

impl QueueDoc {
    pub(crate) fn new(q: &Queue) -> Self {
        Self {
            id: q.id.as_str().to_owned(),
            name: q.name.clone(),
            mode: q.mode.as_str().to_owned(),
            skill: q.skill.clone(),
            greeting: q.greeting.clone(),
            away_message: q.away_message.clone(),
            calls: Some(q.calls.as_str().to_owned()),
            bot: q.bot.as_ref().map(|b| QueueBotDoc {
                name: b.name.clone(),
                timeout_secs: i64::from(b.timeout_secs),
            }),
            hours: q.hours.clone(),
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<Queue> {
        Ok(Queue {
            id: parse("queue id", QueueId::parse(self.id))?,
            name: self.name,
            mode: form(&self.mode)?,
            skill: self.skill,
            greeting: self.greeting,
            away_message: self.away_message,
            calls: match self.calls {
                Some(calls) => form(&calls)?,
                None => CallPolicy::default(),
            },
            bot: match self.bot {
                Some(b) => Some(QueueBot {
                    name: b.name,
                    timeout_secs: parse("bot timeout", u32::try_from(b.timeout_secs))?,
                }),
                None => None,
            },
            hours: self.hours,
        })
    }
}

// --- conversations ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RatingDoc {
    pub(crate) score: i32,
    pub(crate) comment: Option<String>,
}

impl RatingDoc {
    pub(crate) fn new(r: &Rating) -> Self {
        Self {
            score: i32::from(r.score),
            comment: r.comment.clone(),
        }
    }

    pub(crate) fn to_bson(&self) -> Bson {
        let mut doc = mongodb::bson::Document::new();
        doc.insert("score", self.score);
        doc.insert("comment", opt(self.comment.clone()));
        Bson::Document(doc)
    }
}

/// A conversation's receipts: a document of `receipts` (a field missing until its first
/// receipt), or, before receipts moved there, a field of the conversation's document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ReceiptsDoc {
    pub(crate) customer_delivered: i64,
    pub(crate) customer_read: i64,
    pub(crate) attendant_delivered: i64,
    pub(crate) attendant_read: i64,
}

impl ReceiptsDoc {
    pub(crate) fn into_model(self) -> StoreResult<Receipts> {
        Ok(Receipts {
            customer_delivered: uint(self.customer_delivered, "receipt")?,
            customer_read: uint(self.customer_read, "receipt")?,
            attendant_delivered: uint(self.attendant_delivered, "receipt")?,
            attendant_read: uint(self.attendant_read, "receipt")?,
        })
    }
}

/// One document per conversation. Messages are *not* embedded (a conversation's history grows
/// without bound; a document may not): they are documents of their own in `messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConversationDoc {
    #[serde(rename = "_id")]
    pub(crate) id: Uuid,
    pub(crate) customer_id: String,
    pub(crate) queue_id: String,
    pub(crate) status: String,
    pub(crate) attendant_id: Option<String>,
    pub(crate) requested_at: i64,
    pub(crate) assigned_at: Option<i64>,
    pub(crate) ended_at: Option<i64>,
    /// The seq counter: `$inc`-ed by each append, in the append's transaction.
    pub(crate) last_seq: i64,
    pub(crate) rating: Option<RatingDoc>,
    pub(crate) subject: Option<String>,
    #[serde(default)]
    pub(crate) receipts: ReceiptsDoc,
    /// The customer id while the conversation is open, absent otherwise: the unique partial
    /// index on it allows one open conversation per customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) open_customer: Option<String>,
    /// Every attendant the conversation was ever given to, so it stays in their history after
    /// a transfer (multikey index with `requested_at`).
    #[serde(default)]
    pub(crate) attendants: Vec<String>,
    #[serde(flatten)]
    pub(crate) facts: FactsDoc,
}

/// The report facts kept on a conversation's document (see `ConversationFacts`). The two
/// "first" times are absent, never null, until they happen: they are kept with `$min`, and
/// null sorts below every number.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct FactsDoc {
    /// Absent only on documents from before reports, until `schema::backfill_facts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_assigned_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) first_response_at: Option<i64>,
    #[serde(default)]
    pub(crate) reopened: i64,
    #[serde(default)]
    pub(crate) customer_messages: i64,
    #[serde(default)]
    pub(crate) attendant_messages: i64,
    #[serde(default)]
    pub(crate) calls: i64,
    #[serde(default)]
    pub(crate) calls_answered: i64,
    #[serde(default)]
    pub(crate) calls_missed: i64,
    #[serde(default)]
    pub(crate) talk_ms: i64,
}

impl ConversationDoc {
    pub(crate) fn into_model(self) -> StoreResult<Conversation> {
        Ok(Conversation {
            id: from_uuid(self.id),
            customer_id: parse("customer id", CustomerId::parse(self.customer_id))?,
            queue_id: parse("queue id", QueueId::parse(self.queue_id))?,
            status: form(&self.status)?,
            attendant_id: self
                .attendant_id
                .map(|a| parse("attendant id", AttendantId::parse(a)))
                .transpose()?,
            requested_at: self.requested_at,
            assigned_at: self.assigned_at,
            ended_at: self.ended_at,
            last_seq: uint(self.last_seq, "last_seq")?,
            rating: self
                .rating
                .map(|r| {
                    Ok::<_, StoreError>(Rating {
                        score: parse("rating score", u8::try_from(r.score))?,
                        comment: r.comment,
                    })
                })
                .transpose()?,
            subject: self.subject,
        })
    }
}

// --- messages --------------------------------------------------------------------------------

/// One document per message. `customer_id` is copied from the conversation so a customer's
/// history across conversations is one index range.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MessageDoc {
    pub(crate) conversation_id: Uuid,
    pub(crate) seq: i64,
    pub(crate) client_id: Uuid,
    pub(crate) customer_id: String,
    pub(crate) sender_party: String,
    pub(crate) sender_id: String,
    pub(crate) sender_name: String,
    pub(crate) text: String,
    pub(crate) timestamp: i64,
    /// On a message that records a call only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) call: Option<CallRecord>,
    /// On a message that carries files only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) attachments: Vec<AttachmentDoc>,
}

/// What a message keeps of a file it carries (`FileInfo` in the stored shape).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AttachmentDoc {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) size: i64,
    pub(crate) content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) width: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) height: Option<i64>,
}

impl AttachmentDoc {
    pub(crate) fn new(f: &FileInfo) -> Self {
        Self {
            id: uuid(f.id.as_uuid()),
            name: f.name.as_str().to_owned(),
            size: int(f.size),
            content_type: f.content_type.clone(),
            width: f.width.map(i64::from),
            height: f.height.map(i64::from),
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<FileInfo> {
        let pixels = |v: Option<i64>, what: &str| {
            v.map(|v| u32::try_from(v).map_err(|_| bad_document(format!("{what} is {v}"))))
                .transpose()
        };
        Ok(FileInfo {
            id: from_uuid::<FileId>(self.id),
            name: parse("file name", FileName::parse(self.name))?,
            size: uint(self.size, "file size")?,
            content_type: self.content_type,
            width: pixels(self.width, "width")?,
            height: pixels(self.height, "height")?,
        })
    }
}

impl MessageDoc {
    pub(crate) fn into_model(self) -> StoreResult<StoredMessage> {
        let seq: Seq = uint(self.seq, "seq")?;
        Ok(StoredMessage {
            conversation: from_uuid::<ConversationId>(self.conversation_id),
            seq,
            client_id: from_uuid(self.client_id),
            sender_party: form(&self.sender_party)?,
            sender_id: self.sender_id,
            sender_name: self.sender_name,
            // Stored text passed the limit when it was sent (a later, lower limit must not
            // make history unreadable); it is empty on a message of files only.
            text: MessageText::stored(self.text),
            timestamp: self.timestamp,
            call: self.call,
            attachments: self
                .attachments
                .into_iter()
                .map(AttachmentDoc::into_model)
                .collect::<StoreResult<_>>()?,
        })
    }
}

// --- callbacks -------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CallbackDoc {
    #[serde(rename = "_id")]
    pub(crate) id: Uuid,
    pub(crate) queue_id: String,
    pub(crate) customer_id: Option<String>,
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) preferred_time: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) done_at: Option<i64>,
    pub(crate) done_by: Option<String>,
}

impl CallbackDoc {
    pub(crate) fn new(c: &Callback) -> Self {
        Self {
            id: uuid(c.id.as_uuid()),
            queue_id: c.queue_id.as_str().to_owned(),
            customer_id: c.customer_id.as_ref().map(|id| id.as_str().to_owned()),
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            preferred_time: c.preferred_time.clone(),
            note: c.note.clone(),
            created_at: c.created_at,
            done_at: c.done_at,
            done_by: c.done_by.as_ref().map(|id| id.as_str().to_owned()),
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<Callback> {
        Ok(Callback {
            id: from_uuid::<CallbackId>(self.id),
            queue_id: parse("queue id", QueueId::parse(self.queue_id))?,
            customer_id: self
                .customer_id
                .map(|c| parse("customer id", CustomerId::parse(c)))
                .transpose()?,
            name: self.name,
            phone: self.phone,
            email: self.email,
            preferred_time: self.preferred_time,
            note: self.note,
            created_at: self.created_at,
            done_at: self.done_at,
            done_by: self
                .done_by
                .map(|a| parse("attendant id", AttendantId::parse(a)))
                .transpose()?,
        })
    }
}
