//! Command-line flags of `chimpassist-load`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// Capacity benchmark of Chimp Assist: spawns the server (and the bare relay baseline) on a
/// free loopback port with a fresh data directory, drives a scenario against each, and prints
/// connect rate, memory per socket, throughput, latency, errors, lost and duplicated messages.
#[derive(Debug, Clone, Parser, Serialize)]
#[command(name = "chimpassist-load", version, about)]
pub(crate) struct Args {
    /// What to drive: `idle` sockets, steady `chat`, max-throughput `burst`, connection
    /// `churn`, or a fault during `chat` (server only): `kill` (SIGKILL and restart at half
    /// time), `cut` (a proxy drops every connection for `--outage` s), `flood` (one extra
    /// customer floods `send` frames in the middle third). `rush` (server only): the
    /// `--attendants` (each holding `--capacity` chats) come online, then `--customers` chat
    /// requests arrive within `--ramp` s, then `chat` for `--duration` s; it reports state
    /// frames per attendant per second, sockets cut, assignments delivered and the time until
    /// every request is assigned or shown its queue position. With `--cluster` only: `broker`
    /// (mosquitto killed at a third of the run for `--outage` s) and `mongo` (SecantusDB
    /// stopped at a third of the run for `--outage` s).
    #[arg(long, value_enum, default_value_t = Scenario::Chat)]
    pub(crate) scenario: Scenario,
    /// Run two server nodes over one SecantusDB and one mosquitto (all started here, on
    /// free ports) instead of one server: customers connect to node 1, attendants to node 2,
    /// so every message crosses the broker. Scenarios `chat`, `burst`, `rush`, `broker`,
    /// `mongo`; no relay baseline (it has no nodes).
    #[arg(long)]
    pub(crate) cluster: bool,
    /// SecantusDB's server, for `--cluster` (`cargo xtask setup` installs it).
    #[arg(
        long,
        env = "CHIMPASSIST_SECANTUSD",
        default_value = "target/tools/secantus/bin/secantusd-py"
    )]
    pub(crate) secantusd: PathBuf,
    /// The MQTT broker, for `--cluster` (Debian's `mosquitto`).
    #[arg(
        long,
        env = "CHIMPASSIST_MOSQUITTO",
        default_value = "/usr/sbin/mosquitto"
    )]
    pub(crate) mosquitto: PathBuf,
    /// Customer sockets (for `churn`: most cycles in flight at once).
    #[arg(long, default_value_t = 100)]
    pub(crate) customers: usize,
    /// Attendant sockets; each holds ceil(customers / attendants) conversations (<= 100,
    /// the server's capacity limit), or `--capacity` in `rush`.
    #[arg(long, default_value_t = 10)]
    pub(crate) attendants: usize,
    /// `rush`: conversations each attendant holds (1..=100; default 10). Requests beyond
    /// attendants × capacity wait in the queue and are shown their position.
    #[arg(long)]
    pub(crate) capacity: Option<usize>,
    /// `rush`: seconds over which the customers connect and ask for a chat, evenly.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) ramp: f64,
    /// Seconds of steady load (for `idle`: seconds to hold the sockets open).
    #[arg(long, default_value_t = 10)]
    pub(crate) duration: u64,
    /// `chat`, `rush`: messages per second per conversation in each direction.
    /// `churn`: new customer cycles per second.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) rate: f64,
    /// `burst`: unacked messages each customer keeps in flight.
    #[arg(long, default_value_t = 8)]
    pub(crate) window: usize,
    /// Which system to measure; `both` runs the server, then the relay, and prints ratios.
    #[arg(long, value_enum, default_value_t = TargetSel::Both)]
    pub(crate) target: TargetSel,
    /// The Chimp Assist server binary.
    #[arg(long, default_value = "target/release/chimpassist")]
    pub(crate) server_bin: PathBuf,
    /// The baseline relay binary.
    #[arg(long, default_value = "target/release/chimpassist-relay")]
    pub(crate) relay_bin: PathBuf,
    /// Also write every result as JSON here (to compare runs).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Bind client sockets to 127.0.0.2 … 127.0.0.(K+1) in turn, so more than one
    /// ephemeral-port range (~28k) is available and the kernel's free-port search stays
    /// short (with one source, connecting slows down 3x as the range fills); 0 lets the
    /// kernel pick 127.0.0.1.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=250))]
    pub(crate) sources: u8,
    /// Connection handshakes in flight at once while opening sockets.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: usize,
    /// `idle`: client processes to spread the sockets over (0 = one per 8,000 sockets), so
    /// the load generator's own open-files limit is never the cap.
    #[arg(long, default_value_t = 0)]
    pub(crate) workers: usize,
    /// Seconds to wait at the end for acked messages still in flight to be delivered before
    /// counting the missing ones as lost.
    #[arg(long, default_value_t = 5)]
    pub(crate) drain: u64,
    /// `cut`: seconds the proxy refuses connections after cutting them all (at most 25,
    /// below the server's 30 s attendant keep-alive, so conversations stay assigned).
    /// `broker`, `mongo`: seconds the engine stays down (it must be back before the end).
    #[arg(long, default_value_t = 5)]
    pub(crate) outage: u64,
    /// `flood`: the server's per-connection frame limit, per second (its default is 20;
    /// every other scenario lifts it to 100,000).
    #[arg(long, default_value_t = 20)]
    pub(crate) rate_limit: u32,
    /// Extra arguments for `chimpassist serve` (repeat the flag), e.g.
    /// `--server-arg=--heartbeat-seconds=30`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub(crate) server_args: Vec<String>,

    /// Internal: run as an `idle` worker process (started by the load generator itself).
    #[arg(long, hide = true)]
    #[serde(skip)]
    pub(crate) worker: bool,
    /// Internal: port of the target, for a worker.
    #[arg(long, hide = true, default_value_t = 0)]
    #[serde(skip)]
    pub(crate) worker_port: u16,
    /// Internal: which target kind a worker talks to.
    #[arg(long, hide = true, value_enum, default_value_t = Kind::Chimp)]
    #[serde(skip)]
    pub(crate) worker_kind: Kind,
    /// Internal: global index of a worker's first socket.
    #[arg(long, hide = true, default_value_t = 0)]
    #[serde(skip)]
    pub(crate) worker_first: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scenario {
    Idle,
    Chat,
    Burst,
    Churn,
    Kill,
    Cut,
    Flood,
    Broker,
    Mongo,
    Rush,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TargetSel {
    Chimp,
    Relay,
    Both,
}

impl Scenario {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Chat => "chat",
            Self::Burst => "burst",
            Self::Churn => "churn",
            Self::Kill => "kill",
            Self::Cut => "cut",
            Self::Flood => "flood",
            Self::Broker => "broker",
            Self::Mongo => "mongo",
            Self::Rush => "rush",
        }
    }

    /// Runs against the server only: a fault (the relay keeps nothing to recover), or
    /// `rush` (the relay has no queue, no assignment and no state frames to count).
    pub(crate) fn server_only(self) -> bool {
        self.is_fault() || self == Self::Rush
    }

    /// A fault during chat: needs the server's persistence, so it runs on the server only.
    pub(crate) fn is_fault(self) -> bool {
        matches!(
            self,
            Self::Kill | Self::Cut | Self::Flood | Self::Broker | Self::Mongo
        )
    }

    /// An engine of the cluster goes down for `--outage` s.
    pub(crate) fn is_outage(self) -> bool {
        matches!(self, Self::Broker | Self::Mongo)
    }
}

