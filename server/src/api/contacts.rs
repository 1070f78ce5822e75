//! A customer's data rights (admins): their export and their erasure.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::{CustomerId, ErrorCode};
use serde::Serialize;

use super::extract::{Admin, AppPath};
use crate::audit;
use crate::bus::BusEvent;
use crate::error::{AppError, AppResult};
use crate::export::{self, archive};
use crate::revoke::CloseReason;
use crate::state::AppState;
use crate::views::now_ms;

/// # GET /api/contacts/{id}/export
///
/// Everything stored about the customer (`id`: this server's customer id), for their right of
/// access: a zip with `README.txt` (what is in it, why it is kept, how long, what is left out),
/// `data.json` (profile, every conversation with every message and its time, ratings, calls,
/// callback requests) and `attachments/`. Notes attendants wrote are left out, counted, with
/// the reason. Audited (`contact.exported`, without personal data).
#[utoipa::path(get, path = "/api/contacts/{id}/export", tag = "admin",
    params(("id" = String, Path, description = "customer id")),
    responses((status = 200, description = "the zip", content_type = "application/zip"),
        (status = 404, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn export_contact(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<CustomerId>,
) -> AppResult<Response> {
    let gathered = export::gather(&state, &id).await?;
    let summary = format!(
        "{} conversations, {} messages, {} files",
        gathered.conversations.len(),
        gathered.message_count(),
        gathered.files.len()
    );
    let zip = archive::build(gathered, now_ms(), state.config.conversation_retention).await?;
    audit::record(
        &state,
        &me,
        AuditAction::ContactExported,
        &id,
        Some(summary),
    )
    .await;
    let disposition = format!(
        "attachment; filename=\"chimpassist-contact-export-{}.zip\"",
        id.as_str()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let mut response = Response::new(Body::from(zip));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// What an erasure removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ErasureView {
    /// Conversations emptied; they stay in the reports under "Erased customer".
    conversations: u64,
    messages: u64,
    notes: u64,
    files: u64,
    callbacks: u64,
}

/// # DELETE /api/contacts/{id}
///
/// Erases the customer (their right to erasure): their open sockets are closed on every node
/// (close code 4410), their open conversation is ended, then their messages, the notes about
/// them, their files, callbacks and record are deleted in one write that also records the
/// `contact.erased` webhook. Their conversations stay in the reports, emptied, under the
/// placeholder "Erased customer". Audited (`contact.erased`: who erased which id, when, how
/// much). `404` when there is no such customer (also the second time); `409 conflict` when a
/// new conversation of theirs opened meanwhile (ask again).
#[utoipa::path(delete, path = "/api/contacts/{id}", tag = "admin",
    params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = ErasureView),
        (status = 404, body = chimpassist_protocol::ErrorBody),
        (status = 409, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn erase_contact(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<CustomerId>,
) -> AppResult<Json<ErasureView>> {
    if state.store.get_customer(&id).await?.is_none() {
        return Err(AppError::not_found("customer"));
    }
    // Their sockets first, so they cannot start a chat while it is being erased.
    crate::delivery::publish(
        &state.delivery,
        BusEvent::CutCustomer {
            customer: id.clone(),
            reason: CloseReason::Erased,
        },
    )
    .await;
    let open = state.store.list_open_conversations().await?;
    for conversation in open.iter().filter(|c| c.customer_id == id) {
        state
            .coordinator
            .end_chat(id.clone(), conversation.id)
            .await?;
    }
    let erased = state
        .store
        .erase_customer(&id, now_ms())
        .await
        .map_err(|e| match e {
            chimpassist_store::StoreError::Conflict(_) => AppError::client(
                ErrorCode::Conflict,
                "a conversation of this customer opened meanwhile; erase again",
            ),
            other => other.into(),
        })?;
    let summary = format!(
        "{} conversations emptied, {} messages, {} notes, {} files, {} callbacks",
        erased.conversations, erased.messages, erased.notes, erased.files, erased.callbacks
    );
    audit::record(&state, &me, AuditAction::ContactErased, &id, Some(summary)).await;
    tracing::info!(customer = %id, "customer erased");
    Ok(Json(ErasureView {
        conversations: erased.conversations,
        messages: erased.messages,
        notes: erased.notes,
        files: erased.files,
        callbacks: erased.callbacks,
    }))
}
