//! Private notes: attendant-only remarks on a conversation, drawn among the messages in
//! time order but visibly different. They are never sent to the customer (the server keeps
//! them apart from messages).

use chimpassist_protocol::{ConversationId, Note};
use leptos::prelude::*;

use crate::api;
use crate::app::Ctx;

fn add(ctx: Ctx, note: Note) {
    ctx.notes.update(|all| {
        let list = all.entry(note.conversation).or_default();
        if !list.iter().any(|n| n.id == note.id) {
            list.push(note);
            list.sort_by_key(|n| n.created_at);
        }
    });
}

/// A note pushed over the socket.
pub(crate) fn received(ctx: Ctx, note: Note) {
    add(ctx, note);
}

/// The notes of a conversation, oldest first (tracked).
pub(crate) fn of(ctx: Ctx, id: ConversationId) -> Vec<Note> {
    ctx.notes
        .with(|all| all.get(&id).cloned().unwrap_or_default())
}

/// Fetches a conversation's notes once.
pub(crate) fn load(ctx: Ctx, id: ConversationId) {
    if ctx.notes.with_untracked(|all| all.contains_key(&id)) {
        return;
    }
    ctx.notes.update(|all| {
        all.insert(id, Vec::new());
    });
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::get::<Vec<Note>>(&format!("/api/conversations/{id}/notes")).await {
            for n in list {
                add(ctx, n);
            }
        }
    });
}

/// Posts a note; it appears when the server confirms it.
pub(crate) fn post(ctx: Ctx, id: ConversationId, text: String) {
    leptos::task::spawn_local(async move {
        let body = serde_json::json!({ "text": text });
        match api::send::<_, Note>("POST", &format!("/api/conversations/{id}/notes"), &body).await {
            Ok(n) => add(ctx, n),
            Err(e) => ctx.toast(e.message),
        }
    });
}
