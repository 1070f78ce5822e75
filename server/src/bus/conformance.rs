//! The guarantees of [`Bus`], written once and checked against every implementation: the
//! server's `tests/bus` runs them on [`LocalBus`] and on [`MqttBus`](super::MqttBus) over a
//! real broker. Each check panics with what went wrong.
//!
//! A [`Cluster`] hands out the buses of the nodes of one deployment: with the in-process bus
//! every "node" shares the one bus (one process is one node); with MQTT each node has its
//! own bus on the same broker.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chimpassist_protocol::{
    AttendantId, AttendantPublic, ClientMessageId, ConversationId, ConversationStatus,
    ConversationView, CustomerId, CustomerPresence, CustomerView, MessageText, MessageView, Party,
    Presence, QueueId, QueueObservations, Receipts, Sender, ServerToAttendant, ServerToCustomer,
    TypingState,
};

use super::{Bus, BusEvent, ClusterPayload, GapCause, LocalBus, RecvError, Subscription};

/// Longest any single expected delivery may take.
pub const DEADLINE: Duration = Duration::from_secs(10);
/// How long the checks that nothing more arrives listen.
pub const QUIET: Duration = Duration::from_millis(300);

/// The nodes of one deployment.
#[async_trait]
pub trait Cluster: Send + Sync {
    /// The bus of a new node, ready: what any node publishes from now on reaches it.
    async fn node(&self) -> Arc<dyn Bus>;
    /// Events a subscriber may leave unread before it lags (what the buses were built with).
    fn capacity(&self) -> usize;
}

/// The in-process bus as a cluster: every node shares the one bus.
#[derive(Debug)]
pub struct LocalCluster {
    bus: Arc<LocalBus>,
    capacity: usize,
}

impl LocalCluster {
    pub fn new(capacity: usize) -> Self {
        Self {
            bus: Arc::new(LocalBus::new(capacity)),
            capacity,
        }
    }
}

#[async_trait]
impl Cluster for LocalCluster {
    async fn node(&self) -> Arc<dyn Bus> {
        Arc::clone(&self.bus) as Arc<dyn Bus>
    }

    fn capacity(&self) -> usize {
        self.capacity
    }
}

