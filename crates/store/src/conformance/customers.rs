//! Customers: unverified records, the verified upsert, profile updates.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimpassist_protocol::{Attributes, CustomerId, PageVisit, VisitView};

use super::support::*;
use crate::{Customer, Store};

pub async fn unverified_customers_are_distinct_records(store: Arc<dyn Store>) {
    // Two browsers claiming the same (unproven) id still get separate records.
    let mut a = customer_record();
    a.external_id = Some("298301".to_owned());
    let mut b = customer_record();
    b.external_id = Some("298301".to_owned());
    let a = store.create_customer(a).await.expect("create_customer");
    let b = store.create_customer(b).await.expect("create_customer");
    assert_ne!(a.id, b.id);
    assert!(
        !a.verified && !b.verified,
        "create_customer makes unverified records"
    );
    let got = store.get_customer(&a.id).await.expect("get_customer");
    assert_eq!(got, Some(a), "get_customer returns the created record");
    assert_eq!(
        store.get_customer(&b.id).await.expect("get_customer"),
        Some(b)
    );
    let unknown = CustomerId::parse("nobody").expect("valid id");
    assert_eq!(
        store.get_customer(&unknown).await.expect("get_customer"),
        None
    );
}

fn verified(external_id: &str, name: &str) -> Customer {
    Customer {
        external_id: Some(external_id.to_owned()),
        verified: true,
        name: name.to_owned(),
        ..customer_record()
    }
}

pub async fn verified_upsert_yields_one_record_under_concurrency(store: Arc<dyn Store>) {
    let results = concurrently(20, |i| {
        let store = store.clone();
        async move {
            store
                .upsert_verified_customer(verified("ext-42", &format!("Name {i}")))
                .await
                .expect("upsert_verified_customer")
        }
    })
    .await;
    let ids: BTreeSet<_> = results.iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids.len(),
        1,
        "20 concurrent upserts made {} records",
        ids.len()
    );
    let id = results[0].id.clone();
    let stored = store
        .get_customer(&id)
        .await
        .expect("get_customer")
        .expect("the verified record exists");
    assert!(stored.verified, "the record is verified");
    assert_eq!(stored.external_id.as_deref(), Some("ext-42"));

    // An unverified record with the same external id is a different record, untouched.
    let mut claim = customer_record();
    claim.external_id = Some("ext-42".to_owned());
    let claim = store.create_customer(claim).await.expect("create_customer");
    let again = store
        .upsert_verified_customer(verified("ext-42", "Later"))
        .await
        .expect("upsert_verified_customer");
    assert_eq!(
        again.id, id,
        "upsert after an unverified claim still finds the record"
    );
    assert_ne!(claim.id, id);
}

pub async fn verified_upsert_updates_display_fields(store: Arc<dyn Store>) {
    let mut first = verified("ext-7", "Ann");
    first.created_at = T0;
    let first = store
        .upsert_verified_customer(first)
        .await
        .expect("upsert_verified_customer");
    let mut second = verified("ext-7", "Ann Smith");
    second.avatar_url = Some("https://example.com/a.png".to_owned());
    second.email = Some("ann@example.com".to_owned());
    second.created_at = T0 + 1000;
    let second = store
        .upsert_verified_customer(second)
        .await
        .expect("upsert_verified_customer");
    assert_eq!(second.id, first.id, "same external id, same record");
    assert_eq!(second.name, "Ann Smith");
    assert_eq!(
        second.avatar_url.as_deref(),
        Some("https://example.com/a.png")
    );
    assert_eq!(second.email.as_deref(), Some("ann@example.com"));
    assert_eq!(second.created_at, T0, "the record keeps its creation time");
    let stored = store.get_customer(&first.id).await.expect("get_customer");
    assert_eq!(
        stored,
        Some(second),
        "the returned record is what is stored"
    );

    let other = store
        .upsert_verified_customer(verified("ext-8", "Bob"))
        .await
        .expect("upsert_verified_customer");
    assert_ne!(other.id, first.id, "another external id is another record");
}

/// `profile_verified` is the latest proof's word on the profile, and only a verified upsert
/// can set it.
pub async fn profile_verified_follows_the_latest_proof(store: Arc<dyn Store>) {
    let with_profile = |profile_verified| Customer {
        profile_verified,
        ..verified("ext-9", "Dana")
    };
    let first = store
        .upsert_verified_customer(with_profile(true))
        .await
        .expect("upsert_verified_customer");
    assert!(first.profile_verified, "a proven profile is stored as such");
    let stored = store.get_customer(&first.id).await.expect("get_customer");
    assert_eq!(stored.as_ref(), Some(&first), "and reads back so");

    let second = store
        .upsert_verified_customer(with_profile(false))
        .await
        .expect("upsert_verified_customer");
    assert_eq!(second.id, first.id, "same external id, same record");
    assert!(
        !second.profile_verified,
        "a later proof without the profile leaves it unproven"
    );
    let stored = store.get_customer(&first.id).await.expect("get_customer");
    assert_eq!(stored, Some(second), "and reads back so");

    let mut claim = with_profile(true);
    claim.id = customer_record().id;
    let created = store.create_customer(claim).await.expect("create_customer");
    assert!(
        !created.verified && !created.profile_verified,
        "create_customer stores neither verified nor profile_verified: {created:?}"
    );
    let stored = store.get_customer(&created.id).await.expect("get_customer");
    assert_eq!(stored, Some(created), "and reads back so");
}

