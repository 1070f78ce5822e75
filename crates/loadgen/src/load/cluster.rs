//! Two `chimpassist serve` nodes sharing one SecantusDB and one mosquitto, all children of
//! the load generator ([`crate::engines`], [`crate::target`]): started, waited on until both
//! are ready and name the same coordinating node, watched through `/readyz` during a fault,
//! and stopped.
//!
//! Customers connect to node 1 and attendants to node 2 ([`Cluster::sides`]), so every
//! message, ack aside, crosses the broker.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use tokio::time::Instant;

use crate::cli::{Args, Kind};
use crate::engines::{Engine, Which};
use crate::target::{Backing, Sides, Target};
use crate::wire;

/// The coordinator lease of the nodes: a lost leader is replaced within about this long.
pub(crate) const LEASE_MS: u64 = 2_000;
/// How long the nodes may take to be ready and agree on a leader.
const AGREE: Duration = Duration::from_secs(60);
/// A `/readyz` may take the server's 2 s store ping; a probe gives up a little later.
const PROBE: Duration = Duration::from_secs(3);

/// One node's `/readyz`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Readiness {
    /// HTTP status (0: no answer).
    pub(crate) status: u16,
    /// Its own id and the leader's, when ready.
    pub(crate) node: Option<String>,
    pub(crate) leader: Option<String>,
    pub(crate) term: Option<u64>,
}

impl Readiness {
    pub(crate) fn ready(&self) -> bool {
        self.status == 200
    }

    fn parse(status: u16, body: &str) -> Self {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |key: &str| json[key].as_str().map(str::to_owned);
        Self {
            status,
            node: text("node"),
            leader: text("leader"),
            term: json["term"].as_u64(),
        }
    }
}

/// Who coordinates: node 1 or 2, its id and lease term.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Leadership {
    pub(crate) node: usize,
    pub(crate) id: String,
    pub(crate) term: Option<u64>,
}

impl std::fmt::Display for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let term = self.term.map_or_else(|| "?".into(), |t| t.to_string());
        write!(f, "node {} ({}, term {term})", self.node, self.id)
    }
}

/// What a cluster run reports besides the usual: where each side was and who led.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClusterReport {
    pub(crate) customers_port: u16,
    pub(crate) attendants_port: u16,
    pub(crate) leader_at_start: Leadership,
    /// At the end of the run (`None`: the nodes did not agree by then).
    pub(crate) leader_at_end: Option<Leadership>,
}

impl ClusterReport {
    pub(crate) fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let end = self.leader_at_end.as_ref().map_or_else(
            || "no agreement at the end".to_owned(),
            |l| format!("at the end {l}"),
        );
        let _ = writeln!(
            out,
            "cluster     customers on node 1 (port {}), attendants on node 2 (port {}): every \
             message crosses mosquitto\n            leader at the start {}, {end}\n            \
             ceiling: SecantusDB (a Python MongoDB server) stores ~200–300 transactional \
             appends/s here; these figures are not MongoDB's",
            self.customers_port, self.attendants_port, self.leader_at_start
        );
    }
}

/// The running cluster.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) mongo: Engine,
    pub(crate) broker: Engine,
    /// Node 1 (customers), node 2 (attendants).
    pub(crate) nodes: Vec<Target>,
}

impl Cluster {
    /// Starts SecantusDB, mosquitto and node 1, then node 2 (one at a time: node 1 creates
    /// the first admin in the empty database), and waits until both agree on a leader.
    pub(crate) async fn start(args: &Args) -> anyhow::Result<(Self, Leadership)> {
        let mongo = Engine::launch(Which::Secantus, &args.secantusd).await?;
        let broker = Engine::launch(Which::Mosquitto, &args.mosquitto).await?;
        let backing = Backing {
            mongo_url: format!("mongodb://127.0.0.1:{}/?retryWrites=false", mongo.port),
            database: "chimpassist_load".into(),
            mqtt_url: format!("mqtt://127.0.0.1:{}", broker.port),
            topic: format!("chimpassist-load/{}", uuid::Uuid::new_v4().simple()),
            lease_ms: LEASE_MS,
        };
        let mut cluster = Self {
            mongo,
            broker,
            nodes: Vec::new(),
        };
        for n in 1..=2 {
            match Target::spawn_with(Kind::Chimp, args, Some(backing.clone())).await {
                Ok(node) => cluster.nodes.push(node),
                Err(e) => {
                    let tails = cluster.log_tails(20);
                    cluster.stop().await;
                    return Err(e.context(format!("starting node {n}\n{tails}")));
                }
            }
        }
        match cluster.agree(AGREE).await {
            Ok(leader) => Ok((cluster, leader)),
            Err(e) => {
                let tails = cluster.log_tails(20);
                cluster.stop().await;
                Err(e.context(tails))
            }
        }
    }

    /// Customers on node 1, attendants (and their REST setup) on node 2.
    pub(crate) fn sides(&self) -> Sides {
        Sides {
            kind: Kind::Chimp,
            rest: self.nodes[1].port,
            customers: self.nodes[0].port,
            attendants: self.nodes[1].port,
            pids: self.nodes.iter().map(|n| n.pid).collect(),
            engines: [&self.mongo, &self.broker]
                .iter()
                .filter_map(|e| e.pid())
                .collect(),
        }
    }

