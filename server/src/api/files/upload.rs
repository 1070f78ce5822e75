//! `POST /api/attachments`: the form read whole (the file at most `MAX_ATTACHMENT_BYTES`),
//! the uploader checked against the conversation, the file kept by `attachments`.

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use chimpassist_protocol::{ClientMessageId, ConversationId, ErrorCode, FileInfo, Party};
use chimpassist_store::Conversation;
use utoipa::ToSchema;

use crate::api::extract::Caller;
use crate::attachments::{Upload, Uploader};
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

/// Room for the multipart framing and the small fields around the file.
pub(in crate::api) const FORM_OVERHEAD: u64 = 16 * 1024;

/// The multipart form of an upload, for the API description.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(in crate::api) struct UploadForm {
    /// The file (its name is the part's `filename`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The conversation it is for.
    conversation: ConversationId,
    /// The client's key for this upload: a retry with the same one keeps one file.
    client_id: Option<ClientMessageId>,
}

/// # POST /api/attachments
///
/// Uploads a file to a conversation, to be sent next in a `send` frame's `attachments`. A
/// customer authenticates with its token (Bearer), an attendant with the session cookie;
/// only the conversation's customer and the attendant holding it may upload, while it is
/// open. The file is stored durably before the answer. Its type is read from its bytes and
/// must be one the server allows (`ATTACHMENT_TYPES`); programs are refused whatever their
/// name; over `MAX_ATTACHMENT_BYTES` → `413 file_too_large`. Retrying with the same
/// `client_id` answers the same file (`200`) and stores nothing new. Customers' uploads are
/// limited per client network (`UPLOADS_PER_MINUTE_PER_IP`).
#[utoipa::path(post, path = "/api/attachments", tag = "files",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = FileInfo), (status = 200, body = FileInfo),
        (status = 413, body = chimpassist_protocol::ErrorBody),
        (status = 415, body = chimpassist_protocol::ErrorBody)))]
pub(in crate::api) async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    client: ClientIp,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(StatusCode, Json<FileInfo>)> {
    let uploader = match &caller {
        Caller::Customer(c) => {
            state.edge.throttles.uploads.check(client)?;
            Uploader {
                party: Party::Customer,
                id: c.id.to_string(),
            }
        }
        Caller::Attendant(a) => Uploader {
            party: Party::Attendant,
            id: a.id.to_string(),
        },
    };
    let max = state.attachments.checks.max_bytes();
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|len| len > max + FORM_OVERHEAD) {
        return Err(too_large(max));
    }
    let form = read_form(form.map_err(|e| AppError::invalid(e.body_text()))?, max).await?;
    let conversation = participant(&state, &caller, &form.conversation).await?;
    let put = state
        .attachments
        .keep(
            &*state.store,
            Upload {
                conversation: &conversation,
                uploader,
                client_id: form.client_id.unwrap_or_default(),
                claimed_name: form.name,
                bytes: form.bytes,
            },
            now_ms(),
        )
        .await?;
    let status = if put.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(put.file.info)))
}

fn too_large(max: u64) -> AppError {
    crate::attachments::KeepError::Refused(crate::attachments::Refused::TooLarge { limit: max })
        .into()
}

/// The form's fields, read whole (the file at most `max` bytes).
struct Form {
    conversation: ConversationId,
    client_id: Option<ClientMessageId>,
    name: String,
    bytes: Vec<u8>,
}

async fn read_form(mut form: Multipart, max: u64) -> AppResult<Form> {
    let (mut conversation, mut client_id, mut file) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| form_error(e, max))? {
        match field.name().unwrap_or_default() {
            "conversation" => {
                let text = small_text(field, max).await?;
                conversation = Some(ConversationId::parse(text.trim()).map_err(AppError::from)?);
            }
            "client_id" => {
                let text = small_text(field, max).await?;
                client_id = Some(ClientMessageId::parse(text.trim()).map_err(AppError::from)?);
            }
            "file" => {
                let name = field.file_name().unwrap_or_default().to_owned();
                file = Some((name, file_bytes(field, max).await?));
            }
            // Unknown fields are read past, not kept.
            _ => {
                small_text(field, max).await?;
            }
        }
    }
    let missing = |what: &str| AppError::client(ErrorCode::MissingField, format!("no `{what}`"));
    let (name, bytes) = file.ok_or_else(|| missing("file"))?;
    Ok(Form {
        conversation: conversation.ok_or_else(|| missing("conversation"))?,
        client_id,
        name,
        bytes,
    })
}

/// The file part, refused as soon as it passes `max` bytes (a body without a length, or
/// one that lied about it, is not read further).
async fn file_bytes(mut field: Field<'_>, max: u64) -> AppResult<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, max))? {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(too_large(max));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A short text field (an id): at most a kilobyte.
async fn small_text(mut field: Field<'_>, max: u64) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, max))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > 1024 {
            return Err(AppError::invalid(
                "a form field other than `file` is too long",
            ));
        }
    }
    String::from_utf8(bytes).map_err(|_| AppError::invalid("a form field is not UTF-8"))
}

fn form_error(e: MultipartError, max: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        AppError::client(
            ErrorCode::MalformedJson,
            format!("not a valid form: {}", e.body_text()),
        )
    }
}

/// The conversation, if `caller` takes part in it now: its customer (even once it ended: a
/// customer's message reopens it), or the attendant holding it while it is open. Others get
/// `404` (no probing); an attendant's closed one `409`.
async fn participant(
    state: &AppState,
    caller: &Caller,
    id: &ConversationId,
) -> AppResult<Conversation> {
    let conversation = state
        .store
        .get_conversation(id)
        .await?
        .ok_or_else(|| AppError::not_found("conversation"))?;
    let takes_part = match caller {
        Caller::Customer(c) => conversation.customer_id == c.id,
        Caller::Attendant(a) => conversation.attendant_id.as_ref() == Some(&a.id),
    };
    if !takes_part {
        return Err(AppError::not_found("conversation"));
    }
    if matches!(caller, Caller::Attendant(_)) && !conversation.status.is_open() {
        return Err(AppError::client(
            ErrorCode::Conflict,
            "the conversation has ended; files can no longer be sent to it",
        ));
    }
    Ok(conversation)
}
