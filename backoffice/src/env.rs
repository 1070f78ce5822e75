//! Small wrappers over the browser: time, the document, notifications and the chime.

use wasm_bindgen::JsCast;

pub(crate) fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

pub(crate) fn document() -> web_sys::Document {
    window().document().expect("a document")
}

pub(crate) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Minutes east of UTC, for formatting times in the attendant's zone.
pub(crate) fn tz_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Minutes east of UTC at the instant `ts`: a period's midnights each take the offset of
/// their own day (a daylight saving change may fall inside the period).
pub(crate) fn tz_offset_at(ts: i64) -> i32 {
    -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64)).get_timezone_offset() as i32)
}

/// The browser's IANA time zone (`America/Sao_Paulo`), which reports are bucketed in;
/// `UTC` if the browser does not say.
pub(crate) fn time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|z| !z.is_empty())
        .unwrap_or_else(|| "UTC".to_owned())
}

pub(crate) fn browser_languages() -> Vec<String> {
    let nav = window().navigator();
    let mut out: Vec<String> = nav
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if let Some(l) = nav.language() {
        out.push(l);
    }
    out
}

pub(crate) fn hidden() -> bool {
    document().hidden()
}

pub(crate) fn set_title(title: &str) {
    document().set_title(title);
}

/// Points the page's icon at `href` (the `FAV_ICON_URL` setting).
pub(crate) fn set_favicon(href: &str) {
    let doc = document();
    let link = doc
        .query_selector("link[rel=icon]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlLinkElement>().ok())
        .or_else(|| {
            let l = doc
                .create_element("link")
                .ok()?
                .dyn_into::<web_sys::HtmlLinkElement>()
                .ok()?;
            l.set_rel("icon");
            doc.head()?.append_child(&l).ok()?;
            Some(l)
        });
    if let Some(link) = link {
        link.set_href(href);
    }
}

pub(crate) fn set_lang(tag: &str) {
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("lang", tag);
    }
}

/// Whether desktop notifications may be shown.
pub(crate) fn notifications_granted() -> bool {
    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
}

pub(crate) fn notifications_undecided() -> bool {
    web_sys::Notification::permission() == web_sys::NotificationPermission::Default
}

pub(crate) fn ask_notifications() {
    // The answer needs no handling: `notifications_granted` reads it when it matters.
    if let Ok(p) = web_sys::Notification::request_permission() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        });
    }
}

/// A desktop notification (when permitted) and a short chime. Only called while the tab is
/// hidden: a visible tab already shows what happened.
pub(crate) fn alert(title: &str, body: &str) {
    if notifications_granted() {
        let opts = web_sys::NotificationOptions::new();
        opts.set_body(body);
        opts.set_tag("chimpassist");
        let _ = web_sys::Notification::new_with_options(title, &opts);
    }
    chime();
}

fn chime() {
    let Ok(ctx) = web_sys::AudioContext::new() else {
        return;
    };
    let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
        return;
    };
    let t = ctx.current_time();
    osc.frequency().set_value(880.0);
    gain.gain().set_value(0.08);
    let _ = gain
        .gain()
        .exponential_ramp_to_value_at_time(0.0001, t + 0.35);
    let _ = osc.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&ctx.destination());
    let _ = osc.start();
    let _ = osc.stop_with_when(t + 0.4);
}

pub(crate) fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

pub(crate) fn origin() -> String {
    window().location().origin().unwrap_or_default()
}
