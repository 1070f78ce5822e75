//! The live desk in the browser: it holds the one [`Desk`], feeds it the socket's frames and
//! the attendant's commands, carries out the [`Effect`]s it returns (frames, notifications,
//! toasts, REST reads, timers), and mirrors it into the signals the views read
//! ([`Board::sync`](crate::board::Board::sync)). It also owns the session's transitions
//! (signed in, signed out, ended, password change), because they start and stop the socket.
//!
//! How a close is handled ([`AfterClose`]): an ended session goes back to sign-in at once,
//! saying so; a change of role or queues reads `/api/me` again and reconnects at once,
//! keeping what is on screen; anything else reconnects with backoff.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantToServer, AttendantView, ClientMessageId, ConversationId, ConversationView, FileInfo,
    MessageText, Note, PROTOCOL_VERSION, ServerToAttendant, TypingState,
};
use leptos::prelude::*;

use crate::ctx::{Ctx, Page, go, page_from_hash};
use crate::desk::{Alert, Command, Desk, Effect, Env, Toast};
use crate::i18n::fill;
use crate::session::AfterClose;
use crate::socket::{self, Event};
use crate::{api, env};

const HEARTBEAT: Duration = Duration::from_secs(10);
/// The widget repeats `composing` every few seconds while typing; silence for longer than
/// this means it stopped without saying so.
const TYPING_SILENCE: Duration = Duration::from_secs(7);

thread_local! {
    static DESK: RefCell<Desk> = RefCell::new(Desk::default());
    /// The app's context, for the code outside components that needs it (a REST answer).
    static CURRENT: Cell<Option<Ctx>> = const { Cell::new(None) };
}

/// Called once at start: the heartbeat (which also ticks the clock the lists show) and the
/// REST layer's "password change required" answer.
pub(crate) fn install(ctx: Ctx) {
    CURRENT.set(Some(ctx));
    api::on_password_change_required(|| {
        if let Some(ctx) = CURRENT.get() {
            password_change_required(ctx);
        }
    });
    let handle = set_interval_with_handle(
        move || {
            socket::send(&AttendantToServer::Heartbeat);
            ctx.desk.now.set(env::now_ms());
        },
        HEARTBEAT,
    );
    std::mem::forget(handle);
}

