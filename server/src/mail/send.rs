//! What one outbox delivery to mail sends, or why it sends nothing, and what comes of it.
//!
//! - A transcript goes to a visitor who left an address, when the conversation is resolved.
//! - A reply is mailed once the visitor has been gone `EMAIL_AWAY_SECONDS` without reading
//!   it. A visitor still connected is asked again after that delay (for up to a day). One
//!   mail carries every reply the visitor has not read: the delivery of an earlier reply
//!   sends nothing when a later one is there, whose own delivery sends them all.

use std::time::Duration;

use chimpassist_protocol::webhook::{ConversationEventData, MessageEventData};
use chimpassist_protocol::{ConversationId, CustomerPresence, Seq, TimestampMs};
use chimpassist_store::{
    ClaimedDelivery, Customer, DeliveryNext, StoreError, StoredMessage, webhooks::internal,
};
use lettre::AsyncTransport as _;
use lettre::message::{Mailbox, MultiPart};

use super::Mailer;
use super::compose::{self, Lang, Line, Mail};
use crate::views::now_ms;

/// The most messages one mail shows (the newest).
const MAX_LINES: usize = 200;
/// A reply still unread by a visitor who never left is not mailed after this long.
const GIVE_UP_AFTER: i64 = 24 * 3600 * 1000;

/// What an attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the SMTP server.
    Sent,
    /// Nothing to send, and why (no address, read already, a later reply carries it…).
    Nothing(&'static str),
    /// Ask again at this time (the visitor is still here).
    Later(TimestampMs),
    /// The SMTP server (or the store) failed; `permanent` when trying again cannot help.
    Failed { error: String, permanent: bool },
}

impl Outcome {
    /// The delivery's next step, with `schedule` (the webhook retry delays) for failures,
    /// and what the delivery log shows.
    pub fn next(
        &self,
        attempt: u32,
        now: TimestampMs,
        schedule: &[Duration],
    ) -> (DeliveryNext, Option<String>) {
        match self {
            Self::Sent => (DeliveryNext::Done, None),
            Self::Nothing(why) => (DeliveryNext::Done, Some(format!("not sent: {why}"))),
            Self::Later(at) => (
                DeliveryNext::RetryAt(*at),
                Some("the visitor is still here".into()),
            ),
            Self::Failed { error, permanent } => {
                let next = match schedule.get(attempt as usize) {
                    Some(delay) if !permanent => {
                        DeliveryNext::RetryAt(now + delay.as_millis() as i64)
                    }
                    _ => DeliveryNext::GiveUp,
                };
                (next, Some(error.clone()))
            }
        }
    }
}

impl From<StoreError> for Outcome {
    fn from(e: StoreError) -> Self {
        Self::Failed {
            error: format!("reading the store: {e}"),
            permanent: false,
        }
    }
}

impl Mailer {
    /// Sends what `delivery` asks for.
    pub async fn attempt(&self, delivery: &ClaimedDelivery) -> Outcome {
        let made = if delivery.endpoint == internal::mail_transcripts() {
            self.transcript(&delivery.event.data).await
        } else if delivery.endpoint == internal::mail_replies() {
            self.reply(&delivery.event.data).await
        } else {
            Err(Outcome::Nothing("not a mail subscriber"))
        };
        match made {
            Ok((to, mail)) => self.send(to, mail).await,
            Err(outcome) => outcome,
        }
    }

    async fn transcript(&self, data: &str) -> Result<(Mailbox, Mail), Outcome> {
        let data: ConversationEventData =
            serde_json::from_str(data).map_err(|_| Outcome::Nothing("unreadable event"))?;
        let conversation = data.conversation.id;
        let (customer, to) = self.recipient(&data.conversation.customer_id).await?;
        let visit = self.store.customer_visit(&customer.id).await?;
        let tz = visit.as_ref().and_then(|v| v.time_zone.as_deref());
        let (messages, left_out) = self.newest(&conversation, 0).await?;
        if messages.is_empty() {
            return Err(Outcome::Nothing("no messages"));
        }
        let lines: Vec<Line> = messages.iter().map(|m| line(m, tz)).collect();
        let lang = Lang::of(visit.as_ref().and_then(|v| v.language.as_deref()));
        Ok((
            to,
            compose::transcript(lang, &customer.name, &lines, left_out),
        ))
    }

