//! The two REST calls the widget makes: is anyone serving the queue, and "call me back".

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::config::Config;
use crate::env;
use crate::i18n::Texts;
use crate::wire::{Json, Value, js, number, string};

async fn fetch_text(request: web_sys::Request) -> Result<(u16, String), ()> {
    let response: web_sys::Response = JsFuture::from(env::window().fetch_with_request(&request))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let text = JsFuture::from(response.text().map_err(|_| ())?)
        .await
        .map_err(|_| ())?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// Asks the public stats route whether anyone serves the queue; `None` when unknown.
pub(crate) async fn queue_has_attendants(config: &Config) -> Option<bool> {
    let queue = config.queue_id.as_deref().unwrap_or("default");
    let url = config.api_url(&format!(
        "/api/stats/{}",
        js_sys::encode_uri_component(queue)
    ));
    let request = web_sys::Request::new_with_str(&url).ok()?;
    let (status, body) = fetch_text(request).await.ok()?;
    if status != 200 {
        return None;
    }
    let o = js::parse(&body)?.get("observations");
    let n = |k| number(&o, k).unwrap_or(0.0);
    o.is_object()
        .then(|| n("availableAgents") + n("busyAgents") > 0.0)
}

/// `POST /api/callback`; on failure, the server's message or the visitor's own-language
/// "something went wrong" (the request could not even be made or sent).
pub(crate) async fn request_callback(
    config: &Config,
    t: &Texts,
    body: &chimpassist_protocol::rest::CallbackRequest,
) -> Result<(), String> {
    let failed = || t.error.to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let json = Json::<JsValue>::new()
        .s("name", &body.name)
        .opt("phone", body.phone.as_deref())
        .opt("email", body.email.as_deref())
        .opt("preferred_time", body.preferred_time.as_deref())
        .opt("queue", body.queue.as_ref().map(|q| q.as_str()))
        .opt("note", body.note.as_deref());
    init.set_body(&JsValue::from_str(&js::stringify(&json.value())));
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&config.api_url("/api/callback"), &init)
        .map_err(|_| failed())?;
    match fetch_text(request).await {
        Ok((status, _)) if (200..300).contains(&status) => Ok(()),
        Ok((_, body)) => Err(js::parse(&body)
            .and_then(|e| string(&e, "message"))
            .unwrap_or(body)),
        Err(()) => Err(failed()),
    }
}