    pub(crate) fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// Waits (at most `within`) until every node is ready and names the same leader.
    pub(crate) async fn agree(&self, within: Duration) -> anyhow::Result<Leadership> {
        let deadline = Instant::now() + within;
        let client = probe_client()?;
        loop {
            let mut all = Vec::new();
            for port in self.ports() {
                all.push(readiness(&client, port).await);
            }
            if let Some(leader) = agreed(&all) {
                return Ok(leader);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the nodes did not agree on a leader within {within:?}: {all:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Each node's and engine's last log lines, labelled.
    pub(crate) fn log_tails(&self, lines: usize) -> String {
        let mut out = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            out.push_str(&format!(
                "--- node {} (port {}) log:\n{}\n",
                i + 1,
                node.port,
                node.log_tail(lines)
            ));
        }
        for engine in [&self.mongo, &self.broker] {
            out.push_str(&format!(
                "--- {} log:\n{}\n",
                engine.which.as_str(),
                engine.log_tail(lines)
            ));
        }
        out
    }

    /// Lines the nodes logged (warnings and errors).
    pub(crate) fn log_lines(&self) -> usize {
        self.nodes.iter().map(Target::log_lines).sum()
    }

    /// Stops the nodes, then the engines (SecantusDB by SIGTERM, so it closes its files).
    pub(crate) async fn stop(mut self) {
        for node in self.nodes.drain(..) {
            node.stop().await;
        }
        for engine in [&mut self.mongo, &mut self.broker] {
            if engine.pid().is_some()
                && let Err(e) = engine.stop("TERM").await
            {
                eprintln!("warning: stopping {}: {e:#}", engine.which.as_str());
            }
        }
    }
}

/// The leader every node names, if they are all ready and agree.
pub(crate) fn agreed(all: &[Readiness]) -> Option<Leadership> {
    let leader = all.first()?.leader.clone()?;
    if !all
        .iter()
        .all(|r| r.ready() && r.leader.as_deref() == Some(&*leader))
    {
        return None;
    }
    let node = all
        .iter()
        .position(|r| r.node.as_deref() == Some(&*leader))?
        + 1;
    Some(Leadership {
        node,
        id: leader,
        term: all[node - 1].term,
    })
}

fn probe_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(PROBE)
        .build()
        .context("building an HTTP client")
}

/// `GET /readyz` of the node on `port` (status 0 when it does not answer).
async fn readiness(client: &reqwest::Client, port: u16) -> Readiness {
    let url = format!("http://127.0.0.1:{port}/readyz");
    match client.get(url).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            Readiness::parse(status, &response.text().await.unwrap_or_default())
        }
        Err(_) => Readiness::default(),
    }
}

/// Every change of a node's `/readyz` status or leader, as `(instant ns, node 1-based,
/// readiness)`, polled every `every` until stopped.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadyLog(Arc<Mutex<Vec<(u64, usize, Readiness)>>>);

impl ReadyLog {
    /// Polls `ports` (all at once, every `every` plus the slowest answer) until the returned
    /// task is aborted.
    pub(crate) fn watch(&self, ports: Vec<u16>, every: Duration) -> tokio::task::JoinHandle<()> {
        let log = self.clone();
        tokio::spawn(async move {
            let Ok(client) = probe_client() else { return };
            let mut last: Vec<Option<Readiness>> = vec![None; ports.len()];
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                // At once: a node whose store ping hangs (2 s) must not delay the other's.
                let all = futures_util::future::join_all(
                    ports.iter().map(|&port| readiness(&client, port)),
                )
                .await;
                for (i, now) in all.into_iter().enumerate() {
                    let changed = last[i]
                        .as_ref()
                        .is_none_or(|l| l.status != now.status || l.leader != now.leader);
                    if changed {
                        log.push(wire::now_ns(), i + 1, now.clone());
                        last[i] = Some(now);
                    }
                }
            }
        })
    }

    fn push(&self, at_ns: u64, node: usize, r: Readiness) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((at_ns, node, r));
    }

    pub(crate) fn entries(&self) -> Vec<(u64, usize, Readiness)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(node: &str, leader: &str) -> Readiness {
        Readiness::parse(
            200,
            &format!(
                r#"{{"status":"ready","node":"{node}","leader":"{leader}","term":3,"leading":false}}"#
            ),
        )
    }

    #[test]
    fn the_nodes_agree_when_both_are_ready_and_name_one_leader() {
        let both = [ready("a", "b"), ready("b", "b")];
        let leader = agreed(&both).expect("agreed");
        assert_eq!(
            (leader.node, leader.id.as_str(), leader.term),
            (2, "b", Some(3))
        );
        assert!(agreed(&[ready("a", "a"), ready("b", "b")]).is_none());
        let down = Readiness::parse(503, r#"{"status":"store unavailable"}"#);
        assert!(!down.ready() && down.leader.is_none());
        assert!(agreed(&[ready("a", "a"), down]).is_none());
        assert!(agreed(&[]).is_none());
    }
}
