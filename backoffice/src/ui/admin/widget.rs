//! The widget snippet for this server: the script tag (and the npm usage) an operator
//! pastes into their site, built from this page's origin, with a title, queue and language
//! picked here. Shown as text, copied with one click.

use chimpassist_protocol::rest::QueueView;
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::{api, env};

/// A JavaScript string literal, safe inside an inline `<script>` (no `</script>` possible).
fn js_string(raw: &str) -> String {
    serde_json::to_string(raw)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// The configuration object's members, in docs/widget.md's names.
fn config(title: &str, queue: &str, locale: &str) -> String {
    let mut out = format!("title: {}, queueId: {}", js_string(title), js_string(queue));
    if !locale.is_empty() {
        out.push_str(&format!(", locale: {}", js_string(locale)));
    }
    out
}

fn script_tag(origin: &str, title: &str, queue: &str, locale: &str) -> String {
    format!(
        "<script>\n  window.ChimpAssistConfig = {{ {} }};\n</script>\n<script src=\"{origin}/widget.js\" async></script>",
        config(title, queue, locale)
    )
}

fn npm_usage(origin: &str, title: &str, queue: &str, locale: &str) -> String {
    format!(
        "npm install chimpassist-widget\n\nimport {{ mount }} from \"chimpassist-widget\";\nconst chat = mount({{ backendEndpoint: {}, {} }});",
        js_string(origin),
        config(title, queue, locale)
    )
}

#[component]
pub(super) fn Widget() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let origin = StoredValue::new(env::origin());
    let title = RwSignal::new(t.widget_default_title.to_owned());
    let queue = RwSignal::new("default".to_owned());
    let locale = RwSignal::new(String::new());
    let queues = LocalResource::new(|| api::get::<Vec<QueueView>>("/api/queues"));
    let tag = Signal::derive(move || {
        origin.with_value(|o| script_tag(o, &title.get(), &queue.get(), &locale.get()))
    });
    let npm = Signal::derive(move || {
        origin.with_value(|o| npm_usage(o, &title.get(), &queue.get(), &locale.get()))
    });
    let queue_options = move || {
        let mut list = queues.get().and_then(Result::ok).unwrap_or_default();
        if list.is_empty() {
            list.push(QueueView {
                id: chimpassist_protocol::QueueId::default_queue(),
                name: "default".into(),
                mode: Default::default(),
                skill: None,
                greeting: None,
                away_message: None,
                calls: Default::default(),
                bot: None,
                hours: None,
            });
        }
        list.into_iter()
            .map(|q| {
                let id = q.id.to_string();
                let selected = id == queue.get_untracked();
                view! { <option value=id selected=selected>{format!("{} ({})", q.name, q.id)}</option> }
            })
            .collect_view()
    };
    view! {
        <section class="ba-admin-section ba-admin-widget" aria-label=t.widget>
            <h2>{t.widget}</h2>
            <div class="ba-fields">
                <label><span>{t.widget_title}</span>
                    <input name="title" type="text" prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev)) /></label>
                <label><span>{t.widget_queue}</span>
                    <select name="queue" on:change=move |ev| queue.set(event_target_value(&ev))>{queue_options}</select></label>
                <label><span>{t.widget_locale}</span>
                    <select name="locale" on:change=move |ev| locale.set(event_target_value(&ev))>
                        <option value="" selected>{t.locale_browser}</option>
                        <option value="en">"English (en)"</option>
                        <option value="pt-BR">"Português (pt-BR)"</option>
                    </select></label>
            </div>
            <h3>{t.script_tag}</h3>
            <p class="ba-hint">{t.widget_intro}</p>
            <Snippet class="ba-snippet" text=tag />
            <p class="ba-hint">{t.data_attributes}</p>
            <h3>{t.npm}</h3>
            <Snippet class="ba-snippet-npm" text=npm />
            <p class="ba-hint">{t.npm_hint}</p>
            <p><a class="ba-demo-link" href="/demo" target="_blank" rel="noopener">{t.demo}</a></p>
        </section>
    }
}

/// A block of code shown as text, with a Copy button.
#[component]
fn Snippet(class: &'static str, text: Signal<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let copied = RwSignal::new(false);
    Effect::new(move |_| {
        text.track();
        copied.set(false);
    });
    view! {
        <div class="ba-snippet-box">
            <pre class=class><code>{move || text.get()}</code></pre>
            <button type="button" class="ba-snippet-copy"
                on:click=move |_| { env::copy_to_clipboard(&text.get_untracked()); copied.set(true) }>
                {t.copy}
            </button>
            <Show when=move || copied.get()>
                <span class="ba-ok" role="status">{t.copied}</span>
            </Show>
        </div>
    }
}
