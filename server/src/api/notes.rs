//! Private notes on a conversation: attendants only, never sent to the customer.
//!
//! Who may read and write them: admins, every attendant the conversation is or was assigned
//! to, and the members of its queue ([`crate::access`], the rule everything else applies too).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::{
    AttendantId, AttendantPublic, ConversationId, MessageText, Note, NoteId, NoteRequest,
    ServerToAttendant,
};
use chimpassist_store::{Attendant, Conversation, StoredNote};

use super::extract::{AppJson, AppPath, CurrentAttendant};
use crate::bus::BusEvent;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::{attendant_public, now_ms};

/// The conversation, if `me` may see it (and so its notes): `404` when it does not exist,
/// `403 forbidden` when it is not theirs to see.
async fn permitted(
    state: &AppState,
    me: &Attendant,
    id: &ConversationId,
) -> AppResult<Conversation> {
    crate::access::conversation(state, me, id).await
}

/// An author whose account cannot be read (it always can: accounts are disabled, never
/// deleted) is shown by id rather than failing the whole list.
fn author(id: &AttendantId, found: Option<&Attendant>) -> AttendantPublic {
    found.map_or_else(
        || AttendantPublic {
            id: id.clone(),
            name: id.as_str().to_owned(),
            avatar_url: None,
        },
        attendant_public,
    )
}

fn view(note: StoredNote, author: AttendantPublic) -> Note {
    Note {
        id: note.id,
        conversation: note.conversation,
        author,
        text: note.text,
        created_at: note.created_at,
    }
}

/// # GET /api/conversations/{id}/notes
///
/// The conversation's notes, oldest first.
#[utoipa::path(get, path = "/api/conversations/{id}/notes", tag = "attendant",
    responses((status = 200, body = [Note])))]
pub(super) async fn list_notes(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppPath(id): AppPath<ConversationId>,
) -> AppResult<Json<Vec<Note>>> {
    permitted(&state, &me, &id).await?;
    let notes = state.store.notes(&id).await?;
    let mut authors: HashMap<AttendantId, Option<Attendant>> = HashMap::new();
    let mut out = Vec::with_capacity(notes.len());
    for note in notes {
        if !authors.contains_key(&note.author) {
            let found = state.store.get_attendant(&note.author).await?;
            authors.insert(note.author.clone(), found);
        }
        let public = author(
            &note.author,
            authors.get(&note.author).and_then(Option::as_ref),
        );
        out.push(view(note, public));
    }
    Ok(Json(out))
}

/// # POST /api/conversations/{id}/notes
///
/// Stores a note and pushes a `note` frame to the author's and, while the conversation is
/// open, its attendant's sockets. Nothing reaches the customer.
#[utoipa::path(post, path = "/api/conversations/{id}/notes", tag = "attendant",
    request_body = NoteRequest, responses((status = 201, body = Note)))]
pub(super) async fn create_note(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppPath(id): AppPath<ConversationId>,
    AppJson(body): AppJson<NoteRequest>,
) -> AppResult<(StatusCode, Json<Note>)> {
    let conversation = permitted(&state, &me, &id).await?;
    let note = StoredNote {
        id: NoteId::new(),
        conversation: id,
        author: me.id.clone(),
        text: MessageText::parse(body.text.into_string(), state.config.max_text_bytes)?,
        created_at: now_ms(),
    };
    state.store.create_note(note.clone()).await?;
    let note = view(note, attendant_public(&me));

    let mut recipients = vec![me.id.clone()];
    if let Some(holder) = conversation
        .attendant_id
        .filter(|a| conversation.status.is_open() && *a != me.id)
    {
        recipients.push(holder);
    }
    for attendant in recipients {
        let frame = ServerToAttendant::Note { note: note.clone() };
        crate::delivery::publish(&state.delivery, BusEvent::Attendant { attendant, frame }).await;
    }
    Ok((StatusCode::CREATED, Json(note)))
}
