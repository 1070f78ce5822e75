//! A signing secret, shown the one time the server sends it (a new endpoint, a rotation):
//! read-only, with a Copy button, until the admin dismisses it.

use leptos::html::Input;
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::env;

#[component]
pub(super) fn OneTimeSecret(
    secret: String,
    #[prop(into)] on_dismiss: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    let field = NodeRef::<Input>::new();
    let copied = RwSignal::new(false);
    let text = StoredValue::new(secret.clone());
    // Selected too, so that Ctrl+C works where the clipboard API is refused.
    let select = move || {
        if let Some(input) = field.get_untracked() {
            input.select();
        }
    };
    view! {
        <div class="ba-webhook-secret-box" role="group" aria-label=w.secret>
            <p class="ba-webhook-secret-warning" role="alert">{w.secret_once}</p>
            <label><span>{w.secret}</span>
                <input node_ref=field class="webhook-secret" type="text" readonly value=secret
                    spellcheck="false" autocomplete="off" on:focus=move |_| select() /></label>
            <div class="ba-webhook-actions">
                <button type="button" class="webhook-secret-copy"
                    on:click=move |_| {
                        select();
                        env::copy_to_clipboard(&text.get_value());
                        copied.set(true);
                    }>{t.copy}</button>
                <button type="button" class="webhook-secret-dismiss"
                    on:click=move |_| on_dismiss.run(())>{w.secret_dismiss}</button>
                <Show when=move || copied.get()>
                    <span class="ba-ok" role="status">{t.copied}</span>
                </Show>
            </div>
        </div>
    }
}
