//! Opening client sockets on either target, up to the point where they can chat: the two
//! systems differ only here (paths, auth, how a conversation comes to exist).

use std::net::Ipv4Addr;
use std::time::Duration;

use futures_util::SinkExt;

use crate::cli::Kind;
use crate::wire::{self, Frame, Ws};

/// How long a `welcome` may take.
const WELCOME: Duration = Duration::from_secs(30);
/// How long a new conversation may wait for its attendant.
const ASSIGNMENT: Duration = Duration::from_secs(30);

/// A customer socket that said hello; with `chat`, also one with an assigned conversation
/// (server: `start_chat` then the `assigned` frame; relay: pair `k` is the conversation).
/// Returns the socket and its conversation id (empty without `chat` on the server).
pub(crate) async fn customer(
    kind: Kind,
    port: u16,
    k: usize,
    source: Option<Ipv4Addr>,
    chat: bool,
) -> Result<(Ws, String), String> {
    let path = match kind {
        Kind::Chimp => "/ws/customer".to_owned(),
        Kind::Relay => format!("/ws?role=customer&pair={k}"),
    };
    let mut ws = wire::connect(port, &path, source, None).await?;
    greet(&mut ws).await?;
    if kind == Kind::Relay {
        return Ok((ws, k.to_string()));
    }
    if !chat {
        return Ok((ws, String::new()));
    }
    ws.send(wire::start_chat())
        .await
        .map_err(|_| "closed sending start_chat".to_owned())?;
    let assigned = wire::expect(&mut ws, "assigned", ASSIGNMENT).await?;
    let conversation = Frame::parse(&assigned)
        .and_then(|f| f.conversation_id())
        .ok_or("assigned without a conversation id")?;
    Ok((ws, conversation))
}

/// An attendant socket that said hello. Server: authenticated by `cookie`; its
/// conversations arrive later as `assigned` frames. Relay: holds `pairs` from the start.
pub(crate) async fn attendant(
    kind: Kind,
    port: u16,
    cookie: Option<&str>,
    pairs: &[usize],
    source: Option<Ipv4Addr>,
) -> Result<Ws, String> {
    let path = match kind {
        Kind::Chimp => "/ws/attendant".to_owned(),
        Kind::Relay => {
            let list: Vec<String> = pairs.iter().map(usize::to_string).collect();
            format!("/ws?role=attendant&pair={}", list.join(","))
        }
    };
    let mut ws = wire::connect(port, &path, source, cookie).await?;
    // As the back-office does: state frames arrive in batches.
    ws.send(wire::hello_batch())
        .await
        .map_err(|_| "closed sending hello".to_owned())?;
    wire::expect(&mut ws, "welcome", WELCOME).await?;
    Ok(ws)
}

/// The pairs relay attendant `j` of `attendants` holds: every `attendants`-th customer.
pub(crate) fn relay_pairs(j: usize, attendants: usize, customers: usize) -> Vec<usize> {
    (j..customers).step_by(attendants.max(1)).collect()
}

async fn greet(ws: &mut Ws) -> Result<(), String> {
    ws.send(wire::hello())
        .await
        .map_err(|_| "closed sending hello".to_owned())?;
    wire::expect(ws, "welcome", WELCOME).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_pairs_cover_every_customer_once() {
        let mut all: Vec<usize> = (0..3).flat_map(|j| relay_pairs(j, 3, 10)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(relay_pairs(1, 3, 10), vec![1, 4, 7]);
    }
}
