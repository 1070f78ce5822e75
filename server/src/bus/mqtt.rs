//! The cluster bus: MQTT 3.1.1 through a broker, QoS 1 (`MQTT_BROKER_HOST`).
//!
//! # Topics and payloads
//! Node `N` publishes to `<base>/events/<N>` and subscribes to `<base>/events/+`, where
//! `<base>` is `MQTT_BASE_TOPIC` (clusters sharing a broker use different ones). A payload is
//! a JSON [`Envelope`]: the publishing node's sequence number and the [`BusEvent`] (none in
//! a hello, see below).
//!
//! # Self-delivery
//! MQTT 3.1.1 has no "no local" subscription option, so the broker echoes a node's own
//! events back to it. A node hands its own events to its subscribers itself, when
//! publishing, and drops the echo by its topic: each event reaches each subscriber exactly
//! once, without a round trip through the broker, and customers and attendants on the same
//! node still chat while the broker is away.
//!
//! # Sessions and QoS
//! QoS 1 between each node and the broker. Clean sessions: each start picks a new node id
//! (and client id), so every node that ever stopped would leave a persistent session on the
//! broker queueing events for nobody; and after an outage the way back is the store, not
//! the broker's queue (see gaps). Brokers may still drop QoS 1 messages under load
//! (mosquitto's defaults do, in bursts: raise `max_queued_messages` and
//! `max_inflight_messages`); the sequence numbers reveal it.
//!
//! # Gaps
//! - Each time a node (re)subscribes, its subscribers get a gap: what was published while it
//!   was away is not coming.
//! - Each node numbers what it publishes, failed attempts included, and says hello with its
//!   current number on every (re)connection. A receiver that sees a number jump has missed
//!   events of that node (lost while the publisher was cut off, or dropped by the broker)
//!   and reports a gap. A repeated number (a QoS 1 redelivery) is dropped.
//! - An event this node cannot read (from a newer version?) is a gap too.
//!
//! # Availability
//! The connection is retried with backoff, forever, in the background. Meanwhile
//! `publish` still delivers to this node's subscribers but answers
//! [`BusError::Unavailable`] at once, and [`Bus::is_ready`] is false.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Packet, Publish, QoS,
    SubscribeReasonCode,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{BrokerAddress, Bus, BusError, BusEvent, Fanout, MqttSettings, Subscription};
use crate::backoff::Backoff;

/// A silent broker is noticed within two of these (the client pings at this interval).
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Longest a `publish` waits for room in the client's queue while the broker is slow.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(1);
/// Publishes queued for the connection task.
const REQUEST_QUEUE: usize = 4096;
/// Largest MQTT packet either way; events are a few KiB at most.
const MAX_PACKET_BYTES: usize = 1 << 20;

/// How far this node's connection to the broker is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Not connected (starting, or the broker was lost): publishing reaches no other node.
    Down,
    /// Connected: publishing reaches the other nodes; not receiving theirs yet.
    Connected,
    /// Connected and subscribed: events flow both ways.
    Subscribed,
}

/// What travels on the wire.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<E> {
    /// The publishing node's count of publish attempts (hellos included), failed ones too.
    seq: u64,
    /// `None` in a hello.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<E>,
}

/// The bus through an MQTT broker; see the module docs for the protocol. Dropping it closes
/// the connection at once: events still queued for the broker are not sent.
#[derive(Debug)]
pub struct MqttBus {
    shared: Arc<Shared>,
    /// Stops the connection task when the bus is dropped.
    _stop: DropGuard,
}

/// What the bus and its connection task share.
#[derive(Debug)]
struct Shared {
    client: AsyncClient,
    /// Random per start; in the topic this node publishes to and in its client id.
    node: String,
    /// `<base>/events/`: followed by a node id, the topic that node publishes to.
    prefix: String,
    broker: BrokerAddress,
    fanout: Fanout,
    link: watch::Sender<Link>,
    /// The sequence number last used. Held while publishing, so that numbers, local
    /// delivery and the broker's order agree.
    last_seq: Mutex<u64>,
}

