//! Prerequisites: an idempotent list of tools, each with a presence check and an installer.
//! Only missing tools are installed, so running this again is cheap.
//!
//! To add a tool, append a [`Tool`] to [`TOOLS`]. Trunk is deliberately not here: release
//! builds of the back-office do not need it (`cargo xtask backoffice`), and compiling it
//! takes about 10 minutes on two cores; developers who want `trunk serve` install it once
//! (`cargo install --locked trunk --version 0.21.14`, see Trunk.toml).

use crate::apt;
use crate::cmd::{self, Result};

/// Debian packages the widget build (brotli, node for wasm-opt) and the browser tests
/// (chromium + its WebDriver) need.
const BUILD_PACKAGES: &[&str] = &["brotli", "nodejs", "npm"];
const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver"];
/// The MQTT broker the bus tests start (Debian's build includes `mosquitto_passwd`).
const MQTT_PACKAGES: &[&str] = &["mosquitto"];
/// The TURN relay the call tests start (`turnserver`, and `turnutils_uclient` to check it).
const TURN_PACKAGES: &[&str] = &["coturn"];

/// binaryen from npm, never Debian's (version 108 emits WASM that fails in the browser).
const BINARYEN: &str = "binaryen@132.0.0";
/// terser minifies wasm-bindgen's JS glue (−1.7 KB brotli); Debian has no recent one.
const TERSER: &str = "terser@5.44.1";
const TOOLS_DIR: &str = "target/tools";

/// The wasm-opt `cargo xtask` installed (see [`BINARYEN`]).
pub(crate) fn wasm_opt() -> String {
    format!("{TOOLS_DIR}/node_modules/.bin/wasm-opt")
}

/// The terser `cargo xtask` installed (see [`TERSER`]).
pub(crate) fn terser() -> String {
    format!("{TOOLS_DIR}/node_modules/.bin/terser")
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen() -> Option<String> {
    let lock = std::fs::read_to_string("Cargo.lock").ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            return lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_owned);
        }
    }
    None
}

fn wasm_bindgen_present() -> bool {
    let want = locked_wasm_bindgen().unwrap_or_default();
    cmd::stdout_of(&mut cmd::new("wasm-bindgen", ["--version"]))
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(want.as_str()))
}

