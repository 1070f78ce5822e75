//! What one outbox delivery to mail sends, or why it sends nothing, and what comes of it.
//!
//! - A transcript goes to a visitor who left an address, when the conversation is resolved.
//! - A reply is mailed once the visitor has been away `EMAIL_AWAY_SECONDS` (gone, or on
//!   another tab) without reading it, while the conversation is open (a resolved one's
//!   transcript carries it). A visitor still looking at the page is asked again after that
//!   delay, for up to a day. One mail carries every reply the visitor has not read: the
//!   delivery of an earlier reply sends nothing when a later one is there, whose own
//!   delivery sends them all.
//! - Nothing goes to an address whose owner turned mail off.
//!
//! A mail is owed for a bounded time ([`Mailer::lifetime`]): failed sends are retried on the
//! webhook schedule (its last delay repeated) until then, and a delivery found older (mail
//! turned off on every node for a while, then on again) sends nothing.

use std::time::Duration;

use chimpassist_protocol::webhook::{ConversationEventData, MessageEventData};
use chimpassist_protocol::{
    ConversationId, ConversationStatus, CustomerId, CustomerPresence, Seq, TimestampMs,
};
use chimpassist_store::{
    ClaimedDelivery, Customer, DeliveryNext, StoreError, StoredMessage, webhooks::internal,
};
use lettre::AsyncTransport as _;
use lettre::message::{Mailbox, MultiPart};

use super::Mailer;
use super::compose::{self, Lang, Line, Mail};
use super::links::Purpose;
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

impl Mailer {
    /// How long after its event a mail is owed: the reply's wait, a day of a visitor who
    /// stays, and the whole retry schedule.
    pub fn lifetime(&self) -> i64 {
        let retries: Duration = self.schedule.iter().sum();
        (self.settings.away + retries).as_millis() as i64 + GIVE_UP_AFTER
    }

