//! Which node holds how many sockets of whom, as the leader last heard it.
//!
//! Nodes report absolute counts (see [`super::wire::Connections`]), so a repeated or
//! re-sent report changes nothing; a snapshot replaces everything a node reported before; a
//! node that falls silent is forgotten with its sockets. Every change comes back as the
//! difference it makes to the cluster-wide total of that customer or attendant, which is
//! what the actor's model counts. No I/O here.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use chimpassist_protocol::{AttendantId, CustomerId};
use tokio::time::Instant;

use super::wire::NodeId;

#[derive(Debug)]
struct Node {
    last_heard: Instant,
    customers: HashMap<CustomerId, u32>,
    attendants: HashMap<AttendantId, u32>,
    /// Entries confirmed by the snapshot in progress, if one is.
    snapshot: Option<(HashSet<CustomerId>, HashSet<AttendantId>)>,
}

impl Node {
    fn new(now: Instant) -> Self {
        Self {
            last_heard: now,
            customers: HashMap::new(),
            attendants: HashMap::new(),
            snapshot: None,
        }
    }
}

/// Sockets per node; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct NodeTable {
    nodes: HashMap<NodeId, Node>,
}

/// Cluster-wide changes: how many sockets each customer and attendant gained (or lost).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub(crate) customers: Vec<(CustomerId, i64)>,
    pub(crate) attendants: Vec<(AttendantId, i64)>,
}

fn set<K: Eq + Hash + Clone>(counts: &mut HashMap<K, u32>, key: &K, count: u32) -> i64 {
    let old = if count == 0 {
        counts.remove(key)
    } else {
        counts.insert(key.clone(), count)
    };
    i64::from(count) - i64::from(old.unwrap_or(0))
}

impl NodeTable {
    fn node(&mut self, node: &NodeId, now: Instant) -> &mut Node {
        let entry = self
            .nodes
            .entry(node.clone())
            .or_insert_with(|| Node::new(now));
        entry.last_heard = entry.last_heard.max(now);
        entry
    }

    /// Something arrived from `node`: it is alive.
    pub(crate) fn heard(&mut self, node: &NodeId, now: Instant) {
        self.node(node, now);
    }

    /// Treats every node as heard now (the leader could not hear anyone for a while).
    pub(crate) fn heard_all(&mut self, now: Instant) {
        for node in self.nodes.values_mut() {
            node.last_heard = now;
        }
    }

    /// `node` holds `count` sockets of `customer`; the difference to the total.
    pub(crate) fn set_customer(
        &mut self,
        node: &NodeId,
        customer: &CustomerId,
        count: u32,
        now: Instant,
    ) -> i64 {
        let n = self.node(node, now);
        if let Some((seen, _)) = &mut n.snapshot {
            seen.insert(customer.clone());
        }
        set(&mut n.customers, customer, count)
    }

    pub(crate) fn set_attendant(
        &mut self,
        node: &NodeId,
        attendant: &AttendantId,
        count: u32,
        now: Instant,
    ) -> i64 {
        let n = self.node(node, now);
        if let Some((_, seen)) = &mut n.snapshot {
            seen.insert(attendant.clone());
        }
        set(&mut n.attendants, attendant, count)
    }

    /// A snapshot of `node` begins: what its parts do not name is gone at [`Self::end_snapshot`].
    pub(crate) fn begin_snapshot(&mut self, node: &NodeId, now: Instant) {
        self.node(node, now).snapshot = Some(Default::default());
    }

    /// The snapshot of `node` is complete: drops what it did not name.
    pub(crate) fn end_snapshot(&mut self, node: &NodeId, now: Instant) -> Changes {
        let n = self.node(node, now);
        let Some((customers, attendants)) = n.snapshot.take() else {
            return Changes::default();
        };
        let mut changes = Changes::default();
        n.customers.retain(|id, count| {
            let keep = customers.contains(id);
            if !keep {
                changes.customers.push((id.clone(), -i64::from(*count)));
            }
            keep
        });
        n.attendants.retain(|id, count| {
            let keep = attendants.contains(id);
            if !keep {
                changes.attendants.push((id.clone(), -i64::from(*count)));
            }
            keep
        });
        changes
    }

    /// Nodes other than `me` not heard from for `timeout`.
    pub(crate) fn silent(&self, me: &NodeId, now: Instant, timeout: Duration) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(id, n)| *id != me && now.duration_since(n.last_heard) >= timeout)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Forgets `node` and every socket it held.
    pub(crate) fn forget(&mut self, node: &NodeId) -> Changes {
        let Some(n) = self.nodes.remove(node) else {
            return Changes::default();
        };
        Changes {
            customers: n
                .customers
                .into_iter()
                .map(|(id, c)| (id, -i64::from(c)))
                .collect(),
            attendants: n
                .attendants
                .into_iter()
                .map(|(id, c)| (id, -i64::from(c)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str) -> CustomerId {
        CustomerId::parse(id).unwrap()
    }

    fn a(id: &str) -> AttendantId {
        AttendantId::parse(id).unwrap()
    }

    #[test]
    fn absolute_counts_make_repeated_reports_harmless() {
        let mut table = NodeTable::default();
        let (n1, n2) = (NodeId::random(), NodeId::random());
        let now = Instant::now();
        assert_eq!(table.set_customer(&n1, &c("grace"), 1, now), 1);
        assert_eq!(table.set_customer(&n1, &c("grace"), 1, now), 0, "repeated");
        assert_eq!(table.set_customer(&n1, &c("grace"), 2, now), 1);
        assert_eq!(
            table.set_customer(&n2, &c("grace"), 1, now),
            1,
            "another node"
        );
        assert_eq!(table.set_customer(&n1, &c("grace"), 0, now), -2);
        assert_eq!(table.set_customer(&n1, &c("grace"), 0, now), 0);
    }

    #[test]
    fn a_snapshot_drops_what_it_does_not_name() {
        let mut table = NodeTable::default();
        let node = NodeId::random();
        let now = Instant::now();
        table.set_customer(&node, &c("kept"), 1, now);
        table.set_customer(&node, &c("dropped"), 2, now);
        table.set_attendant(&node, &a("ada"), 1, now);
        table.begin_snapshot(&node, now);
        assert_eq!(table.set_customer(&node, &c("kept"), 1, now), 0);
        assert_eq!(table.set_customer(&node, &c("new"), 1, now), 1);
        let changes = table.end_snapshot(&node, now);
        assert_eq!(changes.customers, vec![(c("dropped"), -2)]);
        assert_eq!(changes.attendants, vec![(a("ada"), -1)]);
        assert_eq!(
            table.end_snapshot(&node, now),
            Changes::default(),
            "nothing in progress"
        );
    }

    #[test]
    fn a_silent_node_is_found_and_forgotten_with_its_sockets() {
        let mut table = NodeTable::default();
        let (me, other) = (NodeId::random(), NodeId::random());
        let start = Instant::now();
        table.set_attendant(&me, &a("ada"), 1, start);
        table.set_attendant(&other, &a("bob"), 2, start);
        let later = start + Duration::from_secs(10);
        assert!(table.silent(&me, later, Duration::from_secs(30)).is_empty());
        assert_eq!(
            table.silent(&me, later, Duration::from_secs(5)),
            vec![other.clone()],
            "never this node itself"
        );
        table.heard_all(later);
        assert!(table.silent(&me, later, Duration::from_secs(5)).is_empty());
        let changes = table.forget(&other);
        assert_eq!(changes.attendants, vec![(a("bob"), -2)]);
        assert_eq!(table.forget(&other), Changes::default());
    }
}
