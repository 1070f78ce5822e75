//! `cargo xtask backoffice`: the attendant back-office's release assets.
//!
//! Steps: the WASM crate with the `backoffice` profile, `wasm-bindgen --target web`,
//! `wasm-opt -Oz`, the stylesheets joined, content-hashed names, a tiny module that starts
//! the app (so the page has no inline script and the server's Content-Security-Policy needs
//! no hashes), `index.html`, and brotli siblings. Output: `dist/backoffice/`, served by the
//! server at `/` (the page) and `/backoffice/…` (the files).
//!
//! Development uses Trunk instead (`trunk serve`, configured by the top-level `Trunk.toml`,
//! from `backoffice/index.html`); both read the same stylesheets.

use std::path::PathBuf;

use crate::cmd::{self, Result};
use crate::files::{brotli, content_hash, fresh_dir, inline_snippets, read, size, write};
use crate::setup::{WASM_TARGET, wasm_opt};

/// The stylesheets, in cascade order (Trunk's `index.html` links the same files).
const STYLES: &[&str] = &[
    "backoffice/style.css",
    "backoffice/panel.css",
    "backoffice/admin.css",
    "backoffice/reports.css",
];
const OUT: &str = "dist/backoffice";
const WORK: &str = "target/backoffice-build";

pub(crate) fn build(lint: cmd::Lint) -> Result {
    let mut build = cmd::cargo([
        "build",
        "--locked",
        "-p",
        "chimpassist-backoffice",
        "--lib",
        "--target",
        WASM_TARGET,
        "--profile",
        "backoffice",
        // Explicit, so the output path below holds whatever CARGO_TARGET_DIR says.
        "--target-dir",
        "target",
    ]);
    cmd::lint(&mut build, lint)?;
    cmd::run(&mut build)?;
    let work = PathBuf::from(WORK);
    fresh_dir(&work)?;
    let raw = format!("target/{WASM_TARGET}/backoffice/chimpassist_backoffice.wasm");
    cmd::run(&mut cmd::new(
        "wasm-bindgen",
        [
            "--target",
            "web",
            "--no-typescript",
            "--out-dir",
            WORK,
            &raw,
        ],
    ))?;
    let opt = work.join("app.wasm");
    cmd::run(&mut cmd::new(
        &wasm_opt(),
        [
            "-Oz",
            "--strip-debug",
            "--strip-producers",
            &work
                .join("chimpassist_backoffice_bg.wasm")
                .display()
                .to_string(),
            "-o",
            &opt.display().to_string(),
        ],
    ))?;
    let wasm = std::fs::read(&opt).map_err(crate::files::io("reading", &opt))?;
    // The call engine (`widget/js/call.js`) is a wasm-bindgen snippet: one file, not two.
    let glue = inline_snippets(&work, &read(&format!("{WORK}/chimpassist_backoffice.js"))?)?;
    let mut css = String::new();
    for path in STYLES {
        css.push_str(&read(path)?);
        css.push('\n');
    }

    let hash = content_hash(&[wasm.as_slice(), glue.as_bytes(), css.as_bytes()].concat());
    let (js_name, wasm_name, css_name, boot_name) = (
        format!("app-{hash}.js"),
        format!("app-{hash}.wasm"),
        format!("app-{hash}.css"),
        format!("boot-{hash}.js"),
    );
    let boot = format!(
        "import init from \"./{js_name}\";\ninit({{ module_or_path: new URL(\"./{wasm_name}\", import.meta.url) }});\n"
    );
    let out = PathBuf::from(OUT);
    fresh_dir(&out)?;
    write(&out.join(&wasm_name), &wasm)?;
    write(&out.join(&js_name), glue.as_bytes())?;
    write(&out.join(&css_name), css.as_bytes())?;
    write(&out.join(&boot_name), boot.as_bytes())?;
    write(
        &out.join("index.html"),
        page(&css_name, &js_name, &wasm_name, &boot_name).as_bytes(),
    )?;
    let rows = [
        ("app WASM", out.join(&wasm_name)),
        ("JS glue + start", out.join(&js_name)),
        ("CSS", out.join(&css_name)),
        ("index.html", out.join("index.html")),
    ];
    brotli(&out.join(&boot_name))?;
    let mut total = (0, 0);
    println!("\nback-office sizes (bytes)");
    println!("{:<18} {:>9} {:>9}", "asset", "raw", "brotli");
    for (label, path) in &rows {
        let (raw, br) = (size(path)?, brotli(path)?);
        total = (total.0 + raw, total.1 + br);
        println!("{label:<18} {raw:>9} {br:>9}");
    }
    println!("{:<18} {:>9} {:>9}", "total", total.0, total.1);
    Ok(())
}

/// The page: the stylesheet, preloads so the WASM download starts with the page, and the
/// start module. The body shows a plain loading line until the app replaces it.
fn page(css: &str, js: &str, wasm: &str, boot: &str) -> String {
    let p = "/backoffice";
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chimp Assist</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{p}/{css}">
<link rel="modulepreload" href="{p}/{js}">
<link rel="preload" href="{p}/{wasm}" as="fetch" type="application/wasm" crossorigin>
<script type="module" src="{p}/{boot}"></script>
</head>
<body>
<div id="boot" class="ba-boot" role="status">Chimp Assist…</div>
<noscript>The Chimp Assist back-office needs JavaScript.</noscript>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script() {
        let html = page("a.css", "a.js", "a.wasm", "b.js");
        assert!(html.contains(r#"<script type="module" src="/backoffice/b.js"></script>"#));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains(r#"href="/backoffice/a.css""#));
    }
}