/// One event of each kind the server sends between nodes: new messages, acks, receipts,
/// typing, presence, conversation state, queue numbers, to one customer, one attendant or
/// all attendants.
pub fn samples() -> Vec<BusEvent> {
    let customer = CustomerId::parse("conformance-customer").expect("a valid customer id");
    let attendant = AttendantId::parse("conformance-attendant").expect("a valid attendant id");
    let conversation = ConversationId::new();
    let message = MessageView {
        conversation,
        seq: 7,
        client_id: ClientMessageId::new(),
        from: Sender {
            party: Party::Attendant,
            id: attendant.to_string(),
            name: "Ada".into(),
        },
        text: MessageText::parse("héllo \"world\" <b>not bold</b> 🐒", 4096).expect("valid text"),
        timestamp: 1_700_000_000_123,
        call: None,
        attachments: Vec::new(),
    };
    let view = ConversationView {
        id: conversation,
        queue: QueueId::default_queue(),
        status: ConversationStatus::Active,
        customer: CustomerView {
            id: customer.clone(),
            name: "Grace".into(),
            avatar_url: None,
            email: Some("grace@example.com".into()),
            external_id: None,
            verified: false,
            profile_verified: false,
        },
        attendant: Some(AttendantPublic {
            id: attendant.clone(),
            name: "Ada".into(),
            avatar_url: None,
        }),
        requested_at: 1_700_000_000_000,
        assigned_at: Some(1_700_000_000_050),
        ended_at: None,
        last_seq: 7,
        rating: None,
        subject: Some("refund".into()),
        customer_presence: CustomerPresence::Inactive,
        last_message: None,
        receipts: None,
        bot: None,
    };
    let receipts = Receipts {
        customer_delivered: 7,
        customer_read: 6,
        attendant_delivered: 7,
        attendant_read: 7,
    };
    // As the attendant's list gets it: with the last message and receipts.
    let detailed = ConversationView {
        last_message: Some(message.clone()),
        receipts: Some(receipts.clone()),
        ..view.clone()
    };
    let to_customer = |frame| BusEvent::Customer {
        customer: customer.clone(),
        frame,
    };
    let to_attendant = |frame| BusEvent::Attendant {
        attendant: attendant.clone(),
        frame,
    };
    vec![
        to_customer(ServerToCustomer::Message {
            message: message.clone(),
        }),
        to_customer(ServerToCustomer::Receipt {
            conversation,
            receipts: receipts.clone(),
        }),
        to_customer(ServerToCustomer::Typing {
            conversation,
            state: TypingState::Composing,
        }),
        to_customer(ServerToCustomer::Conversation {
            conversation: view.clone(),
        }),
        to_customer(ServerToCustomer::QueueStatus {
            conversation,
            position: 3,
            ewt_seconds: 90,
        }),
        to_customer(ServerToCustomer::Assigned {
            conversation,
            attendant: AttendantPublic {
                id: attendant.clone(),
                name: "Ada".into(),
                avatar_url: Some("https://example.com/ada.png".into()),
            },
            may_call: true,
        }),
        to_attendant(ServerToAttendant::Message { message }),
        to_attendant(ServerToAttendant::Receipt {
            conversation,
            receipts,
        }),
        to_attendant(ServerToAttendant::Typing {
            conversation,
            state: TypingState::Paused,
        }),
        to_attendant(ServerToAttendant::CustomerPresence {
            customer: customer.clone(),
            state: CustomerPresence::Gone,
        }),
        to_attendant(ServerToAttendant::Presence {
            presence: Presence::Away,
        }),
        to_attendant(ServerToAttendant::Assigned {
            conversation: detailed,
        }),
        to_attendant(ServerToAttendant::Unassigned {
            conversation,
            reason: "transferred".into(),
        }),
        BusEvent::AllAttendants {
            frame: ServerToAttendant::Conversation { conversation: view },
        },
        BusEvent::AllAttendants {
            frame: ServerToAttendant::Queue {
                queue: QueueId::default_queue(),
                observations: QueueObservations::default(),
            },
        },
    ]
    .into_iter()
    .chain(cluster_samples(&customer, conversation))
    .collect()
}

/// The coordinators' own messages between nodes, as the bus sees them: opaque JSON, which
/// must arrive exactly as sent (nesting, escapes, big integers, nulls). That each message of
/// the coordinator's vocabulary survives this trip is the coordinator's own test.
fn cluster_samples(customer: &CustomerId, conversation: ConversationId) -> Vec<BusEvent> {
    [
        serde_json::json!({
            "cluster": "request",
            "from": "a1b2c3d4e5f6",
            "to": "f6e5d4c3b2a1",
            "id": 7,
            "request": {
                "op": "connections",
                "entry": {
                    "kind": "customer",
                    "customer": { "id": customer, "name": "Grace \"G\" Hopper\n", "avatar_url": null },
                    "count": 2,
                },
            },
        }),
        serde_json::json!({ "cluster": "leader", "node": "f6e5d4c3b2a1", "term": u64::MAX, "epoch": 0 }),
        serde_json::json!({
            "cluster": "replica",
            "updates": [{ "of": "route", "conversation": conversation, "route": null }, [], {}],
        }),
    ]
    .into_iter()
    .map(|json| BusEvent::Cluster {
        message: ClusterPayload::from(json),
    })
    .collect()
}

/// Event number `n` of the test publisher `origin`.
pub fn numbered(origin: &CustomerId, n: u32) -> BusEvent {
    BusEvent::Customer {
        customer: origin.clone(),
        frame: ServerToCustomer::QueueStatus {
            conversation: ConversationId::from(uuid::Uuid::nil()),
            position: n,
            ewt_seconds: 0,
        },
    }
}

