//! Files in the chat: the upload (`POST /api/attachments`) and the signed download
//! (`GET /api/files/{id}`). What a file may be, and how links are signed, is
//! `crate::attachments`'; this module is the HTTP around it.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::{
    ClientMessageId, ConversationId, ErrorCode, FileId, FileInfo, Party, TimestampMs,
};
use chimpassist_store::{Conversation, FilePart, FileRecord};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{AppPath, AppQuery, Caller};
use crate::attachments::{LinkError, Upload, Uploader};
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

/// Room for the multipart framing and the small fields around the file.
pub(super) const FORM_OVERHEAD: u64 = 16 * 1024;

/// The multipart form of an upload, for the API description.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(super) struct UploadForm {
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
pub(super) async fn upload(
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

/// A link's query (see `attachments::links`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct LinkQuery {
    expires: Option<TimestampMs>,
    sig: Option<String>,
    /// `thumb` for the thumbnail.
    part: Option<String>,
}

/// # GET /api/files/{id}
///
/// A file, through a link the server minted when it sent the message (the only way to get
/// one). An expired or altered link → `403`, unless the request carries the session of an
/// attendant who may see the file's conversation now (the back-office stays open for hours;
/// its rights are read from current state). Raster images are served inline; everything
/// else as a download (`Content-Disposition: attachment`), always with
/// `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy. Answers single
/// byte ranges (`206`).
#[utoipa::path(get, path = "/api/files/{id}", tag = "files", params(LinkQuery),
    responses((status = 200, description = "the file"), (status = 206, description = "a range"),
        (status = 403, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn download(
    State(state): State<Arc<AppState>>,
    AppPath(id): AppPath<FileId>,
    AppQuery(link): AppQuery<LinkQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let part = match link.part.as_deref() {
        None => FilePart::Original,
        Some("thumb") => FilePart::Thumbnail,
        Some(_) => return Err(AppError::invalid("`part` is `thumb` or absent")),
    };
    let now = now_ms();
    let expires = link.expires.unwrap_or_default();
    let checked = state.attachments.links.verify(
        &id,
        part,
        expires,
        link.sig.as_deref().unwrap_or_default(),
        now,
    );
    let record = match checked {
        Ok(()) => state
            .store
            .get_file(&id)
            .await?
            .ok_or_else(|| AppError::not_found("file"))?,
        Err(e) => match seen_by_attendant(&state, &headers, &id).await? {
            Some(record) => record,
            None => {
                return Err(AppError::client(
                    ErrorCode::Forbidden,
                    match e {
                        LinkError::Expired => "this link has expired; reopen the conversation",
                        LinkError::Tampered => "this link is not valid",
                    },
                ));
            }
        },
    };
    let bytes = state
        .store
        .file_bytes(&id, part)
        .await?
        .ok_or_else(|| AppError::not_found("file"))?;
    // A file served on a session is not cached beyond it (`max-age=0`).
    let max_age = (expires - now) / 1000;
    Ok(serve(
        &record,
        part,
        bytes,
        headers.get(header::RANGE),
        max_age,
    ))
}

/// The file, if the request carries the session of an attendant who may see its
/// conversation now (`None` otherwise, whether or not the file exists: no probing).
async fn seen_by_attendant(
    state: &AppState,
    headers: &HeaderMap,
    id: &FileId,
) -> AppResult<Option<FileRecord>> {
    let jar = axum_extra::extract::CookieJar::from_headers(headers);
    let Some(token) = jar.get(crate::auth::SESSION_COOKIE) else {
        return Ok(None);
    };
    let Ok(signed_in) = state.auth.session(token.value()).await else {
        return Ok(None);
    };
    if signed_in.require_settled().is_err() {
        return Ok(None);
    }
    let Some(record) = state.store.get_file(id).await? else {
        return Ok(None);
    };
    let Some(conversation) = state.store.get_conversation(&record.conversation).await? else {
        return Ok(None);
    };
    let sees = crate::access::may_see(state, &signed_in.me, &conversation).await?;
    Ok(sees.then_some(record))
}

/// The response for a file's bytes: its headers, and the range asked for.
fn serve(
    record: &FileRecord,
    part: FilePart,
    bytes: Vec<u8>,
    range: Option<&HeaderValue>,
    max_age: i64,
) -> Response {
    let (content_type, inline) = match part {
        FilePart::Original => (
            record.info.content_type.as_str(),
            record.info.is_inline_image(),
        ),
        FilePart::Thumbnail => (
            record.thumbnail_type.as_deref().unwrap_or("image/jpeg"),
            true,
        ),
    };
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        ascii_name(record.info.name.as_str()),
        url::form_urlencoded::byte_serialize(record.info.name.as_str().as_bytes())
            .collect::<String>()
            .replace('+', "%20"),
    );
    let len = bytes.len() as u64;
    let mut response = match range.map(|r| ranges(r, len)) {
        Some(Ranged::One(start, end)) => {
            let slice = bytes[start as usize..=end as usize].to_vec();
            let mut r = (StatusCode::PARTIAL_CONTENT, Body::from(slice)).into_response();
            insert(
                &mut r,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{len}"),
            );
            r
        }
        Some(Ranged::Unsatisfiable) => {
            let mut r = AppError::client(ErrorCode::InvalidField, "the range is outside the file")
                .into_response();
            *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            insert(&mut r, header::CONTENT_RANGE, &format!("bytes */{len}"));
            return r;
        }
        Some(Ranged::Whole) | None => (StatusCode::OK, Body::from(bytes)).into_response(),
    };
    insert(&mut response, header::CONTENT_TYPE, content_type);
    insert(&mut response, header::CONTENT_DISPOSITION, &disposition);
    insert(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert(
        &mut response,
        header::CONTENT_SECURITY_POLICY,
        "sandbox; default-src 'none'",
    );
    insert(&mut response, header::ACCEPT_RANGES, "bytes");
    // A link's URL never changes meaning (files are never edited): cache it until it ends.
    insert(
        &mut response,
        header::CACHE_CONTROL,
        &format!("private, max-age={}, immutable", max_age.max(0)),
    );
    // The widget shows pictures on the host page's origin.
    insert(
        &mut response,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "cross-origin",
    );
    response
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The name for clients that do not read `filename*`: ASCII, no quotes.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii() && c != '"' && c != '\\' && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect()
}

enum Ranged {
    Whole,
    One(u64, u64),
    Unsatisfiable,
}

/// One range is answered as asked; several (rare, and a way to make a server send a file
/// many times over) get the whole file, as RFC 9110 allows.
fn ranges(header: &HeaderValue, len: u64) -> Ranged {
    let Ok(text) = header.to_str() else {
        return Ranged::Whole;
    };
    let Ok(parsed) = http_range_header::parse_range_header(text) else {
        return Ranged::Whole;
    };
    match parsed.validate(len) {
        Ok(list) if list.len() == 1 => {
            let r = &list[0];
            Ranged::One(*r.start(), *r.end())
        }
        Ok(_) => Ranged::Whole,
        Err(_) => Ranged::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_old_clients_are_plain_ascii() {
        assert_eq!(
            ascii_name("relatório \"final\".pdf"),
            "relat_rio _final_.pdf"
        );
    }

    #[test]
    fn one_range_is_served_several_are_not() {
        let one = HeaderValue::from_static("bytes=2-5");
        assert!(matches!(ranges(&one, 10), Ranged::One(2, 5)));
        let tail = HeaderValue::from_static("bytes=-3");
        assert!(matches!(ranges(&tail, 10), Ranged::One(7, 9)));
        let two = HeaderValue::from_static("bytes=0-1,4-5");
        assert!(matches!(ranges(&two, 10), Ranged::Whole));
        let outside = HeaderValue::from_static("bytes=20-30");
        assert!(matches!(ranges(&outside, 10), Ranged::Unsatisfiable));
        let junk = HeaderValue::from_static("pages=1");
        assert!(matches!(ranges(&junk, 10), Ranged::Whole));
    }
}
