//! Keep-alives and expiry on paused time: the coordinator alone (SQLite store, local bus), with
//! tokio's clock stopped and moved by hand, so the boundaries are tested exactly (30 s and
//! 60 s of virtual time) in a few milliseconds, with no real timer to race.
//!
//! While the clock is paused tokio jumps it to the next timer whenever every task waits, also
//! while a store write runs on SQLite's thread. A request to the coordinator would then see its
//! own reply deadline pass, so the setup and every request run on the real clock ([`awake`]) and
//! only the waits run paused. Each lapse is checked to come no sooner than the keep-alive and
//! within a few sweep periods (1 s each) after it.

use std::sync::Arc;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, CustomerId, Presence, QueueId, Role,
    ServerToAttendant, ServerToCustomer,
};
use chimpassist_server::bus::{Bus, BusEvent, LocalBus, Subscription};
use chimpassist_server::coordinator::{Coordinator, Limits, Mode, Timing};
use chimpassist_store::sqlite::SqliteStore;
use chimpassist_store::{Attendant, Customer, Queue, Store};
use tokio::time::{Instant, advance};
use tokio_util::sync::CancellationToken;

const ATTENDANT_KEEP_ALIVE: Duration = Duration::from_secs(30);
const SESSION_KEEP_ALIVE: Duration = Duration::from_secs(60);
/// The sweep runs every quarter of the shorter keep-alive, at most every second.
const SLACK: Duration = Duration::from_secs(3);

struct Desk {
    coordinator: Coordinator,
    store: Arc<dyn Store>,
    events: Subscription,
    attendant: Attendant,
    _dir: tempfile::TempDir,
    _stop: tokio_util::sync::DropGuard,
}

/// One attendant online and one customer whose conversation they hold.
async fn desk_with_a_chat() -> (Desk, Customer, ConversationId) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in(dir.path()).expect("store"));
    store
        .upsert_queue(Queue {
            id: QueueId::default_queue(),
            name: "General".into(),
            mode: Default::default(),
            skill: None,
            greeting: None,
            away_message: None,
            calls: Default::default(),
            bot: None,
            hours: None,
        })
        .await
        .expect("queue");
    let attendant = store
        .create_attendant(Attendant {
            id: AttendantId::parse("ann").expect("id"),
            email: "ann@example.com".into(),
            name: "Ann".into(),
            avatar_url: None,
            role: Role::Attendant,
            skill: String::new(),
            queues: vec![QueueId::default_queue()],
            capacity: 2,
            disabled: false,
            password_hash: None,
            must_change_password: false,
            created_at: 0,
        })
        .await
        .expect("attendant");
    let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(1024));
    let events = bus.subscribe();
    let stop = CancellationToken::new();
    let timing = Timing {
        session_keep_alive: SESSION_KEEP_ALIVE,
        attendant_keep_alive: ATTENDANT_KEEP_ALIVE,
        call_ring: Duration::from_secs(30),
    };
    let limits = Limits {
        open_conversations_per_ip: 100,
    };
    let (coordinator, _task) = Coordinator::start(
        Arc::clone(&store),
        bus,
        timing,
        Mode::Solo,
        limits,
        stop.clone(),
    )
    .await
    .expect("coordinator");
    coordinator
        .attendant_connected(&attendant)
        .await
        .expect("welcome");
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse("visitor").expect("id"),
            external_id: None,
            verified: false,
            profile_verified: false,
            name: "Visitor".into(),
            avatar_url: None,
            email: None,
            created_at: 0,
        })
        .await
        .expect("customer");
    coordinator.customer_connected(customer.clone()).await;
    let conversation = coordinator
        .start_chat(customer.clone(), QueueId::default_queue(), None, None)
        .await
        .expect("chat")
        .id;
    let mut desk = Desk {
        coordinator,
        store,
        events,
        attendant,
        _dir: dir,
        _stop: stop.drop_guard(),
    };
    desk.until(|e| {
        matches!(
            e,
            BusEvent::Attendant {
                frame: ServerToAttendant::Assigned { .. },
                ..
            }
        )
    })
    .await;
    tokio::time::pause();
    (desk, customer, conversation)
}

/// Runs one request to the coordinator on the real clock: paused, tokio would jump past the
/// reply deadline while the coordinator waits for SQLite's thread.
async fn awake<T>(request: impl std::future::Future<Output = T>) -> T {
    tokio::time::resume();
    let answer = request.await;
    tokio::time::pause();
    answer
}

impl Desk {
    /// The next bus event that `wanted` picks, however much virtual time it takes.
    async fn until(&mut self, wanted: impl Fn(&BusEvent) -> bool) -> Arc<BusEvent> {
        loop {
            let event = self.events.recv().await.expect("bus");
            if wanted(&event) {
                return event;
            }
        }
    }

