//! The `test` step of `cargo xtask test`: every test binary built once, then run in two lanes
//! side by side — the browser binaries (package `chimpassist-e2e`) one after the other in
//! one lane, everything else in the other.
//!
//! Why: `cargo test` runs its binaries one at a time, and the browser binaries spend most of
//! their time waiting (on Chromium, on the widget's timers, on a peer's socket) while one
//! core idles. Measured on the 2-core CI machine, the back-office's browser binary alone took
//! 137 s of the 324 s of running tests. The two browser binaries never share a lane, so at
//! most two Chromium-driven tests run at once, as before.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use crate::cmd::{self, Result};

/// A test binary as cargo reported it.
struct Binary {
    executable: PathBuf,
    /// The package's directory: `cargo test` runs each binary there.
    package_dir: PathBuf,
}

impl Binary {
    fn is_browser(&self) -> bool {
        self.package_dir.ends_with("e2e")
    }

    fn name(&self) -> String {
        let file = self.executable.file_name().unwrap_or_default();
        format!(
            "{} ({})",
            file.to_string_lossy(),
            self.package_dir.display()
        )
    }
}

/// Builds the test binaries of the workspace's libraries, binaries and test targets, then
/// runs them; fails if a build or any binary fails, after all have run.
pub(crate) fn run() -> Result {
    let binaries = build()?;
    let (browser, rest): (Vec<Binary>, Vec<Binary>) =
        binaries.into_iter().partition(Binary::is_browser);
    println!(
        "running {} test binaries: {} browser binaries in one lane, {} others beside them",
        browser.len() + rest.len(),
        browser.len(),
        rest.len()
    );
    let printing = Mutex::new(());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| lane(&browser, &printing));
        let b = s.spawn(|| lane(&rest, &printing));
        (
            a.join().unwrap_or_else(|_| vec!["a lane panicked".into()]),
            b.join().unwrap_or_else(|_| vec!["a lane panicked".into()]),
        )
    });
    let failed: Vec<String> = a.into_iter().chain(b).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failing test binaries: {}", failed.join(", ")))
    }
}

fn build() -> Result<Vec<Binary>> {
    let mut build = cmd::cargo([
        "test",
        "--workspace",
        "--locked",
        "--lib",
        "--bins",
        "--tests",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    println!("$ {}", cmd::display(&build));
    let start = Instant::now();
    let output = build
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("building the tests failed ({})", output.status));
    }
    println!(
        "test binaries built in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let binaries: Vec<Binary> = stdout.lines().filter_map(test_binary).collect();
    if binaries.is_empty() {
        return Err("cargo reported no test binaries".to_owned());
    }
    Ok(binaries)
}

/// The test binary one line of cargo's JSON messages reports, if it reports one. Cargo's own
/// format; the fields read here are plain paths, which it writes without escapes on Unix.
fn test_binary(line: &str) -> Option<Binary> {
    if !line.contains(r#""reason":"compiler-artifact""#) || !line.contains(r#""test":true"#) {
        return None;
    }
    let executable = field(line, "executable")?;
    let manifest = field(line, "manifest_path")?;
    Some(Binary {
        executable: PathBuf::from(executable),
        package_dir: Path::new(manifest).parent()?.to_path_buf(),
    })
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(r#""{name}":""#);
    let start = line.find(&key)? + key.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// Runs `binaries` one after the other, printing each one's output whole when it ends (so
/// two lanes never interleave lines); returns the names of those that failed.
fn lane(binaries: &[Binary], printing: &Mutex<()>) -> Vec<String> {
    let mut failed = Vec::new();
    for binary in binaries {
        let start = Instant::now();
        let output = Command::new(&binary.executable)
            .current_dir(&binary.package_dir)
            .env("CARGO_MANIFEST_DIR", &binary.package_dir)
            .stdin(Stdio::null())
            .output();
        let secs = start.elapsed().as_secs_f64();
        let _turn = printing.lock().unwrap_or_else(|e| e.into_inner());
        println!("\n     Running {} — {secs:.1}s", binary.name());
        let ok = match output {
            Ok(output) => {
                print!("{}", String::from_utf8_lossy(&output.stdout));
                eprint!("{}", String::from_utf8_lossy(&output.stderr));
                output.status.success()
            }
            Err(e) => {
                eprintln!("could not run it: {e}");
                false
            }
        };
        if !ok {
            failed.push(binary.name());
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_artifact_line_gives_its_binary_and_package() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/e2e#chimpassist-e2e@0.1.0","manifest_path":"/w/e2e/Cargo.toml","target":{"kind":["test"],"name":"visitor"},"profile":{"opt_level":"0","test":true},"executable":"/w/target/debug/deps/visitor-1a2b","fresh":true}"#;
        let binary = test_binary(line).expect("a test binary");
        assert_eq!(
            binary.executable,
            Path::new("/w/target/debug/deps/visitor-1a2b")
        );
        assert_eq!(binary.package_dir, Path::new("/w/e2e"));
        assert!(binary.is_browser());
    }

    #[test]
    fn libraries_and_build_scripts_are_not_test_binaries() {
        let library = r#"{"reason":"compiler-artifact","manifest_path":"/w/server/Cargo.toml","profile":{"test":false},"executable":null}"#;
        assert!(test_binary(library).is_none());
        assert!(test_binary(r#"{"reason":"build-finished","success":true}"#).is_none());
    }
}
