//! A secret shown the one time the server sends it (a webhook's signing secret, a new API
//! token): read-only, with a Copy button, until the admin dismisses it. `kind` prefixes its
//! classes (`webhook-secret`, `token-secret`, …).

use leptos::html::Input;
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::env;

#[component]
pub(super) fn OneTimeSecret(
    secret: String,
    /// The field's label.
    label: &'static str,
    /// Why it must be copied now.
    warning: &'static str,
    dismiss: &'static str,
    kind: &'static str,
    #[prop(into)] on_dismiss: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
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
        <div class="ba-webhook-secret-box" role="group" aria-label=label>
            <p class="ba-webhook-secret-warning" role="alert">{warning}</p>
            <label><span>{label}</span>
                <input node_ref=field class=format!("{kind}-secret") type="text" readonly value=secret
                    spellcheck="false" autocomplete="off" on:focus=move |_| select() /></label>
            <div class="ba-webhook-actions">
                <button type="button" class=format!("{kind}-secret-copy")
                    on:click=move |_| {
                        select();
                        env::copy_to_clipboard(&text.get_value());
                        copied.set(true);
                    }>{t.copy}</button>
                <button type="button" class=format!("{kind}-secret-dismiss")
                    on:click=move |_| on_dismiss.run(())>{dismiss}</button>
                <Show when=move || copied.get()>
                    <span class="ba-ok" role="status">{t.copied}</span>
                </Show>
            </div>
        </div>
    }
}
