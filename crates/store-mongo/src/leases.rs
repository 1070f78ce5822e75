//! Leases: one document per name, `{_id: name, holder, term, expires_at}`.
//!
//! No transaction: every change is one conditional single-document write, which MongoDB
//! applies atomically, and the conditions are such that of racing writers at most one can
//! match. See [`claim`].

use chimpassist_protocol::TimestampMs;
use chimpassist_store::{Lease, StoreError, StoreResult};
use mongodb::Collection;
use mongodb::bson::doc;
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::uint;
use crate::error::{OrStore, is_duplicate_key, store_error};
use crate::schema::LEASES;

/// Rounds of [`claim`] when the lease is released or runs out while the claim is looking at it
/// (see there). Each round needs another node to release in a window of a few round trips, so
/// a second round is already rare.
const CLAIM_ROUNDS: usize = 5;

#[derive(Debug, Serialize, Deserialize)]
struct LeaseDoc {
    #[serde(rename = "_id")]
    name: String,
    holder: String,
    term: i64,
    expires_at: i64,
}

impl LeaseDoc {
    fn into_model(self) -> StoreResult<Lease> {
        Ok(Lease {
            name: self.name,
            holder: self.holder,
            term: uint(self.term, "lease term")?,
            expires_at: self.expires_at,
        })
    }
}

fn leases(store: &MongoStore) -> Collection<LeaseDoc> {
    store.db.collection(LEASES)
}

/// Tries, in order, the three ways a claim can be granted — each a write whose filter admits
/// only that case, so racing claims cannot both succeed at one:
/// 1. renewal: the document names `holder` and has not run out → move `expires_at`;
/// 2. takeover: it has run out → set holder and expiry, `$inc` the term;
/// 3. first grant: insert with term 1; a duplicate key means another claim just created it.
///
/// When none applies the lease is held by someone else, and reading it answers the caller.
/// If that read finds it has run out after all (released, or expired, between the takeover
/// attempt and the read), the claim starts over — up to [`CLAIM_ROUNDS`] times — so a
/// refusal names a live holder rather than one that has just let go.
pub(crate) async fn claim(
    store: &MongoStore,
    name: &str,
    holder: &str,
    now: TimestampMs,
    ttl_ms: u64,
) -> StoreResult<Lease> {
    let leases = leases(store);
    let expires_at = Lease::expiry(now, ttl_ms);
    let mut current = None;
    for _ in 0..CLAIM_ROUNDS {
        let renewed = leases
            .find_one_and_update(
                doc! {"_id": name, "holder": holder, "expires_at": {"$gt": now}},
                doc! {"$set": {"expires_at": expires_at}},
            )
            .return_document(ReturnDocument::After)
            .await
            .or_store()?;
        if let Some(lease) = renewed {
            return lease.into_model();
        }
        let taken = leases
            .find_one_and_update(
                doc! {"_id": name, "expires_at": {"$lte": now}},
                doc! {
                    "$set": {"holder": holder, "expires_at": expires_at},
                    "$inc": {"term": 1_i64},
                },
            )
            .return_document(ReturnDocument::After)
            .await
            .or_store()?;
        if let Some(lease) = taken {
            return lease.into_model();
        }
        let first = LeaseDoc {
            name: name.to_owned(),
            holder: holder.to_owned(),
            term: 1,
            expires_at,
        };
        match leases.insert_one(&first).await {
            Ok(_) => return first.into_model(),
            // Someone else created it since the takeover attempt (or, after a lost reply
            // retried by the driver, this very claim did): read who holds it.
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(store_error(e)),
        }
        let stored = leases.find_one(doc! {"_id": name}).await.or_store()?;
        match stored {
            Some(lease) if lease.expires_at > now => return lease.into_model(),
            // Released or run out meanwhile: claim it again. (Nothing deletes leases, so
            // `None` cannot happen; it is retried like the rest.)
            other => current = other,
        }
    }
    match current {
        Some(lease) => lease.into_model(),
        None => Err(StoreError::internal(format!(
            "claim_lease {name:?}: the lease vanished {CLAIM_ROUNDS} times"
        ))),
    }
}

/// Only a lease `holder` still holds is changed, and only ever made to run out sooner (at
/// `now`), so the next claim is a fresh grant with a new term.
pub(crate) async fn release(
    store: &MongoStore,
    name: &str,
    holder: &str,
    now: TimestampMs,
) -> StoreResult<()> {
    leases(store)
        .update_one(
            doc! {"_id": name, "holder": holder, "expires_at": {"$gt": now}},
            doc! {"$set": {"expires_at": now}},
        )
        .await
        .or_store()?;
    Ok(())
}