/// The publisher and number of an event made by [`numbered`].
pub fn number_of(event: &BusEvent) -> Option<(&CustomerId, u32)> {
    match event {
        BusEvent::Customer {
            customer,
            frame: ServerToCustomer::QueueStatus { position, .. },
        } => Some((customer, *position)),
        _ => None,
    }
}

/// A fresh test publisher id.
pub fn origin(name: &str) -> CustomerId {
    CustomerId::parse(format!("{name}-{}", uuid::Uuid::new_v4().simple()))
        .expect("a valid customer id")
}

/// The next event; panics on a gap, a closed bus or nothing within [`DEADLINE`].
pub async fn next_event(subscription: &mut Subscription) -> Arc<BusEvent> {
    match tokio::time::timeout(DEADLINE, subscription.recv()).await {
        Ok(Ok(event)) => event,
        Ok(Err(e)) => panic!("expected an event, got: {e}"),
        Err(_) => panic!("no event within {DEADLINE:?}"),
    }
}

/// The number of the next event, which [`numbered`] made; panics like [`next_event`].
pub async fn next_number(subscription: &mut Subscription) -> u32 {
    let event = next_event(subscription).await;
    number_of(&event)
        .unwrap_or_else(|| panic!("expected a numbered event, got {event:?}"))
        .1
}

/// The next delivery must be a gap; returns its cause.
pub async fn next_gap(subscription: &mut Subscription) -> GapCause {
    match tokio::time::timeout(DEADLINE, subscription.recv()).await {
        Ok(Err(RecvError::Gap(cause))) => cause,
        Ok(Ok(event)) => panic!("expected a gap, got the event {event:?}"),
        Ok(Err(e)) => panic!("expected a gap, got: {e}"),
        Err(_) => panic!("no gap within {DEADLINE:?}"),
    }
}

/// Nothing more arrives for [`QUIET`].
pub async fn assert_quiet(subscription: &mut Subscription) {
    if let Ok(next) = tokio::time::timeout(QUIET, subscription.recv()).await {
        panic!("expected nothing more, got {next:?}");
    }
}

/// Reads `count` events from each of `publishers`, each publisher's numbered 1..=count in
/// order: so each arrived exactly once, in publish order, whatever the interleaving.
async fn expect_numbered(subscription: &mut Subscription, publishers: &[&CustomerId], count: u32) {
    let mut next = vec![1u32; publishers.len()];
    for _ in 0..count as usize * publishers.len() {
        let event = next_event(subscription).await;
        let (origin, n) = number_of(&event).unwrap_or_else(|| panic!("unexpected {event:?}"));
        let index = publishers
            .iter()
            .position(|p| *p == origin)
            .unwrap_or_else(|| panic!("an event of an unknown publisher: {event:?}"));
        assert_eq!(
            n, next[index],
            "publisher {origin}: expected event {} next, got {n}",
            next[index]
        );
        next[index] += 1;
    }
}

/// Every kind of event published on one node reaches the subscribers of every node intact.
pub async fn every_variant_round_trips(cluster: &dyn Cluster) {
    let (a, b) = (cluster.node().await, cluster.node().await);
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    let samples = samples();
    for event in &samples {
        a.publish(event.clone()).await.expect("publish");
    }
    for subscription in [&mut on_a, &mut on_b] {
        for sent in &samples {
            let got = next_event(subscription).await;
            assert_eq!(*got, *sent, "an event changed on its way");
        }
        assert_quiet(subscription).await;
    }
}

/// `count` events from one publisher arrive in publish order on its node and on another.
pub async fn publisher_order_is_kept(cluster: &dyn Cluster, count: u32) {
    assert!(
        count as usize <= cluster.capacity(),
        "the subscribers would lag"
    );
    let (a, b) = (cluster.node().await, cluster.node().await);
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    let publisher = origin("order");
    for n in 1..=count {
        a.publish(numbered(&publisher, n)).await.expect("publish");
    }
    expect_numbered(&mut on_b, &[&publisher], count).await;
    expect_numbered(&mut on_a, &[&publisher], count).await;
    assert_quiet(&mut on_b).await;
    assert_quiet(&mut on_a).await;
}

