//! Memory and CPU of a process, read from `/proc` (Linux only, which is where this benchmark
//! runs). Reading files needs no unsafe code, unlike `getrusage`/`sysconf`.

use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` times. `USER_HZ` is 100 on every Linux
/// architecture this runs on (it is part of the user-space ABI, unlike the kernel's HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// Resident and peak resident memory, KiB (`VmRSS`, `VmHWM` of `/proc/<pid>/status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Memory {
    pub(crate) rss_kib: u64,
    pub(crate) peak_kib: u64,
}

/// Reads the memory of `pid`; zeros if the process is gone.
pub(crate) fn memory(pid: u32) -> Memory {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| parse_status(&s))
        .unwrap_or_default()
}

fn parse_status(status: &str) -> Memory {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}

/// User + system CPU seconds `pid` has used (all its threads).
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| parse_stat_ticks(&s))
        .map_or(0.0, |ticks| ticks as f64 / TICKS_PER_SECOND)
}

/// `utime + stime` from a `stat` line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // After the name: state(3) ppid(4) … utime is field 14, stime 15 → indexes 11, 12 here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Whether `pid` has exited: gone, or a zombie its parent has not reaped yet.
pub(crate) fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = &s[s.rfind(')')? + 1..];
            after.split_whitespace().next().map(|state| state == "Z")
        })
        .unwrap_or(true)
}

/// Memory of several processes (the nodes of a cluster), added up.
pub(crate) fn memory_of(pids: &[u32]) -> Memory {
    pids.iter()
        .map(|&pid| memory(pid))
        .fold(Memory::default(), |a, m| Memory {
            rss_kib: a.rss_kib + m.rss_kib,
            peak_kib: a.peak_kib + m.peak_kib,
        })
}

/// CPU seconds of several processes, added up.
pub(crate) fn cpu_seconds_of(pids: &[u32]) -> f64 {
    pids.iter().map(|&pid| cpu_seconds(pid)).sum()
}

/// CPU use of the target (its processes: one server, or the nodes of a cluster) and of this
/// process over a span of wall time.
#[derive(Debug)]
pub(crate) struct CpuMeter {
    pids: Vec<u32>,
    started: Instant,
    target_start: f64,
    own_start: f64,
}

impl CpuMeter {
    pub(crate) fn start(pids: &[u32]) -> Self {
        Self {
            pids: pids.to_vec(),
            started: Instant::now(),
            target_start: cpu_seconds_of(pids),
            own_start: cpu_seconds(std::process::id()),
        }
    }

    /// (target, load generator) CPU use since `start`, in cores (1.0 = one core busy).
    pub(crate) fn cores(&self) -> (f64, f64) {
        let wall = self.started.elapsed().as_secs_f64().max(1e-3);
        let target = (cpu_seconds_of(&self.pids) - self.target_start) / wall;
        let own = (cpu_seconds(std::process::id()) - self.own_start) / wall;
        (target, own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_kib() {
        let status = "Name:\tchimpassist\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status(status),
            Memory {
                rss_kib: 102_400,
                peak_kib: 204_800
            }
        );
        assert_eq!(parse_status("Name:\tx\n"), Memory::default());
    }

    #[test]
    fn stat_ticks_survive_odd_command_names() {
        let stat = "42 (a (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_stat_ticks(stat), Some(300));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn this_process_is_readable() {
        assert!(memory(std::process::id()).rss_kib > 0);
    }
}