impl MqttBus {
    /// Starts connecting in the background; never waits for the broker. `capacity` events
    /// may be queued per local subscriber before it lags.
    pub fn start(settings: MqttSettings, capacity: usize) -> Self {
        let node = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
        // At most 23 characters: the longest client id every MQTT 3.1.1 broker accepts.
        let client_id = format!("chimp-{node}");
        let mut options = MqttOptions::new(
            client_id,
            settings.broker.host().to_owned(),
            settings.broker.port(),
        );
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
        if let Some(username) = &settings.username {
            let password = settings.password.as_ref().map_or("", |p| p.expose_secret());
            options.set_credentials(username.expose_secret(), password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let mut network = NetworkOptions::new();
        // Events are small: without it, Nagle's algorithm and delayed ACKs hold them back
        // (40 ms each on Linux), which caps the rate at about 100 in flight per 40 ms.
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let shared = Arc::new(Shared {
            client,
            prefix: format!("{}/events/", settings.base_topic.as_str()),
            node,
            broker: settings.broker,
            fanout: Fanout::new(capacity),
            link: watch::Sender::new(Link::Down),
            last_seq: Mutex::new(0),
        });
        let stop = CancellationToken::new();
        tokio::spawn(run(eventloop, Arc::clone(&shared), stop.clone()));
        Self {
            shared,
            _stop: stop.drop_guard(),
        }
    }

    /// This node's id on the bus (random per start).
    pub fn node(&self) -> &str {
        &self.shared.node
    }

    /// The connection's state, to watch.
    pub fn link(&self) -> watch::Receiver<Link> {
        self.shared.link.subscribe()
    }
}

#[async_trait]
impl Bus for MqttBus {
    async fn publish(&self, event: BusEvent) -> Result<(), BusError> {
        self.shared.send(Some(Arc::new(event))).await
    }

    async fn room(&self) {
        self.shared.fanout.room().await;
    }

    fn subscribe(&self) -> Subscription {
        self.shared.fanout.subscribe()
    }

    fn is_ready(&self) -> bool {
        *self.shared.link.borrow() == Link::Subscribed
    }
}

impl Shared {
    /// Delivers `event` to this node's subscribers and publishes it to the others (`None`: a
    /// hello, published only).
    async fn send(&self, event: Option<Arc<BusEvent>>) -> Result<(), BusError> {
        let mut last_seq = self.last_seq.lock().await;
        *last_seq += 1;
        if let Some(event) = &event {
            self.fanout.event(Arc::clone(event));
        }
        if *self.link.borrow() == Link::Down {
            return Err(BusError::Unavailable(format!(
                "not connected to the MQTT broker {}",
                self.broker
            )));
        }
        let envelope = Envelope {
            seq: *last_seq,
            event: event.as_deref(),
        };
        let payload = serde_json::to_vec(&envelope)
            .map_err(|e| BusError::Unavailable(format!("encoding the event: {e}")))?;
        let topic = format!("{}{}", self.prefix, self.node);
        let queued = self.client.publish(topic, QoS::AtLeastOnce, false, payload);
        match tokio::time::timeout(PUBLISH_TIMEOUT, queued).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(BusError::Unavailable("the MQTT client stopped".into())),
            Err(_) => Err(BusError::Unavailable(format!(
                "the MQTT broker {} is not keeping up",
                self.broker
            ))),
        }
    }

    /// Hands an event of another node to this node's subscribers.
    fn receive(&self, publish: &Publish, senders: &mut Senders) {
        let Some(node) = publish.topic.strip_prefix(&self.prefix) else {
            return;
        };
        if node == self.node {
            // Our own echo: delivered when published.
            return;
        }
        let envelope: Envelope<BusEvent> = match serde_json::from_slice(&publish.payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(from = node, error = %e, "unreadable bus event; reporting a gap");
                self.fanout.gap();
                return;
            }
        };
        match senders.admit(node, envelope.seq) {
            Admission::Next => {}
            Admission::Repeat => return,
            Admission::AfterLoss(missed) => {
                tracing::warn!(
                    from = node,
                    missed,
                    "events of another node were lost; reporting a gap"
                );
                self.fanout.gap();
            }
        }
        if let Some(event) = envelope.event {
            self.fanout.event(Arc::new(event));
        }
    }
}

