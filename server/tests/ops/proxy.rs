//! A TCP proxy that can cut every connection passing through it, like a network blip.

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

pub(crate) struct Proxy {
    pub(crate) port: u16,
    cut: broadcast::Sender<()>,
}

impl Proxy {
    pub(crate) async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let (cut, _) = broadcast::channel(4);
        let cuts = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut stop = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = stop.recv() => {} // both sockets dropped: the connection is cut
                    }
                });
            }
        });
        Self { port, cut }
    }

    /// Drops every connection open right now; new ones are accepted as before.
    pub(crate) fn cut(&self) {
        let _ = self.cut.send(());
    }
}