/// Two nodes publishing at once each receive both streams: every event exactly once, each
/// publisher's in order.
pub async fn nodes_get_each_others_events_exactly_once(cluster: &dyn Cluster, count: u32) {
    assert!(
        2 * count as usize <= cluster.capacity(),
        "the subscribers would lag"
    );
    let (a, b) = (cluster.node().await, cluster.node().await);
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    let (from_a, from_b) = (origin("node-a"), origin("node-b"));
    let publish_all = |bus: Arc<dyn Bus>, publisher: CustomerId| async move {
        for n in 1..=count {
            bus.publish(numbered(&publisher, n)).await.expect("publish");
        }
    };
    tokio::join!(
        publish_all(Arc::clone(&a), from_a.clone()),
        publish_all(Arc::clone(&b), from_b.clone()),
    );
    for subscription in [&mut on_a, &mut on_b] {
        expect_numbered(subscription, &[&from_a, &from_b], count).await;
        assert_quiet(subscription).await;
    }
}

/// A subscriber gets only what is published after it subscribed.
pub async fn late_subscribers_get_only_later_events(cluster: &dyn Cluster) {
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut early = b.subscribe();
    let publisher = origin("late");
    a.publish(numbered(&publisher, 1)).await.expect("publish");
    // Event 1 has reached node b: whatever subscribes there now comes after it.
    assert_eq!(next_number(&mut early).await, 1);
    let mut late = b.subscribe();
    a.publish(numbered(&publisher, 2)).await.expect("publish");
    for subscription in [&mut late, &mut early] {
        assert_eq!(next_number(subscription).await, 2);
        assert_quiet(subscription).await;
    }
}

/// A subscriber that leaves more than the capacity unread is told of a gap, then receives
/// again.
pub async fn a_slow_subscriber_is_told_of_the_gap(cluster: &dyn Cluster) {
    let a = cluster.node().await;
    let mut slow = a.subscribe();
    let publisher = origin("slow");
    let count = u32::try_from(cluster.capacity()).expect("a small capacity") + 10;
    for n in 1..=count {
        a.publish(numbered(&publisher, n)).await.expect("publish");
    }
    match next_gap(&mut slow).await {
        GapCause::Lagged(missed) => assert!(missed >= 10, "missed only {missed}"),
        other => panic!("expected a lag, got {other:?}"),
    }
    // The oldest events still held follow, in order, up to the last one.
    let mut previous = 0;
    while previous < count {
        let event = next_event(&mut slow).await;
        let n = number_of(&event).map_or(0, |e| e.1);
        assert!(n > previous, "event {n} after {previous}");
        previous = n;
    }
}

/// Flow control: while a subscriber has a quarter of its queue unread (more than the 1,024
/// at which publishers wait), [`Bus::room`] waits; once it has read them, `room` returns.
pub async fn room_waits_for_the_slowest_subscriber(cluster: &dyn Cluster) {
    let a = cluster.node().await;
    let mut slow = a.subscribe();
    let mut quick = a.subscribe();
    let publisher = origin("room");
    let quarter = u32::try_from(cluster.capacity() / 4).expect("a small capacity");
    for n in 1..=quarter {
        a.publish(numbered(&publisher, n)).await.expect("publish");
    }
    // Every event is queued for this node's subscribers once the quick one has read them all.
    for n in 1..=quarter {
        assert_eq!(next_number(&mut quick).await, n);
    }
    let room = a.room();
    tokio::pin!(room);
    assert!(
        futures_util::poll!(room.as_mut()).is_pending(),
        "room while a subscriber is a quarter of its queue behind"
    );
    for n in 1..=quarter {
        assert_eq!(next_number(&mut slow).await, n);
    }
    tokio::time::timeout(DEADLINE, room)
        .await
        .expect("room once the slow subscriber caught up");
}
