//! This node's sockets: counted per customer and attendant, reported to the leader as
//! absolute counts, and all at once in a snapshot when the leader may lack them.

use chimpassist_protocol::{AttendantId, CustomerId, CustomerView};

use super::{SNAPSHOT_PART, Sent, Shared};
use crate::coordinator::wire::{Connections, Request, Response};

impl Shared {
    // --- this node's sockets ---------------------------------------------------------------

    pub(crate) async fn customer_connected(&self, customer: CustomerView) {
        let mut outbox = self.outbox.lock().await;
        let entry = outbox
            .customers
            .entry(customer.id.clone())
            .or_insert_with(|| (customer.clone(), 0));
        entry.0 = customer;
        entry.1 += 1;
        let request = self.customer_report(&entry.0, entry.1);
        self.tell_locked(&mut outbox, request).await;
    }

    pub(crate) async fn customer_disconnected(&self, customer: &CustomerId) {
        let mut outbox = self.outbox.lock().await;
        let Some((record, count)) = outbox.customers.get_mut(customer) else {
            return;
        };
        *count = count.saturating_sub(1);
        let request = self.customer_report(record, *count);
        if *count == 0 {
            outbox.customers.remove(customer);
        }
        self.tell_locked(&mut outbox, request).await;
    }

    fn customer_report(&self, customer: &CustomerView, count: u32) -> Request {
        Request::Connections {
            node: self.me.clone(),
            entry: Connections::Customer {
                presence: self.replica.customer(&customer.id),
                customer: customer.clone(),
                count,
            },
        }
    }

    /// Counts an attendant's new socket and asks for its welcome. The report is rebuilt
    /// from the current count whenever it is sent again.
    pub(crate) async fn attendant_connected(&self, attendant: &AttendantId) -> Response {
        *self
            .outbox
            .lock()
            .await
            .attendants
            .entry(attendant.clone())
            .or_insert(0) += 1;
        self.call_with(|outbox| Request::AttendantConnected {
            node: self.me.clone(),
            entry: Connections::Attendant {
                presence: self.replica.attendant(attendant),
                attendant: attendant.clone(),
                count: outbox.attendants.get(attendant).copied().unwrap_or(0),
            },
        })
        .await
    }

    pub(crate) async fn attendant_disconnected(&self, attendant: &AttendantId) {
        let mut outbox = self.outbox.lock().await;
        let Some(count) = outbox.attendants.get_mut(attendant) else {
            return;
        };
        *count = count.saturating_sub(1);
        let request = Request::Connections {
            node: self.me.clone(),
            entry: Connections::Attendant {
                presence: self.replica.attendant(attendant),
                attendant: attendant.clone(),
                count: *count,
            },
        };
        if *count == 0 {
            outbox.attendants.remove(attendant);
        }
        self.tell_locked(&mut outbox, request).await;
    }

    /// Sends everything this node holds to the leader, in parts.
    pub(crate) async fn send_snapshot(&self) {
        let mut outbox = self.outbox.lock().await;
        let mut entries: Vec<Connections> = outbox
            .customers
            .values()
            .map(|(c, n)| Connections::Customer {
                presence: self.replica.customer(&c.id),
                customer: c.clone(),
                count: *n,
            })
            .collect();
        entries.extend(
            outbox
                .attendants
                .iter()
                .map(|(a, n)| Connections::Attendant {
                    presence: self.replica.attendant(a),
                    attendant: a.clone(),
                    count: *n,
                }),
        );
        let parts: Vec<Vec<Connections>> = if entries.is_empty() {
            vec![Vec::new()]
        } else {
            entries
                .chunks(SNAPSHOT_PART)
                .map(<[Connections]>::to_vec)
                .collect()
        };
        let count = parts.len();
        outbox.dirty = false;
        for (i, entries) in parts.into_iter().enumerate() {
            let request = Request::NodeSnapshot {
                node: self.me.clone(),
                first: i == 0,
                last: i + 1 == count,
                entries,
            };
            match self.hand_on(request, false).await {
                Sent::Told | Sent::Waiting(..) => {}
                Sent::NoLeader | Sent::Unreachable(_) => {
                    outbox.dirty = true;
                    return;
                }
            }
        }
    }
}
