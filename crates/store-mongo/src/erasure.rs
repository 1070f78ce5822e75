//! Erasing a customer (see `Store::erase_customer`). Their files go first (bytes, then
//! records: `files::delete_of`, which a second call finishes), then one transaction takes
//! their notes, messages, callbacks and record, moves their conversations to the placeholder
//! and records `contact.erased`. A crash between the two leaves a customer without files whose
//! erasure, asked again, completes.

use chimpassist_protocol::{CustomerId, TimestampMs};
use chimpassist_store::erasure::{ERASED_CUSTOMER, placeholder};
use chimpassist_store::{Erased, StoreError, StoreResult, events};
use mongodb::bson::{Document, doc};
use mongodb::options::UpdateOptions;

use crate::codec::CustomerDoc;
use crate::error::OrStore;
use crate::schema::{CALLBACKS, CONVERSATIONS, CUSTOMERS, MESSAGES, NOTES};
use crate::webhooks::{self, EventDoc};
use crate::{MongoStore, accounts, conversations, files, transaction};

pub(crate) async fn erase(
    store: &MongoStore,
    customer: &CustomerId,
    at: TimestampMs,
) -> StoreResult<Erased> {
    let id = customer.as_str().to_owned();
    if id == ERASED_CUSTOMER {
        return Err(StoreError::Conflict(
            "the placeholder is not a customer".into(),
        ));
    }
    let record = accounts::get_customer(store, customer)
        .await?
        .ok_or(StoreError::NotFound)?;
    let conversations = store.db.collection::<Document>(CONVERSATIONS);
    let open = conversations
        .find_one(doc! {"open_customer": &id})
        .await
        .or_store()?;
    if open.is_some() {
        return Err(StoreError::Conflict(
            "the customer has an open conversation".into(),
        ));
    }
    let files = files::delete_of(store, customer).await?;
    let ids =
        conversations::ids_where(store, doc! {"customer_id": &id}, doc! {"_id": 1}, None).await?;
    let event = store
        .recording
        .keep(events::contact_erased(&record, at))
        .map(|e| EventDoc::new(&e));
    let placeholder = mongodb::bson::to_document(&CustomerDoc::unverified(&placeholder()))
        .map_err(|e| StoreError::internal(format!("placeholder: {e}")))?;
    let outbox = webhooks::outbox(store);
    let db = store.db.clone();
    let counts = transaction::run(&store.client, |session| {
        let (db, outbox, id, ids) = (db.clone(), outbox.clone(), id.clone(), ids.clone());
        let (event, placeholder) = (event.clone(), placeholder.clone());
        Box::pin(async move {
            let notes = crate::retention::delete_of(&db, NOTES, &ids, session).await?;
            let messages = db
                .collection::<Document>(MESSAGES)
                .delete_many(doc! {"customer_id": &id})
                .session(&mut *session)
                .await?
                .deleted_count;
            let callbacks = db
                .collection::<Document>(CALLBACKS)
                .delete_many(doc! {"customer_id": &id})
                .session(&mut *session)
                .await?
                .deleted_count;
            db.collection::<Document>(CUSTOMERS)
                .update_one(
                    doc! {"_id": ERASED_CUSTOMER},
                    doc! {"$setOnInsert": placeholder},
                )
                .with_options(UpdateOptions::builder().upsert(true).build())
                .session(&mut *session)
                .await?;
            let moved = db
                .collection::<Document>(CONVERSATIONS)
                .update_many(
                    doc! {"customer_id": &id},
                    doc! {
                        "$set": {"customer_id": ERASED_CUSTOMER},
                        "$unset": {"subject": "", "rating.comment": ""},
                    },
                )
                .session(&mut *session)
                .await?
                .modified_count;
            db.collection::<Document>(CUSTOMERS)
                .delete_one(doc! {"_id": &id})
                .session(&mut *session)
                .await?;
            if let Some(event) = event {
                webhooks::record(&outbox, &[event], &mut *session).await?;
            }
            Ok(Ok((moved, messages, notes, callbacks)))
        })
    })
    .await?;
    let (conversations, messages, notes, callbacks) = counts;
    Ok(Erased {
        conversations,
        messages,
        notes,
        files,
        callbacks,
    })
}
