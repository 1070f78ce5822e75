//! The conformance suite: every guarantee of [`Store`](crate::Store), written once and run
//! against every backend.
//!
//! Each check is a `pub async fn name(store: Arc<dyn Store>)` that panics with a message
//! saying what broke. A backend's test file runs them all with
//!
//! ```text
//! chimpassist_store::conformance_suite!(fresh_store());
//! ```
//!
//! where `fresh_store()` is a future yielding an empty store as anything that implements
//! [`IntoFixture`]: an `Arc<dyn Store>`, or a pair `(Arc<dyn Store>, guard)` whose guard (a
//! temporary directory, a database to drop) lives until the check ends. The macro expands to
//! one multi-threaded `#[tokio::test]` per check, each on its own fresh store, so the calling
//! crate needs `tokio` (with the `macros` and `rt-multi-thread` features).

mod attendants;
mod audit;
mod conversations;
mod customers;
mod erasure;
mod files;
mod greetings;
mod leases;
mod lists;
mod messages;
mod misc;
mod reports;
mod retention;
mod support;
mod tokens;
mod transitions;
mod webhooks;
mod workspace;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::Store;

pub use attendants::*;
pub use audit::*;
pub use conversations::*;
pub use customers::*;
pub use erasure::*;
pub use files::*;
pub use greetings::*;
pub use leases::*;
pub use lists::*;
pub use messages::*;
pub use misc::*;
pub use reports::*;
pub use retention::*;
pub use tokens::*;
pub use transitions::*;
pub use webhooks::*;
pub use workspace::*;

/// Expands to one `#[tokio::test]` per conformance check, each running against a fresh
/// store from `$factory` (a future; see the [module docs](crate::conformance)).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr $(,)?) => {
        $crate::__conformance_tests!(
            $factory;
            ping_answers,
            setting_or_init_is_atomic,
            reads_see_acknowledged_writes,
            unverified_customers_are_distinct_records,
            verified_upsert_yields_one_record_under_concurrency,
            verified_upsert_updates_display_fields,
            profile_verified_follows_the_latest_proof,
            customer_profile_update,
            a_visit_is_kept_whole_with_its_customer,
            mail_suppression_is_kept_per_address_for_good,
            settings_are_read_replaced_and_found,
            attendant_create_and_get,
            attendant_email_is_unique_case_insensitively,
            attendant_update_changes_each_field,
            attendants_listed_by_email_and_counted,
            auth_sessions_lifecycle,
            revoking_sessions_can_keep_one,
            queues_upsert_replaces_and_lists_by_id,
            conversation_create_and_get,
            one_open_conversation_per_customer,
            concurrent_creates_leave_one_open_conversation,
            new_conversation_after_previous_ended,
            transition_is_compare_and_set,
            concurrent_transitions_one_wins,
            conversation_writes_apply_in_order_each_on_its_own,
            transition_timestamps_follow_target_status,
            requeue_clears_assignment_and_keeps_request_time,
            transition_can_move_queue_and_request_time,
            reopening_conflicts_with_another_open_conversation,
            capacity_is_atomic_under_concurrency,
            capacity_counts_only_other_assigned_and_active,
            open_conversations_oldest_first,
            customer_conversations_newest_first_paged,
            attendant_conversations_newest_first_paged,
            rating_set_replaced_and_not_found,
            report_facts_follow_a_constructed_timeline,
            report_facts_page_a_period_by_cursor,
            seqs_are_dense_under_concurrent_appends,
            duplicate_client_id_returns_original,
            concurrent_duplicates_store_one_message,
            a_bot_message_keeps_its_party,
            client_id_from_another_sender_is_rejected,
            client_ids_are_per_conversation,
            append_to_unknown_conversation_is_not_found,
            a_mixed_burst_answers_each_append_alone,
            a_call_record_is_kept_with_its_message,
            a_file_reads_back_whole_with_its_thumbnail,
            a_file_needs_its_conversation,
            a_retried_upload_keeps_one_file,
            concurrent_retries_keep_one_file,
            deleting_a_customers_files_leaves_the_others,
            a_message_keeps_what_its_files_were,
            submitted_messages_keep_their_order,
            messages_before_pages_newest_first,
            messages_after_resumes_oldest_first,
            customer_messages_span_conversations_newest_first,
            receipts_only_move_forward,
            callbacks_lifecycle,
            callbacks_page_by_cursor_through_each_filter,
            canned_shortcuts_are_unique_and_listed_in_order,
            greetings_keep_their_order_and_are_replaced_whole,
            notes_are_ordered_kept_apart_and_never_messages,
            conversation_attendants_lists_every_holder,
            search_matches_names_and_newest_message_text,
            search_finds_customers_by_their_attribute_values,
            concurrent_attribute_changes_all_land_within_the_limit,
            search_takes_wildcards_and_regex_characters_literally,
            search_respects_visibility,
            a_free_lease_is_granted_with_term_one,
            a_held_lease_refuses_another_holder,
            the_holder_renews_before_expiry_keeping_its_term,
            an_expired_lease_is_granted_afresh_with_the_next_term,
            release_frees_a_lease_only_for_its_holder,
            leases_with_different_names_are_independent,
            concurrent_claims_on_a_free_lease_grant_exactly_one,
            concurrent_claims_on_an_expired_lease_grant_exactly_one,
            webhook_endpoints_lifecycle,
            every_change_records_its_event_once,
            contact_updated_names_only_a_proven_site_id,
            fan_out_is_once_per_event_and_endpoint,
            claims_hand_each_delivery_to_one_holder,
            delivery_log_pages_and_redeliver_restarts,
            pruning_keeps_what_is_still_owed,
            internal_subscribers_wait_their_delay_and_outlive_pruning,
            deleting_an_endpoint_drops_its_deliveries,
            only_the_event_types_asked_for_are_recorded,
            audit_entries_page_newest_first,
            api_tokens_are_found_by_hash_and_listed_oldest_first,
            api_tokens_revoke_once_and_last_use_moves_forward,
            erasing_a_customer_leaves_nothing_of_them,
            the_retention_sweep_empties_only_what_ended_before_the_cutoff,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                $crate::conformance::run($factory, $crate::conformance::$check).await;
            }
        )*
    };
}

/// A store under test plus whatever must outlive it.
pub struct Fixture {
    // Declared first, so dropped before the guard (e.g. before its directory is deleted).
    store: Arc<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

impl Fixture {
    pub fn new(store: Arc<dyn Store>, guard: impl Any + Send) -> Fixture {
        Fixture {
            store,
            _guard: Box::new(guard),
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture").finish_non_exhaustive()
    }
}

/// What a factory may yield.
pub trait IntoFixture {
    fn into_fixture(self) -> Fixture;
}

impl IntoFixture for Fixture {
    fn into_fixture(self) -> Fixture {
        self
    }
}

impl IntoFixture for Arc<dyn Store> {
    fn into_fixture(self) -> Fixture {
        Fixture::new(self, ())
    }
}

impl<G: Any + Send> IntoFixture for (Arc<dyn Store>, G) {
    fn into_fixture(self) -> Fixture {
        Fixture::new(self.0, self.1)
    }
}

/// Runs one check on the store `factory` yields. Used by [`conformance_suite!`].
pub async fn run<F, C, Fut>(factory: F, check: C)
where
    F: Future,
    F::Output: IntoFixture,
    C: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let fixture = factory.await.into_fixture();
    check(fixture.store()).await;
}
