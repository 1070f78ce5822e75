//! A tiny helper to run external commands: echo them, time them, and turn failures into
//! clear messages (never panics on a missing program).

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Errors are human-readable messages; `main` prints them and exits non-zero.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// `program args…`.
pub(crate) fn new<I, S>(program: &str, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}

/// `cargo args…`, using the cargo that invoked xtask (same toolchain), else `cargo` on PATH.
pub(crate) fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(args);
    cmd
}

/// Echoes `cmd`, runs it with inherited stdio, and returns how long it took. Fails if it
/// cannot be started or exits unsuccessfully.
pub(crate) fn run(cmd: &mut Command) -> Result<Duration> {
    let shown = display(cmd);
    println!("$ {shown}");
    let start = Instant::now();
    let status = cmd.status().map_err(|e| spawn_error(cmd, &shown, &e))?;
    let took = start.elapsed();
    if status.success() {
        Ok(took)
    } else {
        Err(format!(
            "`{shown}` failed ({status}) after {:.1}s",
            took.as_secs_f64()
        ))
    }
}

/// Replaces the current process with `cmd` (Unix), so Ctrl-C and the exit code go straight
/// to it. Elsewhere, runs it and mirrors its exit status.
pub(crate) fn exec(mut cmd: Command) -> Result {
    let shown = display(&cmd);
    println!("$ {shown}");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let err = cmd.exec(); // only returns on failure
        Err(spawn_error(&cmd, &shown, &err))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(|e| spawn_error(&cmd, &shown, &e))?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// Whether `cmd` runs and exits successfully (quietly; used for presence checks).
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The stdout of `cmd` if it runs and exits successfully (stderr is discarded).
pub(crate) fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a cargo build also lints what it compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lint {
    Off,
    /// clippy on the packages asked for, warnings denied (as `cargo clippy -- -D warnings`).
    Clippy,
}

/// Makes `cmd`, a cargo build, lint the packages it was asked for as it compiles them.
///
/// `cargo clippy` is `cargo check` with `clippy-driver` as the workspace's rustc wrapper and
/// its arguments in `CLIPPY_ARGS`. The same on a full build lints and compiles in one pass:
/// run as separate steps, clippy then the build compiled every crate twice (on the 2-core CI
/// machine the two clippy passes took 224 s of 1,197).
pub(crate) fn lint(cmd: &mut Command, lint: Lint) -> Result {
    if lint == Lint::Off {
        return Ok(());
    }
    let sysroot = stdout_of(&mut new("rustc", ["--print", "sysroot"]))
        .ok_or("could not ask rustc for its sysroot")?;
    let driver = Path::new(sysroot.trim()).join("bin").join("clippy-driver");
    if !driver.is_file() {
        return Err(format!(
            "{} is missing: `rustup component add clippy`",
            driver.display()
        ));
    }
    cmd.env("RUSTC_WORKSPACE_WRAPPER", driver)
        .env("CLIPPY_ARGS", "-Dwarnings__CLIPPY_HACKERY__");
    Ok(())
}

/// Whether an executable named `program` is on PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn spawn_error(cmd: &Command, shown: &str, err: &std::io::Error) -> String {
    let program = program_name(cmd.get_program());
    if err.kind() == ErrorKind::NotFound {
        format!("`{program}` not found on PATH (needed to run `{shown}`)")
    } else {
        format!("could not start `{shown}`: {err}")
    }
}

/// Shell-like rendering of a command for logs and error messages.
pub(crate) fn display(cmd: &Command) -> String {
    let mut parts = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            parts.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    parts.push(program_name(cmd.get_program()));
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

/// Just the file name of an absolute program path (e.g. `$CARGO`), for readable logs.
fn program_name(program: &OsStr) -> String {
    Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned()
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_when_needed() {
        let mut cmd = new("/usr/bin/apt-get", ["install", "-y", "two words", ""]);
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        assert_eq!(
            display(&cmd),
            "DEBIAN_FRONTEND=noninteractive apt-get install -y 'two words' ''"
        );
    }

    #[test]
    fn missing_program_is_an_error_not_a_panic() {
        let err = run(&mut new("chimpassist-no-such-program", ["x"])).unwrap_err();
        assert!(err.contains("not found on PATH"), "{err}");
        assert!(!succeeds(&mut new("chimpassist-no-such-program", [""; 0])));
    }
}
