//! Opening and reopening the sockets of the reconnecting clients ([`crate::resilient`]):
//! the first `hello` (and for a customer `start_chat`), and the `hello` of a client coming
//! back, with its token or cookie and its resume points.

use std::net::Ipv4Addr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::wire::{self, Frame, Ws};

/// How long a reconnect's `welcome` may take.
const WELCOME: Duration = Duration::from_secs(10);
/// How long the first `assigned` may take.
const ASSIGNMENT: Duration = Duration::from_secs(30);
/// Who the client is, and what it shows the server when it comes back.
#[derive(Debug, Clone)]
pub(crate) enum Role {
    /// The token of the last `welcome` (it names the same customer again).
    Customer { token: String },
    /// The login cookie (sessions survive a server restart).
    Attendant { cookie: String },
}

/// Where to connect: the server, or the proxy in front of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dial {
    pub(crate) port: u16,
    pub(crate) source: Option<Ipv4Addr>,
}

/// Opens a new customer: hello, `start_chat`, `assigned`. Returns the socket, its token and
/// its conversation.
pub(crate) async fn new_customer(dial: Dial) -> Result<(Ws, String, String), String> {
    let mut ws = wire::connect(dial.port, "/ws/customer", dial.source, None).await?;
    let token = greet(&mut ws, None, &[]).await?.unwrap_or_default();
    ws.send(wire::start_chat())
        .await
        .map_err(|_| "closed sending start_chat".to_owned())?;
    let assigned = wire::expect(&mut ws, "assigned", ASSIGNMENT).await?;
    let conversation = Frame::parse(&assigned)
        .and_then(|f| f.conversation_id())
        .ok_or("assigned without a conversation id")?;
    Ok((ws, token, conversation))
}

/// Opens an attendant socket (its conversations arrive as `assigned` frames).
pub(crate) async fn new_attendant(dial: Dial, cookie: &str) -> Result<Ws, String> {
    let mut ws = wire::connect(dial.port, "/ws/attendant", dial.source, Some(cookie)).await?;
    greet(&mut ws, None, &[]).await?;
    Ok(ws)
}

/// `hello` (with a token and resume points) and its `welcome`; returns the new token.
async fn greet(
    ws: &mut Ws,
    token: Option<&str>,
    resume: &[(String, u64)],
) -> Result<Option<String>, String> {
    ws.send(wire::hello_resume(token, resume))
        .await
        .map_err(|_| "closed sending hello".to_owned())?;
    let welcome = wire::expect(ws, "welcome", WELCOME).await?;
    Ok(Frame::parse(&welcome).and_then(|f| f.token.map(String::from)))
}

/// Reconnects as `role` and says `hello` with `resume` (conversation, last gap-free seq)
/// points; a customer's token is replaced by the one the new `welcome` carries.
pub(crate) async fn reopen(
    role: &mut Role,
    dial: Dial,
    resume: &[(String, u64)],
) -> Result<Ws, String> {
    let (path, cookie, token) = match &*role {
        Role::Customer { token } => ("/ws/customer", None, Some(token.as_str())),
        Role::Attendant { cookie } => ("/ws/attendant", Some(cookie.as_str()), None),
    };
    let mut ws = wire::connect(dial.port, path, dial.source, cookie).await?;
    let new_token = greet(&mut ws, token, resume).await?;
    if let (Role::Customer { token }, Some(new)) = (role, new_token) {
        *token = new;
    }
    Ok(ws)
}

/// The next message of the socket, or never while there is none.
pub(crate) async fn next_message(ws: &mut Option<Ws>) -> Option<Result<Message, WsError>> {
    match ws {
        Some(ws) => ws.next().await,
        None => std::future::pending().await,
    }
}

/// Waits until `at`, or forever when no attempt is scheduled.
pub(crate) async fn wait_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
