//! `chimpassist-relay`: the capacity benchmark's baseline.
//!
//! A bare tokio-tungstenite WebSocket relay speaking the shape of the Chimp Assist protocol
//! with none of its work: no persistence (no fsync), no coordinator, no auth, no rate limit.
//! Clients connect to `/ws?role=customer|attendant&pair=K`; customer K and attendant K are
//! partners. `hello` gets `welcome`; `send` gets a per-pair seq, an `ack` to the sender and a
//! `message` to the partner; `receipt` and `typing` are forwarded as they are. Whatever it
//! reaches for the same traffic is what this machine can physically do, so the load
//! generator reports the server's numbers as ratios of the relay's.

mod conn;
mod pairing;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use tokio::net::TcpListener;

use crate::pairing::Pairs;

/// Bare WebSocket relay: the physical baseline for `chimpassist-load`.
#[derive(Debug, Parser)]
#[command(name = "chimpassist-relay", version, about)]
struct Args {
    /// Port to listen on (0 picks a free one; the chosen port is printed).
    #[arg(long, default_value_t = 3100)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Each socket is a file descriptor: use all the process may have (the hard limit).
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: could not raise the open-files limit: {e}");
    }
    let listener = TcpListener::bind((args.host, args.port))
        .await
        .with_context(|| format!("binding {}:{}", args.host, args.port))?;
    let local = listener.local_addr().context("reading the bound address")?;
    eprintln!("chimpassist-relay listening on {local}");
    let pairs = Arc::new(Pairs::default());
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(conn::serve(stream, Arc::clone(&pairs)));
                }
                Err(e) => {
                    // Typically EMFILE at the fd limit: back off instead of spinning.
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