/// Drives the connection until `stop`: reconnects with backoff, subscribes and says hello
/// on every connection, reports a gap on every subscription, hands incoming events over.
async fn run(mut eventloop: EventLoop, shared: Arc<Shared>, stop: CancellationToken) {
    let mut backoff = Backoff::default();
    let mut senders = Senders::default();
    let mut attempt = 0u32;
    loop {
        let polled = tokio::select! {
            polled = eventloop.poll() => polled,
            () = stop.cancelled() => return,
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!(broker = %shared.broker, node = shared.node, "bus connected to the MQTT broker");
                attempt = 0;
                backoff = Backoff::default();
                shared.link.send_replace(Link::Connected);
                // Through the request queue, which only this task drains: queued from a task
                // of their own so that a full queue cannot block this one.
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let filter = format!("{}+", shared.prefix);
                    if let Err(e) = shared.client.subscribe(filter, QoS::AtLeastOnce).await {
                        tracing::debug!(error = %e, "bus subscription not queued");
                    }
                    if let Err(e) = shared.send(None).await {
                        tracing::debug!(error = %e, "bus hello not sent");
                    }
                });
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) {
                    tracing::error!(
                        broker = %shared.broker,
                        "the MQTT broker refused the bus subscription; check its ACL"
                    );
                    continue;
                }
                // Whatever the other nodes published while this one was not subscribed is
                // not coming; new counts start from here. The gap goes first: whoever
                // subscribes once the link is up has missed nothing.
                senders.clear();
                shared.fanout.gap();
                shared.link.send_replace(Link::Subscribed);
                tracing::info!(broker = %shared.broker, "bus subscribed: receiving the other nodes' events");
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => shared.receive(&publish, &mut senders),
            Ok(_) => {}
            Err(e) => {
                shared.link.send_replace(Link::Down);
                attempt += 1;
                let delay = backoff.next_delay();
                tracing::warn!(
                    broker = %shared.broker,
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %e,
                    "bus: MQTT broker unreachable; this node is cut off from the others"
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => return,
                }
            }
        }
    }
}

/// The last sequence number received from each other node since this node subscribed.
#[derive(Debug, Default)]
struct Senders {
    last: HashMap<String, u64>,
}

/// What to do with a received envelope.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    /// In order (or the first from that node).
    Next,
    /// Seen already (a redelivery): drop it.
    Repeat,
    /// New, but this many of that node's envelopes went missing before it.
    AfterLoss(u64),
}

impl Senders {
    fn admit(&mut self, node: &str, seq: u64) -> Admission {
        let Some(last) = self.last.get_mut(node) else {
            self.last.insert(node.to_owned(), seq);
            return Admission::Next;
        };
        if seq <= *last {
            return Admission::Repeat;
        }
        let missed = seq - *last - 1;
        *last = seq;
        match missed {
            0 => Admission::Next,
            missed => Admission::AfterLoss(missed),
        }
    }

    fn clear(&mut self) {
        self.last.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[tokio::test]
    async fn the_bus_never_shows_credentials() {
        let settings = MqttSettings::parse(
            "mqtt://127.0.0.1:9",
            Some(SecretString::from("bus-user-name")),
            Some(SecretString::from("bus-pass-word")),
            "chimpassist/demo",
        )
        .expect("valid settings");
        let bus = MqttBus::start(settings, 16);
        let shown = format!("{bus:?}");
        assert!(!shown.contains("bus-user-name"), "{shown}");
        assert!(!shown.contains("bus-pass-word"), "{shown}");
    }

    #[test]
    fn receivers_notice_missing_and_repeated_numbers() {
        let mut senders = Senders::default();
        assert_eq!(
            senders.admit("a", 7),
            Admission::Next,
            "first seen: a baseline"
        );
        assert_eq!(senders.admit("a", 8), Admission::Next);
        assert_eq!(
            senders.admit("b", 1),
            Admission::Next,
            "nodes are counted apart"
        );
        assert_eq!(senders.admit("a", 8), Admission::Repeat);
        assert_eq!(senders.admit("a", 5), Admission::Repeat);
        assert_eq!(senders.admit("a", 12), Admission::AfterLoss(3));
        assert_eq!(senders.admit("a", 13), Admission::Next);
        senders.clear();
        assert_eq!(senders.admit("a", 20), Admission::Next, "a new baseline");
    }

    #[test]
    fn envelopes_carry_the_event_or_nothing() {
        let hello = serde_json::to_string(&Envelope::<&BusEvent> {
            seq: 3,
            event: None,
        })
        .expect("encodes");
        assert_eq!(hello, r#"{"seq":3}"#);
        let back: Envelope<BusEvent> = serde_json::from_str(&hello).expect("decodes");
        assert_eq!((back.seq, back.event), (3, None));
    }
}
