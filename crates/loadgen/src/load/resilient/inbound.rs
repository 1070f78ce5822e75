//! What a reconnecting client does with the frames it receives: acks settle its outbox,
//! messages are checked against the ledgers (and receipted), errors and `resync`s counted.

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{Client, Closed};
use crate::recovery::Recovery;
use crate::stats::micros_between;
use crate::wire::{self, Frame};

impl Client {
    pub(super) async fn on_message(
        &mut self,
        message: Option<Result<Message, WsError>>,
    ) -> Result<(), Closed> {
        match message {
            Some(Ok(Message::Text(text))) => self.on_frame(text.as_str()).await,
            Some(Ok(Message::Close(_)) | Err(_)) | None => Err(Closed),
            Some(Ok(_)) => Ok(()),
        }
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), Closed> {
        let Some(frame) = Frame::parse(text) else {
            self.rec.error("unparsable frame");
            return Ok(());
        };
        match &*frame.kind {
            "message" => return self.on_delivered(&frame).await,
            "ack" => {
                let taken = frame.client_id.as_deref().and_then(|c| self.outbox.take(c));
                if let (Some((index, m)), Some(seq)) = (taken, frame.seq) {
                    let conv = &mut self.convs[m.conv];
                    conv.ledger.acked(seq);
                    if !conv.ledger.identify(&m.client_id, seq) {
                        self.rec.error("a resend was acked with another seq");
                    }
                    conv.held.insert(seq);
                    conv.acks.push((index, seq));
                    if m.refusals > 0 {
                        conv.retried.insert(index);
                    }
                    let micros = micros_between(m.created_ns, wire::now_ns());
                    self.rec.acked(micros);
                    self.samples.ack(m.created_ns, micros);
                    if m.in_flight_at_drop {
                        Recovery::add(&self.recovery.recovered, 1);
                    }
                    return self.release().await;
                }
            }
            "assigned" => {
                if let (Some(counter), Some(id)) = (self.assigned.clone(), frame.conversation_id())
                    && !self.index.contains_key(&id)
                {
                    self.hold(&id);
                    counter.add();
                }
            }
            "resync" => {
                Recovery::add(&self.recovery.resyncs, 1);
                self.rec.error(&format!("{}: resync", self.party));
            }
            "error" => {
                // Not stored, retry later: the message stays pending ([`super::retry`]).
                if frame.code.as_deref() == Some("unavailable")
                    && let Some(id) = frame.client_id.as_deref()
                    && self.outbox.refused(id)
                {
                    self.on_refused(id);
                    return Ok(());
                }
                let label = format!("{}: {}", self.party, frame.code.as_deref().unwrap_or("?"));
                match frame.client_id.as_deref().and_then(|c| self.outbox.take(c)) {
                    Some(_) => self.rec.send_failed(&label),
                    None => self.rec.error(&label),
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn on_delivered(&mut self, frame: &Frame<'_>) -> Result<(), Closed> {
        let Some(m) = frame.delivered() else {
            self.rec.error("unparsable message");
            return Ok(());
        };
        let i = self.conv_index(&m.conversation);
        let conv = &mut self.convs[i];
        let same_id = m
            .client_id
            .as_deref()
            .is_none_or(|id| conv.ledger.identify(id, m.seq));
        if !same_id {
            self.rec.error("one client id under two seqs");
        }
        if m.from.party == self.party {
            // Our own message, echoed (live or replayed): we hold it now.
            conv.held.insert(m.seq);
            return Ok(());
        }
        if !conv.held.insert(m.seq) {
            if conv.replayable.remove(&m.seq) {
                Recovery::add(&self.recovery.replayed_again, 1);
            } else {
                conv.ledger.delivered(m.seq); // counts the duplicate
                self.rec
                    .error(&format!("{}: duplicate delivery", self.party));
            }
            return Ok(());
        }
        conv.seen = conv.seen.max(m.seq);
        if conv.ledger.delivered(m.seq) {
            let sent = wire::stamp_of(&m.text).unwrap_or(0);
            let micros = micros_between(sent, wire::now_ns());
            self.rec.delivered(micros);
            self.samples.delivery(sent, micros);
        } else {
            // Delivered to an earlier connection of this client and not held? Never.
            self.rec
                .error(&format!("{}: duplicate delivery", self.party));
        }
        let receipt = wire::receipt(&conv.id, "delivered", m.seq);
        match self.ws.as_mut() {
            Some(ws) => ws.send(receipt).await.map_err(|_| Closed),
            None => Ok(()),
        }
    }
}
