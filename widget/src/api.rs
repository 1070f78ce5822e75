//! The two REST calls the widget makes: is anyone serving the queue, and "call me back".

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::config::Config;
use crate::i18n::Texts;
use crate::wire::{Json, Value, js, number, string};

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/page.js")]
extern "C" {
    /// `fetch` in plain JS (`widget/js/page.js`): fewer bytes than the web-sys request,
    /// headers and response bindings. Resolves to `[status, text]`, `[0, ""]` on failure.
    #[wasm_bindgen(js_name = fetchText)]
    fn fetch_js(url: &str, body: Option<String>) -> js_sys::Promise;
}

/// GET `url` (or POST `body` as JSON): the status and the body; `None` when the request could
/// not be made.
async fn fetch_text(url: &str, body: Option<String>) -> Option<(u16, String)> {
    let answer = JsFuture::from(fetch_js(url, body)).await.ok()?;
    let status = js_sys::Reflect::get_u32(&answer, 0).ok()?.as_f64()? as u16;
    let text = js_sys::Reflect::get_u32(&answer, 1).ok()?.as_string()?;
    (status != 0).then_some((status, text))
}

/// Asks the public stats route whether anyone serves the queue now (someone online, within
/// its business hours), and when it opens if it is closed (ms); `None` when unknown.
pub(crate) async fn queue_has_attendants(config: &Config) -> Option<(bool, Option<f64>)> {
    let queue = config.queue_id.as_deref().unwrap_or("default");
    let url = config.api_url(&format!(
        "/api/stats/{}",
        js_sys::encode_uri_component(queue)
    ));
    let (status, body) = fetch_text(&url, None).await?;
    if status != 200 {
        return None;
    }
    let stats = js::parse(&body)?;
    let o = stats.get("observations");
    let n = |k| number(&o, k).unwrap_or(0.0);
    let open = stats.get("open").as_bool() != Some(false);
    let opens_at = number(&stats, "opens_at").filter(|_| !open);
    o.is_object().then(|| {
        (
            open && n("availableAgents") + n("busyAgents") > 0.0,
            opens_at,
        )
    })
}

/// `POST /api/callback`; on failure, the server's message or the visitor's own-language
/// "something went wrong" (the request could not even be made or sent).
pub(crate) async fn request_callback(
    config: &Config,
    t: &Texts,
    body: &chimpassist_protocol::rest::CallbackRequest,
) -> Result<(), String> {
    let failed = || t.error.to_owned();
    let json = Json::<JsValue>::new()
        .s("name", &body.name)
        .opt("phone", body.phone.as_deref())
        .opt("email", body.email.as_deref())
        .opt("preferred_time", body.preferred_time.as_deref())
        .opt("queue", body.queue.as_ref().map(|q| q.as_str()))
        .opt("note", body.note.as_deref());
    let sent = fetch_text(
        &config.api_url("/api/callback"),
        Some(js::stringify(&json.value())),
    )
    .await;
    match sent {
        Some((status, _)) if (200..300).contains(&status) => Ok(()),
        Some((_, body)) => Err(js::parse(&body)
            .and_then(|e| string(&e, "message"))
            .unwrap_or(body)),
        None => Err(failed()),
    }
}
