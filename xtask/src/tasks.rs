//! `run` and `test`: what they do, as plain lists of steps.

use std::time::Instant;

use crate::cmd::{self, Result};
use crate::setup::{self, Scope};

/// One step of `cargo xtask test`. To add a check (trunk builds, size budget, browser e2e,
/// MongoDB/MQTT conformance…), append a `Step` to [`TEST_STEPS`]; `run` may run several
/// commands or plain Rust code.
struct Step {
    name: &'static str,
    run: fn() -> Result,
}

const TEST_STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: || cargo(&["fmt", "--all", "--", "--check"]),
    },
    Step {
        // No import cycles between a crate's top-level modules (docs/architecture.md).
        name: "module cycles",
        run: crate::cycles::check,
    },
    Step {
        // Release assets and their sizes (the widget's against its budget); the browser
        // tests load these. clippy lints the two front ends (their browser-only code is
        // compiled for wasm32 only) in the same compile (`cmd::lint`).
        name: "front ends + clippy",
        run: || front_ends(cmd::Lint::Clippy),
    },
    Step {
        // Every library, binary, test and example of the workspace linted by clippy
        // (warnings denied) as it is compiled for the tests, then the tests. Examples (the
        // benchmarks) are built with the test harness: compiled and linted, not run.
        name: "clippy + test",
        run: || {
            let mut test = cmd::cargo([
                "test",
                "--workspace",
                "--locked",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
            ]);
            cmd::lint(&mut test, cmd::Lint::Clippy)?;
            cmd::run(&mut test).map(drop)
        },
    },
];

/// The widget's and the back-office's release builds, side by side. Each ends in a long
/// single-threaded stretch (whole-program LTO with one codegen unit, then `wasm-opt`), and
/// they share nothing (the widget builds into its own target directory), so on two cores
/// running them together overlaps those stretches instead of queueing them.
fn front_ends(lint: cmd::Lint) -> Result {
    let (widget, backoffice) = std::thread::scope(|s| {
        let widget = s.spawn(move || crate::widget::build(lint));
        let backoffice = s.spawn(move || crate::backoffice::build(lint));
        (join(widget), join(backoffice))
    });
    widget.map_err(|e| format!("widget: {e}"))?;
    backoffice.map_err(|e| format!("back-office: {e}"))
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Result>) -> Result {
    handle
        .join()
        .unwrap_or_else(|_| Err("the build thread panicked".to_owned()))
}

fn cargo(args: &[&str]) -> Result {
    cmd::run(&mut cmd::cargo(args)).map(drop)
}

/// `cargo xtask run`: prerequisites, then the server in the foreground.
pub(crate) fn run(server_args: &[String]) -> Result {
    println!(
        "Chimp Assist: the server will listen on http://127.0.0.1:3000 (default), data in \
         ./data; Ctrl-C stops it. The first run compiles in release mode (a few minutes)."
    );
    setup::ensure(Scope::Run)?;
    front_ends(cmd::Lint::Off)?;
    let mut cmd = cmd::cargo([
        "run",
        "--release",
        "-p",
        "chimpassist-server",
        "--bin",
        "chimpassist",
        "--",
        "serve",
    ]);
    cmd.args(server_args);
    cmd::exec(cmd)
}

/// `cargo xtask dist`: what a deployment ships — the front ends in `dist/` and the release
/// server binary — with only the prerequisites building needs (no browsers, no test servers).
pub(crate) fn dist() -> Result {
    setup::ensure(Scope::Run)?;
    front_ends(cmd::Lint::Off)?;
    cargo(&[
        "build",
        "--release",
        "--locked",
        "-p",
        "chimpassist-server",
        "--bin",
        "chimpassist",
    ])?;
    println!("dist: front ends in dist/, server in target/release/chimpassist");
    Ok(())
}

/// `cargo xtask bench`: release builds of the server and the load generator, then the load
/// generator in the foreground with `loadgen_args` (it spawns the server and the relay itself).
pub(crate) fn bench(loadgen_args: &[String]) -> Result {
    setup::ensure(Scope::Run)?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "chimpassist-server",
        "-p",
        "chimpassist-loadgen",
    ])?;
    cmd::exec(cmd::new("target/release/chimpassist-load", loadgen_args))
}

struct Outcome {
    name: &'static str,
    secs: f64,
    ok: bool,
}

/// `cargo xtask test`: prerequisites (stop if they fail), then every step even after a
/// failure, then a summary table.
pub(crate) fn test() -> Result {
    let start = Instant::now();
    setup::ensure(Scope::All).map_err(|e| format!("setup failed: {e}"))?;
    let mut outcomes = vec![Outcome {
        name: "setup",
        secs: start.elapsed().as_secs_f64(),
        ok: true,
    }];
    for step in TEST_STEPS {
        println!("\n==> {}", step.name);
        let start = Instant::now();
        let result = (step.run)();
        if let Err(e) = &result {
            eprintln!("error: step `{}` failed: {e}", step.name);
        }
        outcomes.push(Outcome {
            name: step.name,
            secs: start.elapsed().as_secs_f64(),
            ok: result.is_ok(),
        });
    }
    print_summary(&outcomes);
    let failed: Vec<&str> = outcomes.iter().filter(|o| !o.ok).map(|o| o.name).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} steps failed: {}",
            failed.len(),
            outcomes.len(),
            failed.join(", ")
        ))
    }
}

fn print_summary(outcomes: &[Outcome]) {
    let width = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(0)
        .max(5);
    println!("\n== summary");
    println!("{:<width$}  {:>8}  result", "step", "seconds");
    for o in outcomes {
        let result = if o.ok { "ok" } else { "FAILED" };
        println!("{:<width$}  {:>8.1}  {result}", o.name, o.secs);
    }
    let total: f64 = outcomes.iter().map(|o| o.secs).sum();
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    let verdict = if failed == 0 {
        "ok".to_owned()
    } else {
        format!("{failed} FAILED")
    };
    println!("{:<width$}  {total:>8.1}  {verdict}", "total");
}
