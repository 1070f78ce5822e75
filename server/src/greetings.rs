//! The enabled greeting rules as pages and sockets read them: from this node's cache
//! (`CACHE_SECONDS`, forgotten when a rule is saved here), else from the store. The public
//! route serves them; a visitor's answer (`say`) takes its greeting from them, so neither
//! reads every rule from the store each time.

use chimpassist_protocol::GreetingId;
use chimpassist_protocol::greeting::{Greetings, PublicGreeting};

use crate::error::AppResult;
use crate::state::AppState;

/// The enabled rules, in the order they are tried.
pub async fn enabled(state: &AppState) -> AppResult<Greetings> {
    if let Some(cached) = state.upstream.greetings(state.config.cache_ttl()) {
        return Ok(cached);
    }
    let rules = state
        .store
        .list_greetings()
        .await?
        .into_iter()
        .filter(|r| r.rule.enabled)
        .map(|r| PublicGreeting {
            id: r.id,
            path: r.rule.path,
            delay_seconds: r.rule.delay_seconds,
            frequency: r.rule.frequency,
            only_when_online: r.rule.only_when_online,
            text: r.rule.text,
            from: r.rule.from,
        })
        .collect();
    let greetings = Greetings { rules };
    state.upstream.keep_greetings(greetings.clone());
    Ok(greetings)
}

/// One enabled rule; `None` when it was deleted or turned off.
pub async fn enabled_rule(state: &AppState, id: GreetingId) -> AppResult<Option<PublicGreeting>> {
    Ok(enabled(state).await?.rules.into_iter().find(|r| r.id == id))
}