    async fn reply(&self, data: &str) -> Result<(Mailbox, Mail), Outcome> {
        let data: MessageEventData =
            serde_json::from_str(data).map_err(|_| Outcome::Nothing("unreadable event"))?;
        if !data.sender.party.is_team() {
            return Err(Outcome::Nothing("the visitor's own message"));
        }
        let conversation = self
            .store
            .get_conversation(&data.conversation_id)
            .await?
            .ok_or(Outcome::Nothing("the conversation is gone"))?;
        let (customer, to) = self.recipient(&conversation.customer_id).await?;
        let now = now_ms();
        if self.coordinator.presence_of_customer(&customer.id) != CustomerPresence::Gone {
            return Err(if now - data.timestamp < GIVE_UP_AFTER {
                Outcome::Later(now + self.settings.away.as_millis() as i64)
            } else {
                Outcome::Nothing("the visitor stayed without reading it")
            });
        }
        let read = self.store.receipts(&conversation.id).await?.customer_read;
        if read >= data.seq {
            return Err(Outcome::Nothing("read already"));
        }
        let (unread, _) = self.newest(&conversation.id, read).await?;
        let replies: Vec<&StoredMessage> =
            unread.iter().filter(|m| m.sender_party.is_team()).collect();
        if replies.last().is_some_and(|m| m.seq > data.seq) {
            return Err(Outcome::Nothing("a later reply's mail carries it"));
        }
        let visit = self.store.customer_visit(&customer.id).await?;
        let tz = visit.as_ref().and_then(|v| v.time_zone.as_deref());
        let lines: Vec<Line> = replies.iter().map(|m| line(m, tz)).collect();
        let link = self.link(&customer, &conversation.id, now);
        let lang = Lang::of(visit.as_ref().and_then(|v| v.language.as_deref()));
        Ok((
            to,
            compose::reply(lang, &customer.name, &lines, link.as_deref()),
        ))
    }

    /// The reopening link for a guest. A visitor the site signed in is known by the site's
    /// login, which a page of this server cannot give: they answer on the site.
    fn link(
        &self,
        customer: &Customer,
        conversation: &ConversationId,
        now: TimestampMs,
    ) -> Option<String> {
        customer.external_id.is_none().then(|| {
            format!(
                "{}/mail/open#{}",
                self.settings.public_url,
                self.links.issue(&customer.id, conversation, now)
            )
        })
    }

    async fn recipient(
        &self,
        id: &chimpassist_protocol::CustomerId,
    ) -> Result<(Customer, Mailbox), Outcome> {
        let customer = self
            .store
            .get_customer(id)
            .await?
            .ok_or(Outcome::Nothing("the visitor is gone"))?;
        let address = customer
            .email
            .as_deref()
            .ok_or(Outcome::Nothing("no address"))?
            .parse()
            .map_err(|_| Outcome::Nothing("the address is not one SMTP takes"))?;
        let to = Mailbox::new(Some(customer.name.clone()), address);
        Ok((customer, to))
    }

    /// The newest [`MAX_LINES`] messages after `after`, oldest first, and how many older ones
    /// were left out.
    async fn newest(
        &self,
        conversation: &ConversationId,
        after: Seq,
    ) -> Result<(Vec<StoredMessage>, usize), Outcome> {
        let mut newest = self
            .store
            .messages_before(conversation, None, MAX_LINES as u64)
            .await?;
        newest.retain(|m| m.seq > after);
        newest.reverse();
        let left_out = newest
            .first()
            .map_or(0, |m| (m.seq.saturating_sub(after + 1)) as usize);
        Ok((newest, left_out))
    }

    async fn send(&self, to: Mailbox, mail: Mail) -> Outcome {
        let message = lettre::Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(AutoSubmitted)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html));
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("building the message: {e}"),
                    permanent: true,
                };
            }
        };
        match self.transport.send(message).await {
            Ok(_) => Outcome::Sent,
            // The error names the server's answer or the connection's failure; never the URL,
            // so never the credentials in it.
            Err(e) => Outcome::Failed {
                permanent: e.is_permanent(),
                error: format!("SMTP: {e}"),
            },
        }
    }
}

fn line(m: &StoredMessage, time_zone: Option<&str>) -> Line {
    Line {
        from: m.sender_name.clone(),
        at: compose::when(m.timestamp, time_zone),
        text: m.text.as_str().to_owned(),
        files: m
            .attachments
            .iter()
            .map(|f| f.name.as_str().to_owned())
            .collect(),
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): mailers do not answer it with vacation
/// replies.
#[derive(Clone, Debug)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}
