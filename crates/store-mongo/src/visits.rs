//! The visitor's context, a sub-document `visit` of the customer's document (read and
//! written whole).

use chimpassist_protocol::{CustomerId, VisitView};
use chimpassist_store::{StoreError, StoreResult};
use mongodb::bson::{self, Document, doc};

use crate::MongoStore;
use crate::accounts::found;
use crate::error::OrStore;
use crate::schema::CUSTOMERS;

pub(crate) async fn customer_visit(
    store: &MongoStore,
    id: &CustomerId,
) -> StoreResult<Option<VisitView>> {
    let found = store
        .db
        .collection::<Document>(CUSTOMERS)
        .find_one(doc! {"_id": id.as_str()})
        .projection(doc! {"visit": 1})
        .await
        .or_store()?;
    match found.and_then(|d| d.get("visit").cloned()) {
        None | Some(bson::Bson::Null) => Ok(None),
        Some(visit) => bson::from_bson(visit)
            .map(Some)
            .map_err(|e| StoreError::internal(format!("a stored visit does not read: {e}"))),
    }
}

pub(crate) async fn set_customer_visit(
    store: &MongoStore,
    id: &CustomerId,
    visit: &VisitView,
) -> StoreResult<()> {
    let visit = bson::to_bson(visit)
        .map_err(|e| StoreError::internal(format!("a visit does not write: {e}")))?;
    let result = store
        .db
        .collection::<Document>(CUSTOMERS)
        .update_one(doc! {"_id": id.as_str()}, doc! {"$set": {"visit": visit}})
        .await
        .or_store()?;
    found(result.matched_count)
}
