//! `chimpassist-load`: the capacity benchmark of Chimp Assist.
//!
//! For each target (the real server, then the bare relay baseline) it spawns the target on a
//! free loopback port with a fresh data directory, drives one scenario, measures it from the
//! outside (connect rate, RSS per socket from `/proc`, throughput, send→receive latency,
//! errors by code, lost and duplicated messages), and stops it. With both targets it prints
//! the server/relay ratios: how far the server is from what the machine physically does.
//!
//! With `--cluster` the target is two server nodes over one SecantusDB and one mosquitto
//! ([`cluster`]), and the `broker` and `mongo` scenarios stop one of those engines mid-run.
//!
//! Everything is bounded: loopback only, every loop limited in count and time, and the
//! program stops by itself.

mod chimp;
mod churn;
mod cli;
mod cluster;
mod dial;
mod endpoint;
mod engines;
mod faultreport;
mod faults;
mod flood;
mod idle;
mod ledger;
mod open;
mod outage;
mod outagereport;
mod procfs;
mod proxy;
mod recovery;
mod report;
mod resilient;
mod resume;
mod rush;
mod rushcount;
mod rushreport;
mod rushtap;
mod stats;
mod target;
mod traffic;
mod window;
mod wire;
mod worker;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use crate::cli::{Args, Kind, Scenario, TargetSel};
use crate::cluster::{Cluster, ClusterReport};
use crate::report::RunResult;
use crate::target::Target;

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = if args.worker {
        worker::main(&args).map(|()| true)
    } else {
        benchmark(&args)
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        // Lost or duplicated messages: a distinct code so scripts notice.
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every selected target; `Ok(false)` when a message was lost or duplicated.
fn benchmark(args: &Args) -> anyhow::Result<bool> {
    args.validate()?;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit)
            if args.scenario != Scenario::Idle
                && (limit as usize) < args.customers + args.attendants + 100 =>
        {
            eprintln!(
                "warning: this process may open only {limit} files; \
             only `idle` spreads its sockets over worker processes"
            );
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: could not raise the open-files limit: {e}"),
    }
    if args.cluster && args.target == TargetSel::Both {
        eprintln!(
            "note: --cluster runs the server's nodes only: the relay has no cluster to compare"
        );
    } else if args.scenario == Scenario::Rush && args.target == TargetSel::Both {
        eprintln!(
            "note: `rush` runs against the server only: the relay has no queue, no \
             assignment and no state frames to count"
        );
    } else if args.scenario.is_fault() && args.target == TargetSel::Both {
        eprintln!(
            "note: `{}` runs against the server only: the relay keeps nothing, so it has \
             nothing to recover",
            args.scenario.as_str()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let results = runtime.block_on(async {
        let mut results = Vec::new();
        for kind in args.kinds() {
            eprintln!("running {:?} against {} …", args.scenario, kind.as_str());
            let result = run_one(kind, args).await?;
            print!("{}", report::render(&result));
            results.push(result);
        }
        anyhow::Ok(results)
    })?;
    print!("{}", report::render_comparison(&results));
    if let Some(path) = &args.json {
        report::write_json(path, args, &results)?;
        println!("\nresults written to {}", path.display());
    }
    Ok(results.iter().all(RunResult::clean))
}

async fn run_one(kind: Kind, args: &Args) -> anyhow::Result<RunResult> {
    if args.cluster {
        return run_cluster(args).await;
    }
    let mut target = Target::spawn(kind, args).await?;
    let outcome = match args.scenario {
        Scenario::Idle => idle::run(&target, args).await,
        Scenario::Chat | Scenario::Burst => traffic::run(&target.sides(), args).await,
        Scenario::Churn => churn::run(&target, args).await,
        Scenario::Kill | Scenario::Cut | Scenario::Flood => faults::run(&mut target, args).await,
        Scenario::Rush => rush::run(&target.sides(), args).await,
        Scenario::Broker | Scenario::Mongo => Err(anyhow::anyhow!(
            "`{}` needs --cluster",
            args.scenario.as_str()
        )),
    };
    let log_lines = target.log_lines();
    let tail = target.log_tail(5);
    target.stop().await;
    let mut result = outcome.with_context(|| format!("{} run failed", kind.as_str()))?;
    result.target_log_lines = log_lines;
    if log_lines > 0 {
        result.notes.push(format!(
            "target log ({log_lines} lines), last lines:\n{tail}"
        ));
    }
    Ok(result)
}

/// Two nodes, SecantusDB and mosquitto: started, driven, stopped. The nodes' log tails are
/// printed when they logged anything or the run failed.
async fn run_cluster(args: &Args) -> anyhow::Result<RunResult> {
    let (mut cluster, leader) = Cluster::start(args).await?;
    eprintln!(
        "cluster ready: nodes on ports {:?}, {leader} leads; customers on node 1, attendants on \
         node 2",
        cluster.ports()
    );
    let outcome = match args.scenario {
        Scenario::Broker | Scenario::Mongo => outage::run(&mut cluster, &leader, args).await,
        Scenario::Rush => rush::run(&cluster.sides(), args).await,
        _ => traffic::run(&cluster.sides(), args).await,
    };
    let leader_at_end = cluster.agree(std::time::Duration::from_secs(10)).await.ok();
    let log_lines = cluster.log_lines();
    let failed = !outcome.as_ref().is_ok_and(RunResult::clean);
    let tails = cluster.log_tails(if failed { 20 } else { 5 });
    let sides = cluster.sides();
    cluster.stop().await;
    let mut result = outcome.with_context(|| format!("cluster run failed; logs:\n{tails}"))?;
    result.target_log_lines = log_lines;
    result.cluster = Some(ClusterReport {
        customers_port: sides.customers,
        attendants_port: sides.attendants,
        leader_at_start: leader,
        leader_at_end,
    });
    if log_lines > 0 || failed {
        result.notes.push(format!(
            "node logs ({log_lines} lines), last lines:\n{tails}"
        ));
    }
    Ok(result)
}