pub async fn customer_profile_update(store: Arc<dyn Store>) {
    let c = new_customer(&*store).await;
    store
        .update_customer_profile(
            &c.id,
            "Carla".to_owned(),
            Some("https://example.com/c.png".to_owned()),
            Some("carla@example.com".to_owned()),
        )
        .await
        .expect("update_customer_profile");
    let got = store
        .get_customer(&c.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.name, "Carla");
    assert_eq!(got.avatar_url.as_deref(), Some("https://example.com/c.png"));
    assert_eq!(got.email.as_deref(), Some("carla@example.com"));
    assert_eq!(
        (got.id, got.created_at, got.verified),
        (c.id.clone(), c.created_at, false)
    );

    store
        .update_customer_profile(&c.id, "Carla".to_owned(), None, None)
        .await
        .expect("update_customer_profile");
    let got = store
        .get_customer(&c.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (got.avatar_url, got.email),
        (None, None),
        "None clears the field"
    );

    let unknown = CustomerId::parse("nobody").expect("valid id");
    assert_err(
        store
            .update_customer_profile(&unknown, "X".to_owned(), None, None)
            .await,
        "NotFound",
        "update_customer_profile of unknown",
    );
}

/// Stores `visit` and reads back exactly it.
async fn keeps_visit(store: &dyn Store, id: &CustomerId, visit: &VisitView) {
    store
        .set_customer_visit(id, visit)
        .await
        .expect("set_customer_visit");
    assert_eq!(
        store.customer_visit(id).await.expect("customer_visit"),
        Some(visit.clone())
    );
}

pub async fn a_visit_is_kept_whole_with_its_customer(store: Arc<dyn Store>) {
    let c = new_customer(&*store).await;
    assert_eq!(
        store.customer_visit(&c.id).await.expect("customer_visit"),
        None,
        "no visit before any report"
    );
    let page = |url: &str, at| PageVisit {
        url: url.to_owned(),
        title: format!("Title of {url}"),
        at,
    };
    let mut visit = VisitView {
        pages: vec![page("https://shop.example/", T0)],
        referrer: Some("https://search.example/".to_owned()),
        browser: Some("Chrome 156".to_owned()),
        os: Some("Linux".to_owned()),
        language: Some("pt-BR".to_owned()),
        time_zone: Some("America/Sao_Paulo".to_owned()),
        utc_offset_minutes: Some(-180),
        updated_at: T0,
    };
    keeps_visit(&*store, &c.id, &visit).await;

    // A later report replaces it whole (fields that went away are gone).
    visit
        .pages
        .push(page("https://shop.example/pricing", T0 + 5));
    visit.referrer = None;
    visit.utc_offset_minutes = Some(330);
    visit.updated_at = T0 + 5;
    keeps_visit(&*store, &c.id, &visit).await;
    // The profile is untouched by it, and a profile update leaves the visit.
    store
        .update_customer_profile(&c.id, "Dora".to_owned(), None, None)
        .await
        .expect("update_customer_profile");
    assert_eq!(
        store.customer_visit(&c.id).await.expect("customer_visit"),
        Some(visit.clone())
    );
    assert_eq!(
        store.get_customer(&c.id).await.unwrap().map(|c| c.name),
        Some("Dora".to_owned())
    );

    let unknown = CustomerId::parse("nobody").expect("valid id");
    assert_err(
        store.set_customer_visit(&unknown, &visit).await,
        "NotFound",
        "set_customer_visit of unknown",
    );
    assert_eq!(store.customer_visit(&unknown).await.unwrap(), None);

    // Erasing the customer erases their visit and attributes with the record.
    let changes: chimpassist_protocol::AttributeChanges =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).expect("attributes");
    store
        .update_customer_attributes(&c.id, &changes, T0 + 8)
        .await
        .expect("update_customer_attributes");
    store.erase_customer(&c.id, T0 + 9).await.expect("erase");
    assert_eq!(store.customer_visit(&c.id).await.unwrap(), None);
    assert_eq!(
        store.customer_attributes(&c.id).await.unwrap(),
        Attributes::default()
    );
}

/// An address's mail turned off stays off, its first time kept, whoever gave the address,
/// and after a contact is erased.
pub async fn mail_suppression_is_kept_per_address_for_good(store: Arc<dyn Store>) {
    let (ana, bo) = ("key-of-ana@example.com", "key-of-bo@example.com");
    assert_eq!(
        store.mail_suppressed(ana).await.unwrap(),
        None,
        "on at first"
    );
    store
        .suppress_mail(ana, T0 + 1)
        .await
        .expect("suppress_mail");
    store
        .suppress_mail(ana, T0 + 5)
        .await
        .expect("again: harmless");
    assert_eq!(store.mail_suppressed(ana).await.unwrap(), Some(T0 + 1));
    assert_eq!(store.mail_suppressed(bo).await.unwrap(), None);
    let c = new_customer(&*store).await;
    store.erase_customer(&c.id, T0 + 6).await.expect("erase");
    assert_eq!(
        store.mail_suppressed(ana).await.unwrap(),
        Some(T0 + 1),
        "erasing a contact keeps the promise"
    );
}

/// A setting put is read back, replaced by the next put, and is what `setting_or_init` finds.
pub async fn settings_are_read_replaced_and_found(store: Arc<dyn Store>) {
    assert_eq!(store.setting("beacon").await.unwrap(), None, "unset");
    store
        .put_setting("beacon", "one".into())
        .await
        .expect("put");
    assert_eq!(
        store.setting("beacon").await.unwrap().as_deref(),
        Some("one")
    );
    store
        .put_setting("beacon", "two".into())
        .await
        .expect("put again");
    assert_eq!(
        store.setting("beacon").await.unwrap().as_deref(),
        Some("two")
    );
    assert_eq!(
        store
            .setting_or_init("beacon", "init".into())
            .await
            .unwrap(),
        "two"
    );
    assert_eq!(store.setting("other").await.unwrap(), None);
}
