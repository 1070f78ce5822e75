//! Who the visitor is: the host site's user claim (`setUser`, `localStorage.userData`) and
//! the customer token a `welcome` gave this browser for that user.

use std::cell::RefCell;

use chimpassist_protocol::{CustomerToServer, PROTOCOL_VERSION, ResumePoint, UserClaim};
use wasm_bindgen::JsValue;

use crate::config::Config;
use crate::env;
use crate::wire::{Json, js, string};

thread_local! {
    /// Set by `setUser`; `None` means "read `localStorage.userData`".
    static USER: RefCell<Option<Option<UserClaim>>> = const { RefCell::new(None) };
}

pub(crate) fn set_user(user: Option<UserClaim>) {
    USER.set(Some(user));
}

/// The claim to present: the one set through the JS API, else the host page's.
fn user() -> Option<UserClaim> {
    USER.with_borrow(Clone::clone).unwrap_or_else(user_data)
}

/// `localStorage.userData` as the host page left it (seed 000's shape).
fn user_data() -> Option<UserClaim> {
    let raw = env::load("userData")?;
    let claim = js::parse(&raw).and_then(|o| js::user_claim(&o));
    if claim.is_none() {
        env::warn("localStorage.userData is not a JSON object; chatting as a guest");
    }
    claim
}

/// Called on `welcome`: keep the (possibly new) token, with the host-site id it was
/// issued for.
pub(crate) fn keep_token(config: &Config, token: &str) {
    let user = user().and_then(|u| u.id);
    let saved = Json::<JsValue>::new()
        .s("token", token)
        .opt("user", user.as_deref());
    env::save(&config.storage_key("token"), &js::stringify(&saved.value()));
}

pub(crate) fn forget_token(config: &Config) {
    env::remove(&config.storage_key("token"));
}

/// The first frame on every socket.
pub(crate) fn hello(config: &Config, resume: Vec<ResumePoint>) -> CustomerToServer {
    let user = user();
    let saved = env::load(&config.storage_key("token")).and_then(|raw| js::parse(&raw));
    // A token belongs to the site user it was issued for: another `userData.id` must not
    // inherit the previous visitor's conversations.
    let token = saved
        .filter(|s| string(s, "user") == user.as_ref().and_then(|u| u.id.clone()))
        .and_then(|s| string(&s, "token"));
    CustomerToServer::Hello {
        protocol: PROTOCOL_VERSION,
        token,
        user,
        resume,
    }
}
