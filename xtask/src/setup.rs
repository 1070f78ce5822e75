//! Prerequisites: an idempotent list of tools, each with a presence check and an installer.
//! Only missing tools are installed, so running this again is cheap.
//!
//! To add a tool, append a [`Tool`] to [`TOOLS`]. Planned: trunk
//! (`cargo install --locked trunk --version 0.21.14`), wasm-bindgen-cli, wasm-opt (npm
//! `binaryen`), chromium / chromium-driver / mosquitto (via [`crate::apt::install`]),
//! secantusdb (python venv).

use crate::cmd::{self, Result};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Which command needs the prerequisites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `cargo xtask run`: only what running the product needs.
    Run,
    /// `cargo xtask test` / `setup`: everything.
    All,
}

struct Tool {
    name: &'static str,
    /// Also needed by `cargo xtask run` (everything is needed by `test`).
    for_run: bool,
    is_present: fn() -> bool,
    install: fn() -> Result,
    /// The by-hand instructions shown when `install` fails.
    manual: &'static str,
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "Rust target wasm32-unknown-unknown",
        // The front ends the product serves are WebAssembly.
        for_run: true,
        is_present: wasm_target_present,
        install: || rustup(&["target", "add", WASM_TARGET]),
        manual: "`rustup target add wasm32-unknown-unknown` (rustup: https://rustup.rs)",
    },
    Tool {
        name: "rustfmt",
        for_run: false,
        is_present: || cmd::succeeds(&mut cmd::cargo(["fmt", "--version"])),
        install: || rustup(&["component", "add", "rustfmt"]),
        manual: "`rustup component add rustfmt` (rustup: https://rustup.rs)",
    },
    Tool {
        name: "clippy",
        for_run: false,
        is_present: || cmd::succeeds(&mut cmd::cargo(["clippy", "--version"])),
        install: || rustup(&["component", "add", "clippy"]),
        manual: "`rustup component add clippy` (rustup: https://rustup.rs)",
    },
];

/// Installs whatever `scope` needs and is missing; stops at the first tool that cannot be
/// installed.
pub(crate) fn ensure(scope: Scope) -> Result {
    let mut installed = Vec::new();
    for tool in TOOLS.iter().filter(|t| scope == Scope::All || t.for_run) {
        if (tool.is_present)() {
            continue;
        }
        println!("==> installing {}", tool.name);
        let hint = |why: String| {
            format!(
                "could not install {}: {why} — install it by hand with {}",
                tool.name, tool.manual
            )
        };
        (tool.install)().map_err(hint)?;
        if !(tool.is_present)() {
            return Err(hint(
                "the installer succeeded but it is still missing".into(),
            ));
        }
        installed.push(tool.name);
    }
    if installed.is_empty() {
        println!("prerequisites: all present");
    } else {
        println!("prerequisites: installed {}", installed.join(", "));
    }
    Ok(())
}

fn rustup(args: &[&str]) -> Result {
    cmd::run(&mut cmd::new("rustup", args)).map(drop)
}

fn wasm_target_present() -> bool {
    if let Some(list) = cmd::stdout_of(&mut cmd::new("rustup", ["target", "list", "--installed"])) {
        return list.lines().any(|l| l.trim() == WASM_TARGET);
    }
    // No rustup (e.g. a distribution's Rust): look in the sysroot.
    cmd::stdout_of(&mut cmd::new("rustc", ["--print", "sysroot"])).is_some_and(|root| {
        std::path::Path::new(root.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .is_dir()
    })
}
