//! A customer's data, for their right of access (GDPR art. 15): everything the store holds
//! about them as one JSON document, the files of their conversations, and a cover page saying
//! what is in it, why it is kept and what is left out. `GET /api/contacts/{id}/export`
//! (admins) answers it as a zip ([`archive`]).
//!
//! Left out on purpose: the notes attendants wrote about the customer's conversations (the
//! support team's own records about them, which may name other people: art. 15(4)); their
//! number is given, with the reason.

pub mod archive;
pub mod document;

use std::collections::HashSet;

use chimpassist_protocol::{Attributes, ConversationId, CustomerId, FileInfo, VisitView};
use chimpassist_store::{Callback, Conversation, Customer, FilePart, StoredMessage};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Conversations and messages are read this many at a time.
const PAGE: u64 = 200;

/// What was gathered about one customer.
#[derive(Debug)]
pub struct Gathered {
    pub customer: Customer,
    /// Newest request first, each with its messages in order and how many notes were left out.
    pub conversations: Vec<(Conversation, Vec<StoredMessage>, usize)>,
    pub callbacks: Vec<Callback>,
    /// The pages, browser, language and clock the widget reported.
    pub visit: Option<VisitView>,
    /// What the site said about them.
    pub attributes: Attributes,
    /// Every file the messages carry that is still stored, once each, with its bytes.
    pub files: Vec<(FileInfo, Vec<u8>)>,
}

impl Gathered {
    pub fn message_count(&self) -> usize {
        self.conversations.iter().map(|(_, m, _)| m.len()).sum()
    }
}

/// Reads everything stored about `customer`: `404` when there is no such customer.
pub async fn gather(state: &AppState, customer: &CustomerId) -> AppResult<Gathered> {
    let record = state
        .store
        .get_customer(customer)
        .await?
        .ok_or_else(|| AppError::not_found("customer"))?;
    let mut conversations = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .customer_conversations(customer, offset, PAGE)
            .await?;
        let full = page.len() as u64 == PAGE;
        offset += page.len() as u64;
        for conversation in page {
            let messages = messages(state, &conversation.id).await?;
            let notes = state.store.notes(&conversation.id).await?.len();
            conversations.push((conversation, messages, notes));
        }
        if !full {
            break;
        }
    }
    let callbacks = state.store.customer_callbacks(customer).await?;
    let visit = state.store.customer_visit(customer).await?;
    let attributes = state.store.customer_attributes(customer).await?;
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for (_, messages, _) in &conversations {
        for info in messages.iter().flat_map(|m| &m.attachments) {
            if !seen.insert(info.id) {
                continue;
            }
            if let Some(bytes) = state.store.file_bytes(&info.id, FilePart::Original).await? {
                files.push((info.clone(), bytes));
            }
        }
    }
    Ok(Gathered {
        customer: record,
        conversations,
        callbacks,
        visit,
        attributes,
        files,
    })
}

async fn messages(
    state: &AppState,
    conversation: &ConversationId,
) -> AppResult<Vec<StoredMessage>> {
    let mut all: Vec<StoredMessage> = Vec::new();
    loop {
        let after = all.last().map_or(0, |m| m.seq);
        let page = state
            .store
            .messages_after(conversation, after, PAGE)
            .await?;
        let full = page.len() as u64 == PAGE;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}
