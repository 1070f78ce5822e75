//! A TCP proxy to the broker that can be taken down (every connection through it cut, new
//! ones refused) and brought back: one node loses the broker while the others keep it.

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub(crate) struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    pub(crate) async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let up = watch::Sender::new(true);
        let state = up.subscribe();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*state.borrow() {
                    continue; // dropped at once: refused
                }
                let mut state = state.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = state.wait_for(|up| !*up) => {} // both sockets dropped: cut
                    }
                });
            }
        });
        Self { port, up }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every connection and refuses new ones until [`up`](Self::up).
    pub(crate) fn down(&self) {
        self.up.send_replace(false);
    }

    pub(crate) fn up(&self) {
        self.up.send_replace(true);
    }
}
