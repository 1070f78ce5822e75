//! Developer and CI command runner for Chimp Assist: `cargo xtask <command>`.
//! Std-only on purpose, so it compiles in seconds on a fresh machine.

mod apt;
mod backoffice;
mod cmd;
mod cycles;
mod files;
mod setup;
mod tasks;
mod wasm_min;
mod widget;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
Chimp Assist developer commands

Usage: cargo xtask <command>

Commands:
  run [-- <server args>]  Install missing prerequisites, then build and run the server
                          in the foreground (`chimpassist serve`; Ctrl-C stops it).
  bench [-- <loadgen args>]
                          Build the server and the load generator in release mode, then
                          run the capacity benchmark (`chimpassist-load`; see
                          `cargo xtask bench -- --help`), e.g.
                          `cargo xtask bench -- --scenario chat --customers 500`.
  test                    Install missing prerequisites, then run every check: fmt,
                          clippy, tests, and the wasm32 build of the browser crates.
                          Prints a summary; exits non-zero if any step failed.
  cycles                  Check that no two top-level modules of a crate import each
                          other, directly or through others (`test` runs it too).
  widget                  Build the customer widget's release assets into dist/ (WASM,
                          loader, npm package) and check the size budget.
  backoffice              Build the attendant back-office's release assets into
                          dist/backoffice (served by the server at /).
  dist                    Release artifacts: the front ends into dist/ and the server
                          binary (target/release/chimpassist). The Dockerfile runs it.
  setup                   Only install missing prerequisites (rustup target/components,
                          and later trunk, browsers, test servers).
  help                    Show this message.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> cmd::Result {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "run" => enter_workspace_root().and_then(|()| tasks::run(forwarded_args(rest))),
        "bench" => enter_workspace_root().and_then(|()| tasks::bench(forwarded_args(rest))),
        "test" => no_args("test", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| tasks::test()),
        "cycles" => no_args("cycles", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| cycles::check()),
        "widget" => no_args("widget", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| setup::ensure(setup::Scope::Run))
            .and_then(|()| widget::build(cmd::Lint::Off)),
        "backoffice" => no_args("backoffice", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| setup::ensure(setup::Scope::Run))
            .and_then(|()| backoffice::build(cmd::Lint::Off)),
        "dist" => no_args("dist", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| tasks::dist()),
        "setup" => no_args("setup", rest)
            .and_then(|()| enter_workspace_root())
            .and_then(|()| setup::ensure(setup::Scope::All)),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// `cargo xtask run -- --port 8080` and `cargo xtask run --port 8080` mean the same (and
/// likewise for `bench`).
fn forwarded_args(rest: &[String]) -> &[String] {
    match rest.split_first() {
        Some((first, tail)) if first == "--" => tail,
        _ => rest,
    }
}

fn no_args(command: &str, rest: &[String]) -> cmd::Result {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`cargo xtask {command}` takes no arguments (got `{}`)\n\n{USAGE}",
            rest.join(" ")
        ))
    }
}

/// Every command runs from the workspace root, wherever it was invoked from.
fn enter_workspace_root() -> cmd::Result {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too; the compile-time value is a
    // fallback for running the binary directly.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let root = manifest_dir
        .parent()
        .ok_or_else(|| format!("no workspace above {}", manifest_dir.display()))?;
    std::env::set_current_dir(root)
        .map_err(|e| format!("could not enter the workspace root {}: {e}", root.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&s| s.to_owned()).collect()
    }

    #[test]
    fn forwarded_args_accept_an_optional_separator() {
        assert_eq!(
            forwarded_args(&strings(&["--", "--port", "1"])),
            strings(&["--port", "1"])
        );
        assert_eq!(
            forwarded_args(&strings(&["--port", "1"])),
            strings(&["--port", "1"])
        );
        assert!(forwarded_args(&[]).is_empty());
    }

    #[test]
    fn unknown_commands_and_stray_arguments_are_errors() {
        assert!(dispatch(&strings(&["frobnicate"])).is_err());
        assert!(dispatch(&strings(&["test", "extra"])).is_err());
        assert!(dispatch(&strings(&["help"])).is_ok());
    }
}
