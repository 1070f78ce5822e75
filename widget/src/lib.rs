//! The Chimp Assist customer chat, compiled to WebAssembly.
//!
//! The JS loader (`widget/js/`) draws the bubble inside a shadow root and loads this module
//! only when the visitor opens the chat (or on idle with `autoConnect`). It then calls
//! [`start`] with the element to mount into, the cleaned configuration and a bridge back to
//! itself (events for `on(…)`, the unread badge, closing the panel).
//!
//! What the visitor can count on: nothing they type is lost (pending messages are kept in
//! localStorage and resent with the same client id until acknowledged), nothing is shown
//! twice (messages are keyed by the server's sequence number), and no text is ever rendered
//! as HTML.

pub mod config;
pub mod i18n;
pub mod text;
pub mod timeline;

// Pure, natively tested; only the browser build calls them outside tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]
mod machine;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]
mod outbox;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]
mod wire;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod chat;
#[cfg(target_arch = "wasm32")]
mod env;
#[cfg(target_arch = "wasm32")]
mod identity;
#[cfg(target_arch = "wasm32")]
mod net;
#[cfg(target_arch = "wasm32")]
mod title;
#[cfg(target_arch = "wasm32")]
mod ui;

#[cfg(target_arch = "wasm32")]
pub use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;

    use crate::chat::Chat;
    use crate::config::Config;
    use crate::env::{self, Bridge};
    use crate::wire::{self, js};
    use crate::{i18n, identity, net, ui};

    const STYLE: &str = include_str!("style.css");

    /// The running widget, as the loader holds it.
    #[wasm_bindgen]
    #[derive(Debug)]
    pub struct Widget {
        chat: Chat,
    }

    /// Mounts the chat panel into `root` (inside the loader's shadow root) and connects.
    ///
    /// `config` is the loader's cleaned configuration object. `user` is a `setUser` made
    /// before the module loaded (or `null` after `resetUser`); `undefined` means "read
    /// `localStorage.userData`".
    #[wasm_bindgen]
    pub fn start(
        root: web_sys::HtmlElement,
        config: JsValue,
        bridge: js_sys::Object,
        user: JsValue,
    ) -> Widget {
        let config: &'static Config = Box::leak(Box::new(read_config(&config)));
        let texts = i18n::pick(config.locale.as_deref(), &env::browser_languages());
        let chat = Chat::new(config, texts, Bridge(bridge));

        if let Ok(style) = env::document().create_element("style") {
            style.set_text_content(Some(STYLE));
            let _ = root.append_child(&style);
        }
        let handle = leptos::mount::mount_to(root.clone(), move || ui::panel(chat));
        // The panel lives as long as the page.
        std::mem::forget(handle);

        watch_page(chat);
        let (user, reset) = if user.is_null() {
            (Some(None), true)
        } else if user.is_object() {
            (Some(js::user_claim(&user)), false)
        } else {
            (None, false)
        };
        if let Some(user) = user {
            identity::set_user(user);
        }
        chat.connect(reset, root);
        Widget { chat }
    }

    #[wasm_bindgen]
    impl Widget {
        pub fn open(&self) {
            self.chat.open.set(true);
            if self
                .chat
                .session
                .with_untracked(|s| s.conversation.is_none())
            {
                self.chat.refresh_availability();
            }
            self.chat.acknowledge();
        }

        pub fn close(&self) {
            self.chat.open.set(false);
        }

        /// `setUser({id, name, avatarURL, email?, hash?, token?})`.
        #[wasm_bindgen(js_name = setUser)]
        pub fn set_user(&self, user: JsValue) {
            match js::user_claim(&user) {
                Some(claim) => {
                    let same = self.chat.session.with_untracked(|s| {
                        s.customer.as_ref().and_then(|c| c.external_id.clone())
                    }) == claim.id;
                    if !same {
                        self.chat.set_user(Some(claim), false);
                    }
                }
                None => env::warn("setUser: expected an object like {id, name, avatarURL}"),
            }
        }

        /// Back to a guest: forgets the token, the conversation and anything pending.
        #[wasm_bindgen(js_name = resetUser)]
        pub fn reset_user(&self) {
            self.chat.set_user(None, true);
        }
    }

    /// The loader's cleaned configuration (camelCase names); absent values keep defaults.
    fn read_config(o: &JsValue) -> Config {
        let d = Config::default();
        let s = |k| wire::string(o, k);
        let n = |k, default: u32| wire::number(o, k).map_or(default, |v| v as u32);
        let b = |k, default: bool| wire::boolean(o, k).unwrap_or(default);
        Config {
            backend_endpoint: s("backendEndpoint").unwrap_or(d.backend_endpoint),
            queue_id: s("queueId"),
            title: s("title").unwrap_or(d.title),
            width: n("width", d.width),
            height: n("height", d.height),
            background_color: s("backgroundColor").unwrap_or(d.background_color),
            color: s("color").unwrap_or(d.color),
            position: s("position").unwrap_or(d.position),
            default_text: s("defaultText"),
            active_text: s("activeText"),
            preview_text: s("previewText"),
            logo: s("logo"),
            expand_animation_ms: n("expandAnimationMs", d.expand_animation_ms),
            auto_connect: b("autoConnect", d.auto_connect),
            locale: s("locale"),
            show_powered_by: b("showPoweredBy", d.show_powered_by),
            sound: b("sound", d.sound),
            pre_chat: b("preChat", d.pre_chat),
            pre_chat_fields: wire::Value::get(o, "preChatFields")
                .dyn_into::<js_sys::Array>()
                .map_or(d.pre_chat_fields, |a| {
                    a.iter().filter_map(|f| f.as_string()).collect()
                }),
        }
    }

    /// Page visibility and focus: read receipts only while the visitor can see the chat,
    /// presence for the attendant.
    fn watch_page(chat: Chat) {
        let on_change = Closure::<dyn FnMut()>::new(move || {
            chat.visible.set(env::page_visible());
            chat.presence_changed();
        });
        let f = on_change.as_ref().unchecked_ref();
        let doc = env::document();
        let win = env::window();
        let _ = doc.add_event_listener_with_callback("visibilitychange", f);
        let _ = win.add_event_listener_with_callback("focus", f);
        let _ = win.add_event_listener_with_callback("blur", f);
        on_change.forget();
        let on_online = Closure::<dyn FnMut()>::new(move || {
            if chat.conn.get_untracked() != crate::chat::Conn::Online {
                net::reconnect_now();
            }
        });
        let _ = win.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget();
        // Read receipts and the title notice follow the panel being open.
        Effect::new(move |_| {
            if chat.open.get() && chat.visible.get() {
                chat.acknowledge();
            }
        });
    }
}