fn install_wasm_bindgen() -> Result {
    let version = locked_wasm_bindgen().ok_or("no wasm-bindgen in Cargo.lock")?;
    // Not --locked: the CLI's own lockfile wants a crate version the registry lacks.
    cmd::run(&mut cmd::cargo([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))
    .map(drop)
}

fn wasm_opt_present() -> bool {
    cmd::stdout_of(&mut cmd::new(&wasm_opt(), ["--version"])).is_some_and(|v| v.contains("132"))
        && cmd::stdout_of(&mut cmd::new(&terser(), ["--version"]))
            .is_some_and(|v| v.contains("5.44.1"))
}

fn install_wasm_opt() -> Result {
    std::fs::create_dir_all(TOOLS_DIR).map_err(|e| format!("creating {TOOLS_DIR}: {e}"))?;
    cmd::run(&mut cmd::new(
        "npm",
        [
            "install",
            "--prefix",
            TOOLS_DIR,
            "--no-audit",
            "--no-fund",
            "--no-save",
            BINARYEN,
            TERSER,
        ],
    ))
    .map(drop)
}

/// A test server or tool from PyPI, in its own virtual environment under `target/tools`.
/// Pinned: their command lines and behaviour change between releases.
struct PyTool {
    /// The PyPI package.
    package: &'static str,
    version: &'static str,
    /// Its virtual environment.
    dir: &'static str,
    /// The program the tests run, under `{dir}/bin`.
    program: &'static str,
}

/// SecantusDB, a MongoDB wire-protocol server, for the MongoDB backend's tests
/// (`crates/store-mongo/src/test_support.rs`): no `mongod` is packaged for Debian, and the
/// npm/PyPI packages that "provide" one download it at run time. Only pre-releases exist.
const SECANTUS: PyTool = PyTool {
    package: "secantusdb",
    version: "0.7.0b3",
    dir: "target/tools/secantus",
    program: "secantusd-py",
};

/// schemathesis, the OpenAPI-driven API fuzzer the tests run against the server
/// (`server/tests/api/fuzz.rs`).
const SCHEMATHESIS: PyTool = PyTool {
    package: "schemathesis",
    version: "4.32.5",
    dir: "target/tools/schemathesis",
    program: "st",
};

/// aiosmtpd, a real SMTP server the e-mail tests send to (`server/src/services/smtp.rs`).
const AIOSMTPD: PyTool = PyTool {
    package: "aiosmtpd",
    version: "1.4.6",
    dir: "target/tools/aiosmtpd",
    program: "aiosmtpd",
};

impl PyTool {
    fn present(&self) -> bool {
        let program = std::path::Path::new(self.dir)
            .join("bin")
            .join(self.program);
        let version = cmd::stdout_of(&mut cmd::new(
            &format!("{}/bin/python", self.dir),
            [
                "-c",
                &format!(
                    "import importlib.metadata as m; print(m.version('{}'))",
                    self.package
                ),
            ],
        ));
        program.is_file() && version.is_some_and(|v| v.trim() == self.version)
    }

    /// A fresh venv (`--clear`: a half-made one from an interrupted run is replaced) with the
    /// pinned package. `python3 -m venv` needs Debian's python3-venv (ensurepip).
    fn install(&self) -> Result {
        if !cmd::succeeds(&mut cmd::new("python3", ["-c", "import ensurepip, venv"])) {
            apt::install(&["python3", "python3-venv"])?;
        }
        std::fs::create_dir_all(TOOLS_DIR).map_err(|e| format!("creating {TOOLS_DIR}: {e}"))?;
        cmd::run(&mut cmd::new(
            "python3",
            ["-m", "venv", "--clear", self.dir],
        ))?;
        cmd::run(&mut cmd::new(
            &format!("{}/bin/pip", self.dir),
            [
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("{}=={}", self.package, self.version),
            ],
        ))
        .map(drop)
    }
}

/// The standard library's sources, which `-Zbuild-std` compiles (see `widget::build`).
fn rust_src_present() -> bool {
    cmd::stdout_of(&mut cmd::new("rustc", ["--print", "sysroot"])).is_some_and(|root| {
        std::path::Path::new(root.trim())
            .join("lib/rustlib/src/rust/library/std/Cargo.toml")
            .is_file()
    })
}

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

/// brotli from Debian; node and npm only when no `npm` is on PATH. A machine with
/// NodeSource's `nodejs` (which bundles npm) cannot take Debian's `npm` package: apt refuses
/// the conflict, so asking for it would fail the whole setup.
fn install_build_packages() -> Result {
    if cmd::on_path("npm") {
        apt::install(&["brotli"])
    } else {
        apt::install(BUILD_PACKAGES)
    }
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "brotli, node and npm (Debian packages)",
        for_run: true,
        is_present: || {
            apt::all_installed(BUILD_PACKAGES) || (cmd::on_path("brotli") && cmd::on_path("npm"))
        },
        install: install_build_packages,
        manual: "`apt-get install brotli nodejs npm`",
    },
    Tool {
        name: "wasm-bindgen-cli (the version in Cargo.lock)",
        for_run: true,
        is_present: wasm_bindgen_present,
        install: install_wasm_bindgen,
        manual: "`cargo install wasm-bindgen-cli --version <wasm-bindgen version in Cargo.lock>`",
    },
    Tool {
        name: "wasm-opt and terser (npm binaryen 132, terser 5.44.1)",
        for_run: true,
        is_present: wasm_opt_present,
        install: install_wasm_opt,
        manual: "`npm install --prefix target/tools binaryen@132.0.0 terser@5.44.1`",
    },
    Tool {
        name: "rust-src (the widget rebuilds std for size)",
        for_run: true,
        is_present: rust_src_present,
        install: || rustup(&["component", "add", "rust-src"]),
        manual: "`rustup component add rust-src` (rustup: https://rustup.rs)",
    },
    Tool {
        name: "chromium and chromium-driver (browser tests)",
        for_run: false,
        is_present: || apt::all_installed(BROWSER_PACKAGES),
        install: || apt::install(BROWSER_PACKAGES),
        manual: "`apt-get install chromium chromium-driver`",
    },
    Tool {
        name: "Rust target wasm32-unknown-unknown",
        // The front ends the product serves are WebAssembly.
        for_run: true,
        is_present: wasm_target_present,
        install: || rustup(&["target", "add", WASM_TARGET]),
        manual: "`rustup target add wasm32-unknown-unknown` (rustup: https://rustup.rs)",
    },
    Tool {
        name: "SecantusDB (MongoDB wire-protocol server for the MongoDB backend's tests)",
        for_run: false,
        is_present: || SECANTUS.present(),
        install: || SECANTUS.install(),
        manual: "`python3 -m venv target/tools/secantus && target/tools/secantus/bin/pip install secantusdb==0.7.0b3` (Debian: `apt-get install python3-venv` first)",
    },
    Tool {
        name: "schemathesis (the API fuzzer the tests run)",
        for_run: false,
        is_present: || SCHEMATHESIS.present(),
        install: || SCHEMATHESIS.install(),
        manual: "`python3 -m venv target/tools/schemathesis && target/tools/schemathesis/bin/pip install schemathesis==4.32.5` (Debian: `apt-get install python3-venv` first)",
    },
    Tool {
        name: "aiosmtpd (SMTP server for the e-mail tests)",
        for_run: false,
        is_present: || AIOSMTPD.present(),
        install: || AIOSMTPD.install(),
        manual: "`python3 -m venv target/tools/aiosmtpd && target/tools/aiosmtpd/bin/pip install aiosmtpd==1.4.6` (Debian: `apt-get install python3-venv` first)",
    },
    Tool {
        name: "mosquitto (MQTT broker for the bus tests)",
        for_run: false,
        // The tests run /usr/sbin/mosquitto (server/src/bus/mosquitto.rs), and
        // mosquitto_passwd for the broker with credentials.
        is_present: || apt::all_installed(MQTT_PACKAGES),
        install: || apt::install(MQTT_PACKAGES),
        manual: "`apt-get install mosquitto`",
    },
    Tool {
        name: "coturn (TURN relay for the call tests)",
        for_run: false,
        // The tests run /usr/bin/turnserver (server/src/services/coturn.rs). Debian's
        // package also enables a system service; nothing starts it in a container.
        is_present: || apt::all_installed(TURN_PACKAGES),
        install: || apt::install(TURN_PACKAGES),
        manual: "`apt-get install coturn`",
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
