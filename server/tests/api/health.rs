use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", &Auth::None).await.status(), 200);
    assert_eq!(app.get("/readyz", &Auth::None).await.status(), 200);
    let metrics = app.get("/metrics", &Auth::None).await.text().await.unwrap();
    assert!(metrics.contains("chimpassist_messages_stored"), "{metrics}");
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", &Auth::None)
        .await
        .json()
        .await
        .unwrap();
    for path in [
        "/session",
        "/api/login",
        "/api/stats/{queue_id}",
        "/customer/{id}/messages",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
}

#[tokio::test]
async fn unknown_routes_get_a_json_error() {
    let app = spawn_app().await;
    let response = app.get("/nope", &Auth::None).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn queue_stats_are_public_in_the_seed_shape() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let _online = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    start_chat(&mut customer).await;
    let body: Value = app
        .get("/api/stats/default?key=observations&key=ewt", &Auth::None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["observations"]["availableAgents"].is_number(),
        "{body}"
    );
    assert!(
        body["observations"]["chat"]["interacting"].is_number(),
        "{body}"
    );
    assert!(body["ewt"].is_number(), "{body}");
    let only_ewt: Value = app
        .get("/api/stats/default?key=ewt", &Auth::None)
        .await
        .json()
        .await
        .unwrap();
    assert!(only_ewt.get("observations").is_none());
    assert_eq!(app.get("/api/stats/nope", &Auth::None).await.status(), 404);
}
