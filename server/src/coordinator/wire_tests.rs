//! The cluster vocabulary on the bus: every message survives the trip through the broker's
//! JSON, and none carries more of an account than the leader needs.

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, CustomerId, CustomerPresence, Presence,
    QueueId, QueueObservations, Role, TransferTarget,
};
use chimpassist_store::{Attendant, Conversation, Customer};

use super::wire::{
    AttendantCard, ClusterMessage, Connections, NodeId, ReplicaUpdate, Request, Response,
};
use super::{CoordError, Route};
use crate::bus::BusEvent;

const HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";

fn attendant() -> Attendant {
    Attendant {
        id: AttendantId::parse("ada").expect("id"),
        email: "ada.login@example.com".into(),
        name: "Ada".into(),
        avatar_url: Some("https://example.com/ada.png".into()),
        role: Role::Admin,
        skill: "support/firstLevel".into(),
        queues: vec![QueueId::default_queue()],
        capacity: 3,
        disabled: false,
        password_hash: Some(HASH.into()),
        must_change_password: true,
        created_at: 1_700_000_000_000,
    }
}

fn customer() -> Customer {
    Customer {
        id: CustomerId::parse("grace").expect("id"),
        external_id: Some("shop-42".into()),
        verified: true,
        profile_verified: false,
        name: "Grace \"G\" Hopper".into(),
        avatar_url: None,
        email: Some("grace@example.com".into()),
        created_at: 1_700_000_000_000,
    }
}

fn view() -> chimpassist_protocol::ConversationView {
    let record = Conversation {
        id: ConversationId::from(uuid::Uuid::from_u128(7)),
        customer_id: customer().id,
        queue_id: QueueId::default_queue(),
        status: ConversationStatus::Assigned,
        attendant_id: Some(attendant().id),
        requested_at: 1,
        assigned_at: Some(2),
        ended_at: None,
        last_seq: 4,
        rating: None,
        subject: Some("my order".into()),
    };
    let by = AttendantCard::from(&attendant()).public();
    crate::views::conversation_view(&record, &customer(), Some(by), CustomerPresence::Active)
}

/// A request of every kind, as a follower sends it to the leader.
fn requests() -> Vec<Request> {
    let (ada, conversation) = (attendant().id, view().id);
    let node = NodeId::from_lease("n1".into());
    let attendant_entry = Connections::Attendant {
        attendant: ada.clone(),
        count: 2,
        presence: Presence::Online,
    };
    vec![
        Request::StartChat {
            customer: crate::views::customer_view(&customer()),
            queue: QueueId::default_queue(),
            subject: Some("my order".into()),
            client: Some("192.0.2.1".parse().expect("ip")),
        },
        Request::EndChat {
            customer: customer().id,
            conversation,
        },
        Request::CustomerPresence {
            customer: customer().id,
            state: CustomerPresence::Inactive,
        },
        Request::CustomerWrote { conversation },
        Request::Rated { conversation },
        Request::AttendantConnected {
            node: node.clone(),
            entry: attendant_entry.clone(),
        },
        Request::SetPresence {
            attendant: ada.clone(),
            presence: Presence::Away,
        },
        Request::AttendantReplied {
            attendant: ada.clone(),
            conversation,
        },
        Request::NextCustomer {
            attendant: ada.clone(),
            queue: None,
        },
        Request::Transfer {
            by: ada.clone(),
            conversation,
            to: TransferTarget::Queue(QueueId::default_queue()),
        },
        Request::Resolve {
            by: ada.clone(),
            conversation,
        },
        Request::Reopen {
            by: ada.clone(),
            conversation,
        },
        Request::AttendantChanged {
            attendant: AttendantCard::from(&attendant()),
        },
        Request::Connections {
            node: node.clone(),
            entry: Connections::Customer {
                customer: crate::views::customer_view(&customer()),
                count: 1,
                presence: CustomerPresence::Active,
            },
        },
        Request::NodeSnapshot {
            node: node.clone(),
            first: true,
            last: true,
            entries: vec![attendant_entry],
        },
        Request::Alive { node },
        Request::ReplicaWanted,
    ]
}