    /// Waits until the conversation reaches `status` and returns the virtual time it took.
    async fn status_after(
        &mut self,
        conversation: ConversationId,
        status: ConversationStatus,
        since: Instant,
    ) -> Duration {
        self.until(|e| match e {
            BusEvent::Customer {
                frame: ServerToCustomer::Conversation { conversation: c },
                ..
            } => c.id == conversation && c.status == status,
            _ => false,
        })
        .await;
        since.elapsed()
    }
}

fn within_a_sweep_after(elapsed: Duration, keep_alive: Duration) -> bool {
    elapsed >= keep_alive && elapsed <= keep_alive + SLACK
}

#[tokio::test]
async fn an_attendant_gone_longer_than_the_keep_alive_goes_offline_and_the_chat_is_requeued() {
    let (mut desk, _customer, conversation) = desk_with_a_chat().await;
    let gone = Instant::now();
    awake(
        desk.coordinator
            .attendant_disconnected(desk.attendant.id.clone()),
    )
    .await;

    let elapsed = desk
        .status_after(conversation, ConversationStatus::Queued, gone)
        .await;

    assert!(
        within_a_sweep_after(elapsed, ATTENDANT_KEEP_ALIVE),
        "requeued after {elapsed:?}"
    );
    assert_eq!(
        desk.coordinator.presence_of_attendant(&desk.attendant.id),
        Presence::Offline
    );
    let stored = desk
        .store
        .get_conversation(&conversation)
        .await
        .expect("read");
    assert_eq!(stored.expect("stored").attendant_id, None);
}

#[tokio::test]
async fn an_attendant_back_within_the_keep_alive_keeps_the_chat_and_the_clock_restarts() {
    let (mut desk, _customer, conversation) = desk_with_a_chat().await;
    let id = desk.attendant.id.clone();
    awake(desk.coordinator.attendant_disconnected(id.clone())).await;
    advance(ATTENDANT_KEEP_ALIVE - Duration::from_secs(2)).await;
    awake(desk.coordinator.attendant_connected(&desk.attendant))
        .await
        .expect("welcome");
    assert_eq!(
        desk.coordinator.presence_of_attendant(&id),
        Presence::Online
    );

    // Gone again: the lapse counts from this second disconnect, not from the first.
    let gone_again = Instant::now();
    awake(desk.coordinator.attendant_disconnected(id.clone())).await;
    let elapsed = desk
        .status_after(conversation, ConversationStatus::Queued, gone_again)
        .await;
    assert!(
        within_a_sweep_after(elapsed, ATTENDANT_KEEP_ALIVE),
        "requeued after {elapsed:?}"
    );
}

#[tokio::test]
async fn a_customer_gone_longer_than_the_session_keep_alive_expires_the_conversation() {
    let (mut desk, _customer, conversation) = desk_with_a_chat().await;
    let (_, customer_id) = route_of(&desk, &conversation);
    let gone = Instant::now();
    awake(desk.coordinator.customer_disconnected(customer_id)).await;

    let elapsed = desk
        .status_after(conversation, ConversationStatus::Expired, gone)
        .await;

    assert!(
        within_a_sweep_after(elapsed, SESSION_KEEP_ALIVE),
        "expired after {elapsed:?}"
    );
    let stored = desk
        .store
        .get_conversation(&conversation)
        .await
        .expect("read");
    assert_eq!(stored.expect("stored").status, ConversationStatus::Expired);
}

#[tokio::test]
async fn a_customer_back_within_the_session_keep_alive_keeps_the_conversation_open() {
    let (mut desk, customer, conversation) = desk_with_a_chat().await;
    awake(desk.coordinator.customer_disconnected(customer.id.clone())).await;
    advance(SESSION_KEEP_ALIVE - Duration::from_secs(2)).await;
    awake(desk.coordinator.customer_connected(customer.clone())).await;

    let gone_again = Instant::now();
    awake(desk.coordinator.customer_disconnected(customer.id.clone())).await;
    let elapsed = desk
        .status_after(conversation, ConversationStatus::Expired, gone_again)
        .await;
    assert!(
        within_a_sweep_after(elapsed, SESSION_KEEP_ALIVE),
        "expired after {elapsed:?}"
    );
}

/// The replica's route: who holds the conversation and whose it is.
fn route_of(desk: &Desk, conversation: &ConversationId) -> (Option<AttendantId>, CustomerId) {
    let route = desk
        .coordinator
        .route(conversation)
        .expect("open conversation");
    (route.attendant, route.customer)
}
