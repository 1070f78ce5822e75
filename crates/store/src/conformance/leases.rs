//! Leases: who may hold one, when its term rises, and that racing claims grant it once.
//!
//! Every `now` is explicit, so nothing depends on the wall clock.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimpassist_protocol::TimestampMs;

use super::support::*;
use crate::{Lease, Store};

const NAME: &str = "coordinator";
/// The time of the first claim in each check.
const NOW: TimestampMs = 1_000_000;
const TTL: u64 = 10_000;

async fn claim(store: &dyn Store, holder: &str, now: TimestampMs) -> Lease {
    claim_named(store, NAME, holder, now).await
}

async fn claim_named(store: &dyn Store, name: &str, holder: &str, now: TimestampMs) -> Lease {
    store
        .claim_lease(name, holder, now, TTL)
        .await
        .expect("claim_lease")
}

async fn release(store: &dyn Store, holder: &str, now: TimestampMs) {
    store
        .release_lease(NAME, holder, now)
        .await
        .expect("release_lease");
}

fn lease(holder: &str, term: u64, expires_at: TimestampMs) -> Lease {
    Lease {
        name: NAME.to_owned(),
        holder: holder.to_owned(),
        term,
        expires_at,
    }
}

/// The first claim on a lease nobody ever held gets it, with term 1, until `now + ttl`.
pub async fn a_free_lease_is_granted_with_term_one(store: Arc<dyn Store>) {
    let granted = claim(&*store, "node-a", NOW).await;
    assert_eq!(granted, lease("node-a", 1, NOW + 10_000), "first claim");
}

/// While the lease runs, another holder's claim changes nothing and learns who holds it —
/// also one millisecond before it runs out.
pub async fn a_held_lease_refuses_another_holder(store: Arc<dyn Store>) {
    let held = claim(&*store, "node-a", NOW).await;
    let refused = claim(&*store, "node-b", NOW + 1).await;
    assert_eq!(
        refused, held,
        "a claim on a held lease returns it unchanged"
    );
    let refused = claim(&*store, "node-b", held.expires_at - 1).await;
    assert_eq!(
        refused, held,
        "still held one millisecond before it runs out"
    );
}

/// A renewal before expiry keeps the term and moves the expiry; the old expiry no longer
/// lets anyone else in.
pub async fn the_holder_renews_before_expiry_keeping_its_term(store: Arc<dyn Store>) {
    let first = claim(&*store, "node-a", NOW).await;
    let renewed = claim(&*store, "node-a", NOW + 5_000).await;
    assert_eq!(
        renewed,
        lease("node-a", first.term, NOW + 15_000),
        "a renewal keeps the term and extends the expiry"
    );
    let refused = claim(&*store, "node-b", first.expires_at).await;
    assert_eq!(
        refused, renewed,
        "after a renewal, the first expiry lets no one else in"
    );
}

/// At `expires_at` the lease has run out: another holder takes it over with the next term,
/// and so does the same holder claiming after its own lease ran out.
pub async fn an_expired_lease_is_granted_afresh_with_the_next_term(store: Arc<dyn Store>) {
    let first = claim(&*store, "node-a", NOW).await;
    let taken = claim(&*store, "node-b", first.expires_at).await;
    assert_eq!(
        taken,
        lease("node-b", 2, first.expires_at + 10_000),
        "another holder takes over an expired lease with term + 1"
    );
    let later = taken.expires_at + 500;
    let again = claim(&*store, "node-b", later).await;
    assert_eq!(
        again,
        lease("node-b", 3, later + 10_000),
        "the same holder claiming after expiry is a fresh grant: term + 1"
    );
}

/// A release by the holder lets the next claim in at once (new term); one by anybody else
/// changes nothing; releasing a lease that does not exist is fine.
pub async fn release_frees_a_lease_only_for_its_holder(store: Arc<dyn Store>) {
    store
        .release_lease("never-claimed", "node-a", NOW)
        .await
        .expect("releasing an absent lease is Ok");

    let held = claim(&*store, "node-a", NOW).await;
    release(&*store, "node-b", NOW + 1).await;
    let refused = claim(&*store, "node-b", NOW + 2).await;
    assert_eq!(refused, held, "a release by a non-holder changed the lease");

    release(&*store, "node-a", NOW + 3).await;
    let taken = claim(&*store, "node-b", NOW + 3).await;
    assert_eq!(
        taken,
        lease("node-b", 2, NOW + 3 + 10_000),
        "after a release the next claim is granted at once, with term + 1"
    );

    release(&*store, "node-b", NOW + 4).await;
    let back = claim(&*store, "node-b", NOW + 5).await;
    assert_eq!(
        back,
        lease("node-b", 3, NOW + 5 + 10_000),
        "the releasing holder's own next claim is a fresh grant too"
    );
}

/// A claim, renewal or release of one name never touches another.
pub async fn leases_with_different_names_are_independent(store: Arc<dyn Store>) {
    let a = claim_named(&*store, "lease-a", "node-a", NOW).await;
    let b = claim_named(&*store, "lease-b", "node-b", NOW).await;
    assert_eq!((a.holder.as_str(), a.term), ("node-a", 1), "lease-a");
    assert_eq!((b.holder.as_str(), b.term), ("node-b", 1), "lease-b");

    store
        .release_lease("lease-a", "node-a", NOW + 1)
        .await
        .expect("release_lease");
    let b_now = claim_named(&*store, "lease-b", "node-c", NOW + 1).await;
    assert_eq!(b_now, b, "releasing lease-a freed lease-b");
    let a_now = claim_named(&*store, "lease-a", "node-b", NOW + 2).await;
    assert_eq!(
        (a_now.holder.as_str(), a_now.term),
        ("node-b", 2),
        "lease-a was released"
    );
    let b_renewed = claim_named(&*store, "lease-b", "node-b", NOW + 3).await;
    assert_eq!(b_renewed.term, 1, "lease-b's term is its own");
}

/// Claims that race for one lease: every caller is told of the one winner.
async fn race(store: &Arc<dyn Store>, now: TimestampMs) -> Vec<Lease> {
    concurrently(20, |i| {
        let store = store.clone();
        async move { claim(&*store, &format!("node-{i}"), now).await }
    })
    .await
}

#[track_caller]
fn assert_one_winner(results: &[Lease], term: u64, now: TimestampMs) {
    let holders: BTreeSet<&str> = results.iter().map(|l| l.holder.as_str()).collect();
    assert_eq!(
        holders.len(),
        1,
        "racing claims disagree on the holder: {results:?}"
    );
    let winner = &results[0];
    assert!(
        results.iter().all(|l| l == winner),
        "racing claims returned different leases: {results:?}"
    );
    assert_eq!(
        (winner.term, winner.expires_at),
        (term, now + 10_000),
        "the winner's lease"
    );
}

/// 20 holders claim a free lease at once: exactly one is granted, and all 20 are told so.
pub async fn concurrent_claims_on_a_free_lease_grant_exactly_one(store: Arc<dyn Store>) {
    let results = race(&store, NOW).await;
    assert_one_winner(&results, 1, NOW);
}

/// The same race on a lease that has run out: one takeover, with the next term.
pub async fn concurrent_claims_on_an_expired_lease_grant_exactly_one(store: Arc<dyn Store>) {
    let first = claim(&*store, "node-old", NOW).await;
    let results = race(&store, first.expires_at).await;
    assert_one_winner(&results, 2, first.expires_at);
}
