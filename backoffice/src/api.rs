//! REST calls to our own server: same origin, so the HttpOnly login cookie goes along and
//! nothing secret is handled by this code. Errors come back as the server's `{code, message}`.
//!
//! Whatever the call, `403 password_change_required` (the account must pick its own password
//! first) sends the attendant to the password change instead of showing it as an error: the
//! hook set by [`on_password_change_required`] does that, so this module, which every other
//! one uses, imports none of them back.

use chimpassist_protocol::{ErrorBody, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

use crate::env::window;

thread_local! {
    static PASSWORD_CHANGE: std::cell::Cell<Option<fn()>> = const { std::cell::Cell::new(None) };
}

/// What to do when any call answers `password_change_required`.
pub(crate) fn on_password_change_required(hook: fn()) {
    PASSWORD_CHANGE.set(Some(hook));
}

/// Why a call failed, in words a person can read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    /// 0 when the server could not be reached.
    pub status: u16,
    pub code: Option<ErrorCode>,
    pub message: String,
    /// Seconds to wait before trying again (`rate_limited`, some `unavailable`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn network(e: JsValue) -> Self {
        ApiError {
            status: 0,
            code: None,
            retry_after: None,
            message: e
                .as_string()
                .unwrap_or_else(|| "the server cannot be reached".into()),
        }
    }

    pub(crate) fn is_unauthenticated(&self) -> bool {
        self.status == 401
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

async fn call(method: &str, path: &str, body: Option<String>) -> ApiResult<Response> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(ApiError::network)?;
    let headers = request.headers();
    let _ = headers.set("accept", "application/json");
    if body.is_some() {
        let _ = headers.set("content-type", "application/json");
    }
    let response: Response = JsFuture::from(window().fetch_with_request(&request))
        .await
        .map_err(ApiError::network)?
        .unchecked_into();
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let header_wait = response
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = text_of(&response).await.unwrap_or_default();
    let error = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(b) => ApiError {
            status,
            code: Some(b.code),
            message: b.message,
            retry_after: b.retry_after_seconds.or(header_wait),
        },
        Err(_) => ApiError {
            status,
            code: None,
            message: format!("the server answered {status}"),
            retry_after: header_wait,
        },
    };
    if error.code == Some(ErrorCode::PasswordChangeRequired)
        && let Some(hook) = PASSWORD_CHANGE.get()
    {
        hook();
    }
    Err(error)
}

async fn text_of(response: &Response) -> ApiResult<String> {
    let promise = response.text().map_err(ApiError::network)?;
    Ok(JsFuture::from(promise)
        .await
        .map_err(ApiError::network)?
        .as_string()
        .unwrap_or_default())
}

async fn json<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    let text = text_of(&response).await?;
    serde_json::from_str(&text).map_err(|e| ApiError {
        status: response.status(),
        code: None,
        retry_after: None,
        message: format!("unexpected answer from the server: {e}"),
    })
}

pub(crate) async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    json(call("GET", path, None).await?).await
}

pub(crate) async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> ApiResult<T> {
    let body = serde_json::to_string(body).unwrap_or_default();
    json(call(method, path, Some(body)).await?).await
}

/// A call whose answer has no body (204).
pub(crate) async fn send_empty<B: Serialize>(method: &str, path: &str, body: &B) -> ApiResult<()> {
    let body = serde_json::to_string(body).unwrap_or_default();
    call(method, path, Some(body)).await.map(drop)
}

pub(crate) async fn delete(path: &str) -> ApiResult<()> {
    call("DELETE", path, None).await.map(drop)
}

/// Percent-encodes one query or path component.
pub(crate) fn enc(raw: &str) -> String {
    js_sys::encode_uri_component(raw).into()
}
