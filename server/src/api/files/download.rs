//! `GET /api/files/{id}`: a signed link (or an attendant's session) checked, the bytes
//! served with the headers that keep them from running as a page.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::{ErrorCode, FileId, TimestampMs};
use chimpassist_store::{FilePart, FileRecord};
use serde::Deserialize;

use crate::api::extract::{AppPath, AppQuery};
use crate::attachments::LinkError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

/// A link's query (see `attachments::links`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(in crate::api) struct LinkQuery {
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
pub(in crate::api) async fn download(
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
