//! The conformance suite, unchanged, against `MongoStore` on SecantusDB (one server for this
//! test binary, a fresh database per test, dropped afterwards). Fails — never skips — when
//! SecantusDB is not installed: run `cargo xtask setup`.

use std::sync::Arc;

use chimpassist_store::Store;
use chimpassist_store_mongo::test_support::{self, TestDatabase};

async fn fresh_store() -> (Arc<dyn Store>, TestDatabase) {
    let (store, database) = test_support::fresh_store().await;
    (Arc::new(store), database)
}

chimpassist_store::conformance_suite!(fresh_store());
