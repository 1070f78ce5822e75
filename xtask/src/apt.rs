//! Debian packages via apt-get: installs only what `dpkg -s` reports missing, running
//! `apt-get update` at most once per xtask invocation and only when something is missing.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cmd::{self, Result};

static UPDATED: AtomicBool = AtomicBool::new(false);

/// Whether every package in `pkgs` is installed.
pub(crate) fn all_installed(pkgs: &[&str]) -> bool {
    pkgs.iter().all(|p| installed(p))
}

/// Installs whichever of `pkgs` are missing (non-interactively; via sudo when not root).
pub(crate) fn install(pkgs: &[&str]) -> Result {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !cmd::on_path("apt-get") {
        return Err(format!(
            "apt-get not found (not a Debian/Ubuntu system?); needed for: {}",
            missing.join(" ")
        ));
    }
    if !UPDATED.load(Ordering::SeqCst) {
        cmd::run(&mut privileged(&["apt-get", "update", "-q"])?)?;
        UPDATED.store(true, Ordering::SeqCst);
    }
    let mut args = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    cmd::run(&mut privileged(&args)?)?;
    Ok(())
}

fn installed(pkg: &str) -> bool {
    cmd::stdout_of(&mut cmd::new("dpkg", ["-s", pkg])).is_some_and(|s| {
        s.lines()
            .any(|l| l.trim() == "Status: install ok installed")
    })
}

/// `args` as root, with `DEBIAN_FRONTEND=noninteractive`.
fn privileged(args: &[&str]) -> Result<Command> {
    let cmd = if is_root() {
        let mut cmd = cmd::new(args[0], &args[1..]);
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    } else if cmd::on_path("sudo") {
        // `env` rather than sudo's own VAR=value, which sudoers policy may reject.
        let mut cmd = cmd::new("sudo", ["env", "DEBIAN_FRONTEND=noninteractive"]);
        cmd.args(args);
        cmd
    } else {
        return Err(format!(
            "`{}` needs root: run as root or install sudo",
            args.join(" ")
        ));
    };
    Ok(cmd)
}

fn is_root() -> bool {
    cmd::stdout_of(&mut cmd::new("id", ["-u"])).is_some_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_is_read() {
        if !cmd::on_path("dpkg") {
            return; // not a Debian system
        }
        assert!(all_installed(&["dpkg"]));
        assert!(!all_installed(&["dpkg", "chimpassist-no-such-package"]));
        assert_eq!(install(&["dpkg"]), Ok(())); // already there: no apt-get at all
    }
}
