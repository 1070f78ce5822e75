//! API tokens: kept whole, found by their hash, revoked once, last use only moving forward.

use std::sync::Arc;

use chimpassist_protocol::token::ApiScope;
use chimpassist_protocol::{ApiTokenId, AttendantId};

use super::support::*;
use crate::{ApiTokenRecord, Store};

fn token(n: u8, scopes: Vec<ApiScope>) -> ApiTokenRecord {
    ApiTokenRecord {
        id: ApiTokenId::new(),
        name: format!("integration {n}"),
        scopes,
        token_hash: format!("{n:02x}").repeat(32),
        hint: format!("h{n:03}"),
        created_at: T0 + i64::from(n),
        created_by: AttendantId::parse("admin").expect("id"),
        last_used_at: None,
        expires_at: (n % 2 == 1).then_some(T0 + 1_000_000),
        revoked_at: None,
    }
}

/// A token reads back exactly as written, by its hash and in the list (oldest first); a
/// second token with the same hash is a `Conflict`; an unknown hash finds nothing.
pub async fn api_tokens_are_found_by_hash_and_listed_oldest_first(store: Arc<dyn Store>) {
    let first = token(1, vec![ApiScope::ConversationsRead, ApiScope::ReportsRead]);
    let second = token(2, vec![ApiScope::Admin]);
    store.create_api_token(first.clone()).await.expect("create");
    store
        .create_api_token(second.clone())
        .await
        .expect("create");
    assert_eq!(
        store.api_token_by_hash(&first.token_hash).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.list_api_tokens().await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    let clash = ApiTokenRecord {
        id: ApiTokenId::new(),
        ..second.clone()
    };
    assert_err(
        store.create_api_token(clash).await,
        "Conflict",
        "a second token with a taken hash",
    );
    assert_eq!(
        store.api_token_by_hash(&"ff".repeat(32)).await.unwrap(),
        None
    );
    assert_eq!(store.list_api_tokens().await.unwrap().len(), 2);
}

/// Revoking sets the time once (a second revoke keeps the first); an unknown id is `None`.
/// A use is recorded only when later than the one stored.
pub async fn api_tokens_revoke_once_and_last_use_moves_forward(store: Arc<dyn Store>) {
    let t = token(3, vec![ApiScope::ConversationsRead]);
    store.create_api_token(t.clone()).await.expect("create");

    store.touch_api_token(&t.id, T0 + 50).await.expect("touch");
    store.touch_api_token(&t.id, T0 + 20).await.expect("touch");
    let used = store.api_token_by_hash(&t.token_hash).await.unwrap();
    assert_eq!(used.and_then(|t| t.last_used_at), Some(T0 + 50));

    let revoked = store.revoke_api_token(&t.id, T0 + 100).await.unwrap();
    assert_eq!(revoked.as_ref().and_then(|t| t.revoked_at), Some(T0 + 100));
    let again = store.revoke_api_token(&t.id, T0 + 200).await.unwrap();
    assert_eq!(again.and_then(|t| t.revoked_at), Some(T0 + 100));
    let found = store.api_token_by_hash(&t.token_hash).await.unwrap();
    assert_eq!(found.and_then(|t| t.revoked_at), Some(T0 + 100));

    assert_eq!(
        store
            .revoke_api_token(&ApiTokenId::new(), T0)
            .await
            .unwrap(),
        None
    );
}