/// A system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Chimp,
    Relay,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Chimp => "chimp",
            Self::Relay => "relay",
        }
    }
}

impl Args {
    /// The targets to run, in order.
    pub(crate) fn kinds(&self) -> Vec<Kind> {
        if self.scenario.server_only() || self.cluster {
            return vec![Kind::Chimp];
        }
        match self.target {
            TargetSel::Chimp => vec![Kind::Chimp],
            TargetSel::Relay => vec![Kind::Relay],
            TargetSel::Both => vec![Kind::Chimp, Kind::Relay],
        }
    }

    /// Conversations per attendant: `--capacity` in `rush` (10 by default), otherwise enough
    /// for every customer to be assigned at once.
    pub(crate) fn capacity(&self) -> usize {
        match self.scenario {
            Scenario::Rush => self.capacity.unwrap_or(10),
            _ => self.customers.div_ceil(self.attendants.max(1)),
        }
    }

    /// Refuses settings that cannot run, before anything is spawned.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.customers > 0, "--customers must be at least 1");
        anyhow::ensure!(self.duration > 0, "--duration must be at least 1 second");
        anyhow::ensure!(self.concurrency > 0, "--concurrency must be at least 1");
        if self.scenario != Scenario::Idle {
            anyhow::ensure!(self.attendants > 0, "--attendants must be at least 1");
            anyhow::ensure!(
                self.scenario == Scenario::Rush || self.capacity() <= 100,
                "{} customers over {} attendants is {} conversations each; the server allows \
                 at most 100: raise --attendants",
                self.customers,
                self.attendants,
                self.capacity()
            );
        }
        if self.cluster || self.scenario.is_outage() {
            self.validate_cluster()?;
        }
        if self.scenario.is_fault() {
            self.validate_fault()?;
        }
        self.validate_rush()?;
        if matches!(
            self.scenario,
            Scenario::Chat | Scenario::Churn | Scenario::Rush
        ) || self.scenario.is_fault()
        {
            anyhow::ensure!(
                self.rate > 0.0 && self.rate.is_finite(),
                "--rate must be positive"
            );
        }
        if self.scenario == Scenario::Burst {
            anyhow::ensure!(self.window > 0, "--window must be at least 1");
        }
        Ok(())
    }

    fn validate_cluster(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.cluster,
            "`{}` stops an engine of a cluster: add --cluster",
            self.scenario.as_str()
        );
        anyhow::ensure!(
            matches!(
                self.scenario,
                Scenario::Chat | Scenario::Burst | Scenario::Rush
            ) || self.scenario.is_outage(),
            "--cluster runs `chat`, `burst`, `rush`, `broker` and `mongo`; `{}` is not measured \
             on two nodes (run it without --cluster)",
            self.scenario.as_str()
        );
        anyhow::ensure!(
            self.target != TargetSel::Relay,
            "--cluster measures the server's nodes; the relay has no cluster"
        );
        if self.scenario.is_outage() {
            anyhow::ensure!(
                self.outage >= 1 && self.duration / 3 + self.outage < self.duration,
                "--outage {} s starting at a third of --duration {} s does not end before the \
                 run does: raise --duration to {} s or more",
                self.outage,
                self.duration,
                (self.outage + 1..)
                    .find(|d| d / 3 + self.outage < *d)
                    .unwrap_or(u64::MAX)
            );
        }
        Ok(())
    }

    fn validate_rush(&self) -> anyhow::Result<()> {
        if self.scenario != Scenario::Rush {
            anyhow::ensure!(
                self.capacity.is_none(),
                "--capacity is for `rush`; `{}` gives each attendant ceil(customers / \
                 attendants) conversations",
                self.scenario.as_str()
            );
            return Ok(());
        }
        anyhow::ensure!(
            self.target != TargetSel::Relay,
            "`rush` counts the server's queue and state frames; the relay has neither"
        );
        anyhow::ensure!(
            (1..=100).contains(&self.capacity()),
            "--capacity must be 1..=100 (the server's limit)"
        );
        anyhow::ensure!(
            self.ramp.is_finite() && (0.0..=600.0).contains(&self.ramp),
            "--ramp must be 0..=600 s"
        );
        Ok(())
    }

    fn validate_fault(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.target != TargetSel::Relay,
            "`{}` needs the server's persistence and resume; the relay has neither",
            self.scenario.as_str()
        );
        anyhow::ensure!(
            self.duration >= 3,
            "--duration must be at least 3 s for a fault scenario"
        );
        if self.scenario == Scenario::Cut {
            anyhow::ensure!(
                (1..=25).contains(&self.outage),
                "--outage must be 1..=25 s (the server lets an attendant's conversations go \
                 after 30 s away)"
            );
            anyhow::ensure!(
                self.outage * 2 < self.duration,
                "--outage {} s does not end before the run does: raise --duration above {} s",
                self.outage,
                self.outage * 2
            );
        }
        if self.scenario == Scenario::Flood {
            anyhow::ensure!(self.rate_limit > 0, "--rate-limit must be at least 1");
            // An attendant sends, per conversation and second: `rate` messages, as many
            // `typing` and `delivered` receipts, and one `read`.
            let frames = self.capacity() as f64 * (3.0 * self.rate + 1.0);
            anyhow::ensure!(
                frames <= f64::from(self.rate_limit),
                "each attendant would send {frames:.0} frames/s, over the limit of {}/s, so \
                 the ordinary clients would be limited too: use --attendants {} (one \
                 conversation each) or a lower --rate",
                self.rate_limit,
                self.customers
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> anyhow::Result<Args> {
        let args =
            Args::try_parse_from(std::iter::once("chimpassist-load").chain(flags.iter().copied()))?;
        args.validate()?;
        Ok(args)
    }

    fn refusal(flags: &[&str]) -> String {
        format!("{:#}", parse(flags).expect_err("refused"))
    }

    #[test]
    fn outages_need_a_cluster_and_a_cluster_runs_only_chat_burst_and_outages() {
        assert!(refusal(&["--scenario", "broker"]).contains("add --cluster"));
        assert!(refusal(&["--scenario", "mongo", "--outage", "5"]).contains("add --cluster"));
        for scenario in ["idle", "churn", "kill", "cut", "flood"] {
            let why = refusal(&["--cluster", "--scenario", scenario]);
            assert!(
                why.contains("not measured on two nodes"),
                "{scenario}: {why}"
            );
        }
        assert!(refusal(&["--cluster", "--target", "relay"]).contains("no cluster"));
        for scenario in ["chat", "burst"] {
            let args = parse(&["--cluster", "--scenario", scenario]).expect(scenario);
            assert_eq!(
                args.kinds(),
                [Kind::Chimp],
                "no relay baseline on a cluster"
            );
        }
    }

    #[test]
    fn rush_runs_on_the_server_with_its_own_capacity() {
        let args = parse(&[
            "--scenario",
            "rush",
            "--customers",
            "2000",
            "--attendants",
            "200",
        ])
        .expect("the target figure parses");
        assert_eq!(args.capacity(), 10);
        assert_eq!(args.kinds(), [Kind::Chimp], "no relay baseline");
        let args = parse(&["--scenario", "rush", "--capacity", "3", "--ramp", "0.5"])
            .expect("explicit capacity");
        assert_eq!(args.capacity(), 3);
        // Chat keeps ceil(customers / attendants).
        assert_eq!(parse(&["--customers", "95"]).expect("chat").capacity(), 10);
        assert!(refusal(&["--capacity", "3"]).contains("is for `rush`"));
        assert!(refusal(&["--scenario", "rush", "--target", "relay"]).contains("relay"));
        assert!(refusal(&["--scenario", "rush", "--capacity", "101"]).contains("1..=100"));
        assert!(refusal(&["--scenario", "rush", "--ramp=-1"]).contains("--ramp"));
        let cluster = parse(&["--cluster", "--scenario", "rush", "--target", "chimp"])
            .expect("rush on two nodes");
        assert_eq!(cluster.capacity(), 10);
        assert!(refusal(&["--cluster", "--scenario", "churn"]).contains("two nodes"));
    }

    #[test]
    fn an_outage_ends_before_the_run_does() {
        let ok = parse(&[
            "--cluster",
            "--scenario",
            "mongo",
            "--outage",
            "30",
            "--duration",
            "90",
        ])
        .expect("fits");
        assert!(ok.scenario.is_outage() && ok.scenario.is_fault());
        let why = refusal(&[
            "--cluster",
            "--scenario",
            "broker",
            "--outage",
            "30",
            "--duration",
            "45",
        ]);
        assert!(why.contains("raise --duration to 46 s"), "{why}");
        parse(&[
            "--cluster",
            "--scenario",
            "broker",
            "--outage",
            "30",
            "--duration",
            "46",
        ])
        .expect("30 s from 15 s ends at 45 s, before 46 s");
        assert!(
            refusal(&["--cluster", "--scenario", "broker", "--outage", "0"]).contains("--outage")
        );
    }
}