fn responses() -> Vec<Response> {
    vec![
        Response::Done,
        Response::Conversation {
            conversation: Box::new(view()),
        },
        Response::Presence {
            presence: Presence::Online,
        },
        Response::Welcome {
            presence: Presence::Online,
            conversations: vec![view()],
        },
        Response::Failed {
            error: CoordError::QueueEmpty.into(),
        },
        Response::NotLeader,
    ]
}

/// Every message of the vocabulary, each request and answer included once.
fn messages() -> Vec<ClusterMessage> {
    let (a, b) = (
        NodeId::from_lease("n1".into()),
        NodeId::from_lease("n2".into()),
    );
    let mut all: Vec<_> = requests()
        .into_iter()
        .map(|request| ClusterMessage::Request {
            from: a.clone(),
            to: b.clone(),
            id: Some(7),
            request: Box::new(request),
        })
        .chain(
            responses()
                .into_iter()
                .map(|response| ClusterMessage::Reply {
                    to: a.clone(),
                    id: 7,
                    response,
                }),
        )
        .collect();
    all.push(ClusterMessage::Leader {
        node: b.clone(),
        term: 3,
        epoch: 1,
    });
    all.push(ClusterMessage::Replica {
        from: b,
        term: 3,
        reset: true,
        updates: vec![
            ReplicaUpdate::Route {
                conversation: view().id,
                route: Some(Route {
                    customer: customer().id,
                    attendant: Some(attendant().id),
                    status: ConversationStatus::Active,
                    bot: Some("Chimpbot".into()),
                }),
            },
            ReplicaUpdate::Customer {
                customer: customer().id,
                presence: CustomerPresence::Gone,
            },
            ReplicaUpdate::Attendant {
                attendant: attendant().id,
                presence: Presence::Away,
            },
            ReplicaUpdate::Queue {
                queue: QueueId::default_queue(),
                observations: QueueObservations::default(),
                ewt_seconds: 30,
            },
        ],
    });
    all
}

/// As the broker carries it: the whole bus event as JSON bytes.
fn through_the_broker(message: &ClusterMessage) -> ClusterMessage {
    let event = message.to_event().expect("encodes");
    let bytes = serde_json::to_vec(&event).expect("serialises");
    match serde_json::from_slice::<BusEvent>(&bytes).expect("deserialises") {
        BusEvent::Cluster { message } => ClusterMessage::parse(&message).expect("parses"),
        other => panic!("not a cluster event: {other:?}"),
    }
}

#[test]
fn every_cluster_message_survives_the_broker() {
    for message in messages() {
        assert_eq!(through_the_broker(&message), message);
    }
}

/// Every JSON object key in `json`, at any depth.
fn keys(json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                out.push(key.clone());
                keys(value, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn no_cluster_message_carries_a_password_hash_or_a_login() {
    let carrying_an_attendant = messages();
    assert!(
        carrying_an_attendant.iter().any(|m| matches!(
            m,
            ClusterMessage::Request { request, .. }
                if matches!(**request, Request::AttendantChanged { .. })
        )),
        "the attendant's own record is among the samples"
    );
    for message in carrying_an_attendant {
        let event = serde_json::to_value(message.to_event().expect("encodes")).expect("json");
        let text = event.to_string();
        assert!(
            !text.contains("argon2"),
            "a hash crosses the broker: {text}"
        );
        assert!(!text.contains(HASH), "a hash crosses the broker: {text}");
        assert!(
            !text.contains("ada.login"),
            "a login crosses the broker: {text}"
        );
        let mut found = Vec::new();
        keys(&event, &mut found);
        for key in found.iter().map(|k| k.to_lowercase()) {
            assert!(
                !key.contains("password") && !key.contains("hash") && !key.contains("must_change"),
                "field `{key}` crosses the broker: {text}"
            );
        }
    }
}
