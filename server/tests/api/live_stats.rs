//! The live queue statistics stream a host page reads (Server-Sent Events).

use futures_util::StreamExt;
use serde_json::Value;

use crate::helpers::*;

/// The next `stats` event's data from an event stream's bytes.
async fn next_stats(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    buffer: &mut String,
) -> Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: stats") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                return serde_json::from_str(data).expect("JSON data");
            }
            continue; // a keep-alive comment
        }
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .expect("an event within the wait")
            .expect("the stream stays open")
            .expect("a chunk");
        buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
}

#[tokio::test]
async fn the_stats_stream_pushes_a_change_when_an_attendant_comes_online() {
    let app = spawn_app_with(|c| c.cache_seconds = 0).await;
    let response = reqwest::get(app.url("/api/stats/default/stream"))
        .await
        .expect("stream");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let now = next_stats(&mut body, &mut buffer).await;
    assert_eq!(now["observations"]["availableAgents"], 0, "{now}");
    assert!(now["ewt"].is_u64());

    let admin = app.admin().await;
    let (_, alice) = app.create_attendant(&admin, "Alice", 2).await;
    let _online = app.attendant(&alice).await;
    let then = next_stats(&mut body, &mut buffer).await;
    assert_eq!(then["observations"]["availableAgents"], 1, "{then}");

    let unknown = app.get("/api/stats/nope/stream", &Auth::None).await;
    assert_eq!(unknown.status(), 404);
}
