//! Which conversations an attendant may read: one rule for every route and socket operation
//! that shows a conversation, its transcript or its notes — [`Visibility::allows`], the store
//! crate's, which `Store::search` applies inside its query too. Admins see everything; other
//! attendants the conversations of their queues and those they hold or ever held.
//!
//! The coordinator applies the same rule to `reopen` and to the live lists (those show what is
//! in one's queues or held now: `Visibility::allows_in` without the past holders).

use std::collections::HashMap;

use chimpassist_protocol::{ConversationId, CustomerId, ErrorCode, Role};
use chimpassist_store::{Attendant, Conversation, Customer, Visibility};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Whether `me` may see `conversation`. Reads who held it only when its queue and current
/// holder do not already decide.
pub async fn may_see(
    state: &AppState,
    me: &Attendant,
    conversation: &Conversation,
) -> AppResult<bool> {
    let sees = Visibility::of(me);
    if sees.allows(conversation, &[]) {
        return Ok(true);
    }
    let held_by = state
        .store
        .conversation_attendants(&conversation.id)
        .await?;
    Ok(sees.allows(conversation, &held_by))
}

/// The conversation `id`, if `me` may see it: `404` when it does not exist, `403 forbidden`
/// when it is not theirs to see.
pub async fn conversation(
    state: &AppState,
    me: &Attendant,
    id: &ConversationId,
) -> AppResult<Conversation> {
    let conversation = state
        .store
        .get_conversation(id)
        .await?
        .ok_or_else(|| AppError::not_found("conversation"))?;
    if may_see(state, me, &conversation).await? {
        Ok(conversation)
    } else {
        Err(not_yours())
    }
}

/// The customer `id`, if `me` is an admin or may see one of their 50 most recent
/// conversations: `404`
/// when there is no such customer, `403 forbidden` otherwise. For what belongs to the
/// customer rather than a conversation (their visit, the site's statistics about them).
pub async fn customer(state: &AppState, me: &Attendant, id: &CustomerId) -> AppResult<Customer> {
    let customer = state
        .store
        .get_customer(id)
        .await?
        .ok_or_else(|| AppError::not_found("customer"))?;
    if me.role == Role::Admin {
        return Ok(customer);
    }
    let recent = state.store.customer_conversations(id, 0, 50).await?;
    if first_visible(state, me, recent).await?.is_none() {
        return Err(AppError::client(
            ErrorCode::Forbidden,
            "none of this customer's conversations is in your queues or was yours",
        ));
    }
    Ok(customer)
}

/// The conversations of `list` that `me` may see, in their order.
pub async fn visible(
    state: &AppState,
    me: &Attendant,
    list: Vec<Conversation>,
) -> AppResult<Vec<Conversation>> {
    let mut out = Vec::with_capacity(list.len());
    for conversation in list {
        if may_see(state, me, &conversation).await? {
            out.push(conversation);
        }
    }
    Ok(out)
}

/// The first conversation of `list` that `me` may see (reads stop there).
pub async fn first_visible(
    state: &AppState,
    me: &Attendant,
    list: Vec<Conversation>,
) -> AppResult<Option<Conversation>> {
    for conversation in list {
        if may_see(state, me, &conversation).await? {
            return Ok(Some(conversation));
        }
    }
    Ok(None)
}

/// Whether `me` may see each of `ids` (read once each): for filtering messages that span
/// conversations.
pub async fn visible_ids(
    state: &AppState,
    me: &Attendant,
    ids: impl IntoIterator<Item = ConversationId>,
) -> AppResult<HashMap<ConversationId, bool>> {
    let mut seen = HashMap::new();
    for id in ids {
        if seen.contains_key(&id) {
            continue;
        }
        let visible = match state.store.get_conversation(&id).await? {
            Some(c) => may_see(state, me, &c).await?,
            None => false,
        };
        seen.insert(id, visible);
    }
    Ok(seen)
}

fn not_yours() -> AppError {
    AppError::client(
        ErrorCode::Forbidden,
        "this conversation is not in your queues and was never yours",
    )
}
