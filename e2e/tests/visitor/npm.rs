//! The npm package (`dist/npm/chimpassist-widget`) as a customer uses it: packed with
//! `npm pack`, installed into a fresh Vite app, bundled by `vite build`, and served from the
//! shop's own origin, while the chat server runs on another.
//!
//! Needs `node`/`npm` and the npm registry (Vite is installed from it; the npm cache lives in
//! `target/npm-cache`, so later runs are mostly offline).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, repo_root};
use serde_json::Value;

/// The widget's host element (the default `containerEl`).
const HOST: &str = "#chimpassist";

const INDEX_HTML: &str = r#"<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Vite host</title>
    <script type="module" src="/main.js"></script>
  </head>
  <body>
    <h1>Vite host</h1>
  </body>
</html>
"#;

const MAIN_JS: &str = r#"import { mount } from "chimpassist-widget";
const server = new URLSearchParams(location.search).get("server");
const chat = mount({ backendEndpoint: server, title: "Vite shop" });
window.viteChat = chat;
chat.on("ready", () => { document.body.dataset.ready = "1"; });
"#;

/// What building the Vite app produced.
#[derive(Debug)]
struct ViteApp {
    /// `<tmp>/app/dist`: what the shop serves.
    dist: PathBuf,
    /// `/assets/…` path of the entry chunk (the one `index.html` loads).
    entry_chunk: String,
    /// `/assets/…` path of the lazily imported chat chunk (the wasm-bindgen glue).
    chat_chunk: String,
    /// `/assets/…` path of the emitted WebAssembly.
    wasm_asset: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn npm_package_works_in_a_vite_app() {
    let package = repo_root()
        .join("dist")
        .join("npm")
        .join("chimpassist-widget");
    assert!(
        package.join("package.json").is_file(),
        "{} is missing: run `cargo xtask widget` first",
        package.join("package.json").display()
    );
    let work = tempfile::Builder::new()
        .prefix("chimpassist-e2e-vite-")
        .tempdir()
        .expect("work directory");
    let work_dir = work.path().to_path_buf();
    let app = tokio::task::spawn_blocking(move || build_vite_app(&package, &work_dir))
        .await
        .expect("building the Vite app");

    let server = ChimpServer::start().await;
    let host = HostPage::serve_dir(&app.dist).await;
    assert_ne!(
        host.origin(),
        server.origin(),
        "the shop has its own origin"
    );
    // Someone is there to answer, so the home screen offers to start a conversation.
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;
    let query: String = url::form_urlencoded::byte_serialize(server.origin().as_bytes()).collect();
    browser.goto(&host.url(&format!("/?server={query}"))).await;

    // The loader from the main bundle mounted the bubble and said it is ready.
    browser
        .wait_until("document.body.dataset.ready === '1'")
        .await;
    assert_eq!(browser.eval("document.title").await, "Vite host");
    browser.wait_for("h1").await;
    let bubble = browser.wait_shadow(HOST, "[data-testid=launcher]").await;
    assert!(
        bubble.is_displayed().await.expect("bubble visibility"),
        "the launcher bubble is visible"
    );
    assert_eq!(
        browser
            .eval("typeof window.viteChat.open === 'function' && typeof window.viteChat.on")
            .await,
        "function"
    );
    browser
        .execute(
            "window.caEvents = []; ['loaded', 'opened', 'closed'].forEach(name => \
             window.viteChat.on(name, () => window.caEvents.push(name))); return true;",
            vec![],
        )
        .await;

    // Nothing of the chat is fetched before the visitor opens it.
    let before = browser.resource_urls().await;
    assert!(
        before.iter().any(|u| u.ends_with(&app.entry_chunk)),
        "the entry chunk {} was loaded: {before:?}",
        app.entry_chunk
    );
    assert!(
        !before
            .iter()
            .any(|u| u.ends_with(".wasm") || u.ends_with(&app.chat_chunk)),
        "the chat (glue or WASM) was fetched before opening: {before:?}"
    );

    browser.shadow_click(HOST, "[data-testid=launcher]").await;
    browser.wait_shadow(HOST, ".ca-panel.open").await;
    browser.wait_shadow(HOST, ".ca-conn.online").await;
    let start = browser
        .wait_shadow(HOST, "button.ca-start:not([disabled])")
        .await;
    assert!(
        !browser.shadow_query(HOST, ".ca-offline").await,
        "an attendant is online, so the widget does not say nobody is"
    );
    assert!(
        start.is_displayed().await.expect("start button visibility"),
        "the home screen's start button is visible"
    );
    browser
        .wait_until("window.caEvents.includes('loaded') && window.caEvents.includes('opened')")
        .await;

    // The glue and the WASM came from the shop's origin, as Vite emitted them.
    let after = browser.resource_urls().await;
    let wasm: Vec<&String> = after.iter().filter(|u| u.ends_with(".wasm")).collect();
    assert_eq!(wasm.len(), 1, "one WASM fetched: {after:?}");
    assert!(wasm[0].ends_with(".wasm"));
    assert_eq!(
        wasm[0].as_str(),
        host.url(&app.wasm_asset),
        "the WASM is Vite's asset, served by the shop: {after:?}"
    );
    assert!(
        after.contains(&host.url(&app.chat_chunk)),
        "the chat chunk came from the shop: {after:?}"
    );
    let requests = host.requests();
    assert!(
        requests.contains(&app.wasm_asset),
        "the shop served the WASM: {requests:?}"
    );

    let shot = browser.screenshot("widget-npm-vite").await;
    assert!(std::fs::metadata(&shot).expect("screenshot written").len() > 0);

    // The handle returned by `mount` drives the same widget.
    browser.eval("window.viteChat.close()").await;
    browser.wait_shadow_gone(HOST, ".ca-panel.open").await;
    browser
        .wait_until("window.caEvents.includes('closed')")
        .await;
    assert_eq!(
        browser
            .execute(
                "return document.querySelector(arguments[0]).shadowRoot \
                 .querySelector('[data-testid=launcher]').getAttribute('aria-expanded');",
                vec![Value::from(HOST)],
            )
            .await,
        "false"
    );
    browser.eval("window.viteChat.open()").await;
    browser.wait_shadow(HOST, ".ca-panel.open").await;
    browser
        .wait_until("window.caEvents.filter(e => e === 'opened').length === 2")
        .await;
    // Opening again loaded nothing new.
    let wasm_fetches = browser
        .resource_urls()
        .await
        .iter()
        .filter(|u| u.ends_with(".wasm"))
        .count();
    assert_eq!(wasm_fetches, 1, "the WASM is fetched once");

    let logs = browser.console_logs().await;
    for entry in &logs {
        println!("console {}: {}", entry["level"], entry["message"]);
    }
    let errors: Vec<Value> = logs
        .into_iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .filter(|entry| {
            !entry["message"]
                .as_str()
                .unwrap_or_default()
                .contains("favicon.ico")
        })
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    browser.close().await;
    attendant.close().await;
    server.stop().await;
    drop(host);
    drop(work);
}

/// `npm pack`s the package into `work`, builds a Vite app in `work/app` that depends on the
/// tarball, and describes the result. Prints each step's duration and the bundle's files.
fn build_vite_app(package: &Path, work: &Path) -> ViteApp {
    let cache = npm_cache();
    let node = run(Command::new("node").arg("--version"), "node --version");
    let vite_range = vite_range_for(node.trim());

    let started = Instant::now();
    let packed = run(
        Command::new("npm")
            .arg("pack")
            .arg(package)
            .arg("--pack-destination")
            .arg(work)
            .args(["--json", "--no-update-notifier"])
            .arg("--cache")
            .arg(&cache),
        "npm pack",
    );
    report("npm pack", started.elapsed());
    let tarballs: Vec<PathBuf> = files_in(work)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    assert_eq!(
        tarballs.len(),
        1,
        "npm pack makes one tarball: {tarballs:?}"
    );
    let tarball = &tarballs[0];
    let packed: Value = serde_json::from_str(&packed)
        .unwrap_or_else(|e| panic!("npm pack --json printed no JSON ({e}): {packed}"));
    let in_tarball: Vec<&str> = packed[0]["files"]
        .as_array()
        .expect("npm pack lists the files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for file in [
        "package.json",
        "index.js",
        "index.d.ts",
        "chat/chimpassist_widget.js",
        "chat/chimpassist_widget_bg.wasm",
    ] {
        assert!(
            in_tarball.contains(&file),
            "{file} is in the tarball: {in_tarball:?}"
        );
    }

    let app = work.join("app");
    std::fs::create_dir_all(&app).expect("creating the app directory");
    let manifest = serde_json::json!({
        "name": "host",
        "private": true,
        "type": "module",
        "scripts": {"build": "vite build"},
        "devDependencies": {"vite": vite_range},
    });
    write(&app.join("package.json"), &format!("{manifest:#}\n"));
    write(&app.join("index.html"), INDEX_HTML);
    write(&app.join("main.js"), MAIN_JS);

    let started = Instant::now();
    run(
        Command::new("npm")
            .current_dir(&app)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                "--prefer-offline",
            ])
            .arg("--cache")
            .arg(&cache)
            .arg(tarball),
        "npm install",
    );
    report("npm install", started.elapsed());
    let installed = app.join("node_modules").join("chimpassist-widget");
    let types = std::fs::read_to_string(installed.join("index.d.ts"))
        .expect("the installed package has its type declarations");
    assert!(
        types.contains("export function mount(config: ChimpAssistConfig): ChimpAssistHandle"),
        "index.d.ts declares mount"
    );
    let vite_manifest = std::fs::read_to_string(app.join("node_modules/vite/package.json"))
        .expect("vite is installed");
    let vite_manifest: Value = serde_json::from_str(&vite_manifest).expect("vite's package.json");
    let vite_version = vite_manifest["version"]
        .as_str()
        .expect("vite's version")
        .to_owned();
    println!(
        "node {}, vite {vite_version} (asked {vite_range})",
        node.trim()
    );

    let started = Instant::now();
    run(
        Command::new("npm")
            .current_dir(&app)
            .args(["run", "build", "--no-update-notifier"])
            .arg("--cache")
            .arg(&cache),
        "vite build",
    );
    report("vite build", started.elapsed());

    let dist = app.join("dist");
    let assets = dist.join("assets");
    let mut built = files_in(&assets);
    built.sort();
    let mut js = Vec::new();
    let mut wasm = Vec::new();
    for file in &built {
        let name = file_name(file);
        let size = std::fs::metadata(file).expect("asset size").len();
        println!("  dist/assets/{name}: {size} bytes");
        if name.ends_with(".js") {
            js.push(name);
        } else if name.ends_with(".wasm") {
            wasm.push(name);
        }
    }
    assert_eq!(wasm.len(), 1, "Vite emits the WASM as one asset: {built:?}");
    let index = std::fs::read_to_string(dist.join("index.html")).expect("dist/index.html");
    let entry: Vec<&String> = js
        .iter()
        .filter(|name| index.contains(&format!("/assets/{name}")))
        .collect();
    assert_eq!(entry.len(), 1, "index.html loads one chunk: {index}");
    let chat: Vec<&String> = js
        .iter()
        .filter(|name| name.starts_with("chimpassist_widget"))
        .collect();
    assert_eq!(chat.len(), 1, "one lazy chat chunk: {js:?}");
    assert_ne!(entry[0], chat[0], "the chat is not in the entry chunk");
    let entry_code =
        std::fs::read_to_string(assets.join(entry[0])).expect("reading the entry chunk");
    assert!(
        entry_code.contains(chat[0].as_str()) && !entry_code.contains(".wasm"),
        "the entry chunk imports the chat chunk lazily and knows nothing of the WASM"
    );
    let chat_code = std::fs::read_to_string(assets.join(chat[0])).expect("reading the chat chunk");
    assert!(
        chat_code.contains(wasm[0].as_str()),
        "the chat chunk points at the emitted WASM ({})",
        wasm[0]
    );

    ViteApp {
        dist,
        entry_chunk: format!("/assets/{}", entry[0]),
        chat_chunk: format!("/assets/{}", chat[0]),
        wasm_asset: format!("/assets/{}", wasm[0]),
    }
}

/// The newest Vite major this Node runs: Vite 7 and 8 need `^20.19 || >=22.12`, Vite 6
/// runs on 18, 20 and 22+.
fn vite_range_for(node: &str) -> &'static str {
    let mut parts = node
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    match (major, minor) {
        (20, m) if m >= 19 => "^8",
        (22, m) if m >= 12 => "^8",
        (m, _) if m >= 23 => "^8",
        (m, _) if m >= 18 => "^6",
        _ => panic!("node {node} is too old for Vite (needs 18 or newer)"),
    }
}

/// Where npm keeps its cache between runs: `target/npm-cache` (or under `CARGO_TARGET_DIR`).
fn npm_cache() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from)
        .join("npm-cache")
}

/// Runs `command` to completion; panics with its output unless it succeeded. Returns stdout.
fn run(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start ({e}); is node/npm installed?"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn report(step: &str, took: Duration) {
    println!("{step}: {:.2}s", took.as_secs_f64());
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// The regular files directly in `dir`.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}
