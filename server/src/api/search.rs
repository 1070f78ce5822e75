//! Search over conversations: by customer name and by message text.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use chimpassist_protocol::{AttendantId, CustomerId, SearchHit, SearchQuery};
use chimpassist_store::{Attendant, Customer, Visibility};
use serde::Deserialize;

use super::extract::CurrentAttendant;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::{conversation_view, message_view};

/// Results when `limit` is not given.
const DEFAULT_LIMIT: u64 = 20;
/// Most results one search returns.
const MAX_LIMIT: u64 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SearchParams {
    /// Text to find: 2–100 characters after trimming, taken literally.
    #[serde(default)]
    q: String,
    /// At most this many results (1–50, default 20).
    limit: Option<u64>,
}

/// # GET /api/search
///
/// Conversations whose customer's name contains `q`, or with a message containing it
/// (case-insensitive for ASCII letters), newest request first. Admins search every
/// conversation; other attendants those of their queues and those ever assigned to them.
/// Each hit carries the newest matching message, or `null` when only the name matched.
#[utoipa::path(get, path = "/api/search", tag = "attendant", params(SearchParams),
    responses((status = 200, body = [SearchHit])))]
pub(super) async fn search(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<Vec<SearchHit>>> {
    let query = SearchQuery::parse(&params.q)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let matches = state
        .store
        .search(&query, &Visibility::of(&me), limit)
        .await?;

    // A customer or attendant often appears in several hits: read each once.
    let mut customers: HashMap<CustomerId, Option<Customer>> = HashMap::new();
    let mut attendants: HashMap<AttendantId, Option<Attendant>> = HashMap::new();
    let mut hits = Vec::with_capacity(matches.len());
    for m in matches {
        let c = &m.conversation;
        if !customers.contains_key(&c.customer_id) {
            let found = state.store.get_customer(&c.customer_id).await?;
            customers.insert(c.customer_id.clone(), found);
        }
        let Some(customer) = customers.get(&c.customer_id).and_then(Option::as_ref) else {
            continue;
        };
        let attendant = match &c.attendant_id {
            Some(a) => {
                if !attendants.contains_key(a) {
                    let found = state.store.get_attendant(a).await?;
                    attendants.insert(a.clone(), found);
                }
                attendants.get(a).and_then(Option::as_ref)
            }
            None => None,
        };
        hits.push(SearchHit {
            conversation: conversation_view(c, customer, attendant),
            message: m.message.as_ref().map(message_view),
        });
    }
    Ok(Json(hits))
}
