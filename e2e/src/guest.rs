//! Guests for the load examples: a customer socket that starts a chat and stays open.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{Browser, ChimpServer};

/// A customer's open socket.
pub type GuestSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A guest who starts a chat; returns once the server answered with the conversation. The
/// socket is kept open so the customer stays online.
pub async fn guest_chat(server: &ChimpServer) -> GuestSocket {
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("/ws/customer"))
        .await
        .expect("customer socket");
    for frame in [
        json!({"type": "hello", "protocol": 1}),
        json!({"type": "start_chat"}),
    ] {
        ws.send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).expect("json");
            if frame["type"] == "conversation" {
                break;
            }
        }
    }
    ws
}

/// The page's clock, `performance.now()`, in ms.
pub async fn page_now_ms(browser: &Browser) -> f64 {
    browser
        .eval("performance.now()")
        .await
        .as_f64()
        .expect("a time")
}
