//! A customer's data rights (admins): their export.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chimpassist_protocol::CustomerId;
use chimpassist_protocol::audit::AuditAction;

use super::extract::{Admin, AppPath};
use crate::audit;
use crate::error::AppResult;
use crate::export::{self, archive};
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
    let zip = archive::build(gathered, now_ms()).await?;
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
