//! `chimpassist-load`: the capacity benchmark of Chimp Assist.
//!
//! For each target (the real server, then the bare relay baseline) it spawns the target on a
//! free loopback port with a fresh data directory, drives one scenario, measures it from the
//! outside (connect rate, RSS per socket from `/proc`, throughput, send→receive latency,
//! errors by code, lost and duplicated messages), and stops it. With both targets it prints
//! the server/relay ratios: how far the server is from what the machine physically does.
//!
//! Everything is bounded: loopback only, every loop limited in count and time, and the
//! program stops by itself.

mod chimp;
mod churn;
mod cli;
mod dial;
mod endpoint;
mod faultreport;
mod faults;
mod flood;
mod idle;
mod ledger;
mod open;
mod procfs;
mod proxy;
mod recovery;
mod report;
mod resilient;
mod resume;
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
    if args.scenario.is_fault() && args.target == TargetSel::Both {
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
    let mut target = Target::spawn(kind, args).await?;
    let outcome = match args.scenario {
        Scenario::Idle => idle::run(&target, args).await,
        Scenario::Chat | Scenario::Burst => traffic::run(&target, args).await,
        Scenario::Churn => churn::run(&target, args).await,
        Scenario::Kill | Scenario::Cut | Scenario::Flood => faults::run(&mut target, args).await,
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