/// Runs one step of the reducer and carries out its effects. The desk is not borrowed while
/// effects run, so an effect may lead to another step.
fn step(ctx: Ctx, f: impl FnOnce(&mut Desk, &Env<'_>) -> Vec<Effect>) {
    let me = ctx.me.get_untracked();
    let env = Env {
        now: env::now_ms(),
        hidden: env::hidden(),
        online: socket::is_open(),
        me: me.as_ref(),
    };
    let effects = DESK.with_borrow_mut(|desk| {
        let effects = f(desk, &env);
        ctx.desk.sync(desk);
        effects
    });
    for e in effects {
        apply(ctx, e);
    }
}

/// An attendant's command.
pub(crate) fn command(ctx: Ctx, command: Command) {
    step(ctx, |d, env| d.on_command(command, env));
}

pub(crate) fn select(ctx: Ctx, id: ConversationId) {
    command(ctx, Command::Select(id));
}

/// Opens a conversation that may not be in our lists (a search hit, a previous one).
pub(crate) fn open(ctx: Ctx, view: ConversationView) {
    command(ctx, Command::Open(view));
}

pub(crate) fn send_message(
    ctx: Ctx,
    conversation: ConversationId,
    text: MessageText,
    attachments: Vec<FileInfo>,
) {
    let client_id = ClientMessageId::new();
    command(
        ctx,
        Command::Send {
            conversation,
            client_id,
            text,
            attachments,
        },
    );
}

pub(crate) fn typing(ctx: Ctx, conversation: ConversationId, state: TypingState) {
    command(
        ctx,
        Command::Typing {
            conversation,
            state,
        },
    );
}

/// Posts a private note; it appears when the server confirms it.
pub(crate) fn post_note(ctx: Ctx, id: ConversationId, text: String) {
    leptos::task::spawn_local(async move {
        let body = serde_json::json!({ "text": text });
        match api::send::<_, Note>("POST", &format!("/api/conversations/{id}/notes"), &body).await {
            Ok(n) => command(ctx, Command::Notes(vec![n])),
            Err(e) => ctx.toast(e.message),
        }
    });
}

fn apply(ctx: Ctx, effect: Effect) {
    let t = &ctx.t().desk;
    match effect {
        Effect::Send(frame) => {
            socket::send(&frame);
        }
        Effect::Alert(Alert::NewAssignment { customer }) => {
            env::alert(&fill(t.new_assignment, &customer), "");
        }
        Effect::Alert(Alert::NewMessage { from, preview }) => {
            env::alert(&fill(t.new_message, &from), &preview);
        }
        Effect::Toast(Toast::Server(message)) => ctx.toast(message),
        Effect::Toast(Toast::Withdrawn { customer }) => ctx.toast(fill(t.withdrawn, customer)),
        Effect::Refresh(id) => refresh(ctx, id),
        Effect::FetchNotes(id) => leptos::task::spawn_local(async move {
            if let Ok(list) = api::get::<Vec<Note>>(&format!("/api/conversations/{id}/notes")).await
            {
                command(ctx, Command::Notes(list));
            }
        }),
        Effect::ExpireTyping(id) => {
            set_timeout(
                move || command(ctx, Command::TypingExpired(id)),
                TYPING_SILENCE,
            );
        }
        Effect::Me(me) => ctx.me.set(Some(me)),
        Effect::Welcomed => socket::welcomed(),
        Effect::Visit { customer, visit } => ctx.visit.set(Some((customer, *visit))),
        Effect::Attributes {
            customer,
            attributes,
        } => ctx.attributes.set(Some((customer, attributes))),
        Effect::ShowDesk => {
            if ctx.page.get_untracked() != Page::Desk {
                go(Page::Desk);
            }
        }
    }
}

/// Re-reads one conversation's state (after it left us while we were disconnected).
fn refresh(ctx: Ctx, id: ConversationId) {
    leptos::task::spawn_local(async move {
        match api::get::<ConversationView>(&format!("/api/conversations/{id}")).await {
            Ok(view) => command(ctx, Command::Refreshed(view)),
            // Moved out of what we may see (another queue, never ours).
            Err(e) if e.status == 403 || e.status == 404 => command(ctx, Command::Gone(id)),
            Err(_) => {}
        }
    });
}

fn on_socket(ctx: Ctx, event: Event) {
    match event {
        Event::Connecting => command(ctx, Command::Connecting),
        Event::Open => {
            let resume = DESK.with_borrow(Desk::resume_points);
            socket::send(&AttendantToServer::Hello {
                protocol: PROTOCOL_VERSION,
                resume,
                batch: true,
            });
        }
        Event::Frame(frame) => on_frame(ctx, *frame),
        Event::Closed { code, welcomed } => match AfterClose::of(code, welcomed) {
            AfterClose::SignIn => session_ended(ctx),
            AfterClose::Rejoin => rejoin(ctx),
            AfterClose::Retry => {
                command(ctx, Command::Lost);
                // A refused upgrade (the login expired or was revoked) looks like any other
                // lost connection to the browser: ask the server whether we are still
                // signed in, and whether a password change comes first.
                leptos::task::spawn_local(async move {
                    match api::get::<AttendantView>("/api/me").await {
                        Err(e) if e.is_unauthenticated() => session_ended(ctx),
                        Ok(me) if me.must_change_password => password_change_required(ctx),
                        _ => socket::schedule_reconnect(),
                    }
                });
            }
        },
    }
}

fn on_frame(ctx: Ctx, frame: ServerToAttendant) {
    step(ctx, |d, env| d.on_frame(frame, env));
}

/// The role or queues changed: the session is still good, so no banner and no wait. The
/// new rights are read first (the admin menu follows the role), then the socket reconnects;
/// the lists and the messages not yet acknowledged stay, and the `welcome` sorts out which
/// conversations may still be shown.
fn rejoin(ctx: Ctx) {
    socket::count_attempt();
    command(ctx, Command::Connecting);
    leptos::task::spawn_local(async move {
        match api::get::<AttendantView>("/api/me").await {
            Err(e) if e.is_unauthenticated() => session_ended(ctx),
            Ok(me) if me.must_change_password => password_change_required(ctx),
            Ok(me) => {
                ctx.me.set(Some(me));
                socket::reconnect_now();
            }
            // The server is not answering: the welcome brings `me` once it does.
            Err(_) => socket::reconnect_now(),
        }
    });
}

/// After login (or at start with a valid cookie).
pub(crate) fn signed_in(ctx: Ctx, me: AttendantView) {
    let forced = me.must_change_password;
    ctx.session_ended.set(false);
    ctx.me.set(Some(me));
    if forced {
        ctx.page.set(Page::ChangePassword { forced: true });
    } else {
        ctx.page.set(page_from_hash());
        socket::start(Rc::new(move |event| on_socket(ctx, event)));
        ctx.reload_canned();
    }
}

/// The login is gone (logout, expiry, revoked): back to the login page, state dropped.
pub(crate) fn signed_out(ctx: Ctx) {
    socket::stop();
    ctx.me.set(None);
    command(ctx, Command::SignedOut);
    ctx.page.set(Page::Login);
}

/// The session ended without the attendant logging out here (logged out elsewhere, the
/// password changed or reset, the account disabled, expired): signed out, and the sign-in
/// page says why.
pub(crate) fn session_ended(ctx: Ctx) {
    ctx.session_ended.set(true);
    signed_out(ctx);
}

/// The account must change its password before anything else (the server answered
/// `password_change_required`): the live connection stops until it is changed.
pub(crate) fn password_change_required(ctx: Ctx) {
    if matches!(
        ctx.page.get_untracked(),
        Page::ChangePassword { forced: true } | Page::Login | Page::Loading
    ) {
        return;
    }
    socket::stop();
    ctx.me.update(|me| {
        if let Some(me) = me {
            me.must_change_password = true;
        }
    });
    ctx.page.set(Page::ChangePassword { forced: true });
}