    /// The delivery's next step after `outcome`, and what the delivery log shows. A failed
    /// send is tried again after the schedule's delay for this attempt (its last delay once
    /// past its end: "still here" answers count as attempts too) while the mail is owed.
    pub fn next(
        &self,
        outcome: &Outcome,
        attempt: u32,
        event_at: TimestampMs,
        now: TimestampMs,
    ) -> (DeliveryNext, Option<String>) {
        match outcome {
            Outcome::Sent => (DeliveryNext::Done, None),
            Outcome::Nothing(why) => (DeliveryNext::Done, Some(format!("not sent: {why}"))),
            Outcome::Later(at) => (
                DeliveryNext::RetryAt(*at),
                Some("the visitor is still here".into()),
            ),
            Outcome::Failed { error, permanent } => {
                let delay = self
                    .schedule
                    .get(attempt as usize)
                    .or(self.schedule.last())
                    .map_or(0, |d| d.as_millis() as i64);
                let next = if *permanent || now + delay - event_at > self.lifetime() {
                    DeliveryNext::GiveUp
                } else {
                    DeliveryNext::RetryAt(now + delay)
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
        if now_ms() - delivery.event.at > self.lifetime() {
            return Outcome::Nothing("too old to send");
        }
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

    async fn transcript(&self, data: &str) -> Result<(Recipient, Mail), Outcome> {
        let data: ConversationEventData =
            serde_json::from_str(data).map_err(|_| Outcome::Nothing("unreadable event"))?;
        let conversation = data.conversation.id;
        let to = self
            .recipient(&data.conversation.customer_id, &conversation)
            .await?;
        let (messages, left_out) = self.newest(&conversation, 0).await?;
        if messages.is_empty() {
            return Err(Outcome::Nothing("no messages"));
        }
        let lines: Vec<Line> = messages.iter().map(|m| to.line(m)).collect();
        let mail = compose::transcript(to.to(), &lines, left_out);
        Ok((to, mail))
    }

    async fn reply(&self, data: &str) -> Result<(Recipient, Mail), Outcome> {
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
        if conversation.status == ConversationStatus::Resolved {
            return Err(Outcome::Nothing("resolved: the transcript carries it"));
        }
        let read = self.store.receipts(&conversation.id).await?.customer_read;
        if read >= data.seq {
            return Err(Outcome::Nothing("read already"));
        }
        let now = now_ms();
        // Looking at the page: the widget shows the reply; ask again later.
        if self
            .coordinator
            .presence_of_customer(&conversation.customer_id)
            == CustomerPresence::Active
        {
            return Err(if now - data.timestamp < GIVE_UP_AFTER {
                Outcome::Later(now + self.settings.away.as_millis() as i64)
            } else {
                Outcome::Nothing("the visitor stayed without reading it")
            });
        }
        let to = self
            .recipient(&conversation.customer_id, &conversation.id)
            .await?;
        let (unread, _) = self.newest(&conversation.id, read).await?;
        let replies: Vec<&StoredMessage> =
            unread.iter().filter(|m| m.sender_party.is_team()).collect();
        if replies.last().is_some_and(|m| m.seq > data.seq) {
            return Err(Outcome::Nothing("a later reply's mail carries it"));
        }
        let lines: Vec<Line> = replies.iter().map(|m| to.line(m)).collect();
        // The reopening link is a guest's. A visitor the site signed in is known by the
        // site's login, which a page of this server cannot give: they answer on the site.
        let link = to.customer.external_id.is_none().then(|| {
            format!(
                "{}/mail/open#{}",
                self.settings.public_url,
                self.links
                    .issue(Purpose::Open, &to.customer.id, &conversation.id, now)
            )
        });
        let mail = compose::reply(to.to(), &lines, link.as_deref());
        Ok((to, mail))
    }

    /// Who a mail about `conversation` goes to: a visitor with an address who has not turned
    /// mail off.
    async fn recipient(
        &self,
        id: &CustomerId,
        conversation: &ConversationId,
    ) -> Result<Recipient, Outcome> {
        let customer = self
            .store
            .get_customer(id)
            .await?
            .ok_or(Outcome::Nothing("the visitor is gone"))?;
        let address: lettre::Address = customer
            .email
            .as_deref()
            .ok_or(Outcome::Nothing("no address"))?
            .parse()
            .map_err(|_| Outcome::Nothing("the address is not one SMTP takes"))?;
        let key = super::address_key(&address);
        if self.store.mail_suppressed(&key).await?.is_some() {
            return Err(Outcome::Nothing("the address turned e-mail off"));
        }
        let visit = self.store.customer_visit(id).await?;
        let stop = format!(
            "{}/mail/unsubscribe#{}",
            self.settings.public_url,
            self.links
                .issue_stop(&customer.id, conversation, &key, now_ms())
        );
        Ok(Recipient {
            mailbox: Mailbox::new(Some(customer.name.clone()), address),
            lang: Lang::of(visit.as_ref().and_then(|v| v.language.as_deref())),
            time_zone: visit.and_then(|v| v.time_zone),
            stop,
            customer,
        })
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

    async fn send(&self, to: Recipient, mail: Mail) -> Outcome {
        let message = lettre::Message::builder()
            .from(self.settings.from.clone())
            .to(to.mailbox)
            .subject(mail.subject)
            .header(AutoSubmitted)
            .header(ListUnsubscribe(to.stop))
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
            Err(e) => Outcome::Failed {
                permanent: e.is_permanent(),
                error: smtp_error(&e),
            },
        }
    }
}

/// What the log keeps of an SMTP failure: its kind and code. Never the server's words,
/// which often quote the recipient's address, nor the URL, which may hold credentials.
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let code = e.status().map(|c| format!(" {c}")).unwrap_or_default();
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_permanent() {
        "refused for good"
    } else if e.is_transient() {
        "refused for now"
    } else if e.is_response() || e.is_client() {
        "protocol error"
    } else {
        "could not connect or deliver"
    };
    format!("SMTP: {kind}{code}")
}

/// A mail's addressee, as [`Mailer::recipient`] found them.
struct Recipient {
    customer: Customer,
    mailbox: Mailbox,
    lang: Lang,
    time_zone: Option<String>,
    /// The link that turns mail off (in every mail, and its `List-Unsubscribe`).
    stop: String,
}

impl Recipient {
    fn to(&self) -> compose::To<'_> {
        compose::To {
            lang: self.lang,
            name: &self.customer.name,
            stop: &self.stop,
        }
    }

    /// A message as this visitor reads it (times in their zone).
    fn line(&self, m: &StoredMessage) -> Line {
        Line {
            from: m.sender_name.clone(),
            at: compose::when(m.timestamp, self.time_zone.as_deref()),
            text: m.text.as_str().to_owned(),
            files: m
                .attachments
                .iter()
                .map(|f| f.name.as_str().to_owned())
                .collect(),
        }
    }
}

/// `List-Unsubscribe` (RFC 2369): mail clients show their own "unsubscribe" for it. The page
/// asks before it turns mail off, so a scanner following links turns nothing off.
#[derive(Clone, Debug)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(raw: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(raw.trim_matches(['<', '>']).to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), format!("<{}>", self.0))
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
