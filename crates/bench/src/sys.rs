//! What the machine is and how much memory this process used.

use std::time::Duration;

/// Peak resident set size of this process so far (`VmHWM` in `/proc/self/status`), in bytes.
/// `None` where `/proc` is not available.
pub fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

/// Start a new peak: writing `5` to `/proc/self/clear_refs` resets `VmHWM` to the current RSS
/// (Linux 4.0 and later), so each phase's peak is its own. Returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Resident set size of this process now (`VmRSS`), in bytes.
pub fn rss() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn opt_mib(bytes: Option<u64>) -> String {
    bytes.map(mib).unwrap_or_else(|| "n/a".into())
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn per_second(count: u64, d: Duration) -> String {
    let s = d.as_secs_f64();
    if s <= 0.0 { "n/a".into() } else { thousands((count as f64 / s).round() as u64) }
}

/// 12345 as "12,345" (core's, for a count).
pub fn thousands(n: u64) -> String {
    caremarket_core::text::thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The load averages over 1, 5 and 15 minutes (`/proc/loadavg`), as "1.20 1.05 0.80".
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// One line describing the build and machine, printed above every table.
pub fn describe_machine() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map(|kib| format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)))
        .unwrap_or_else(|| "unknown".into());
    let profile = if cfg!(debug_assertions) { "debug (figures not comparable: use --release)" } else { "release" };
    format!("{cores} cores available, {mem} memory, {profile} build")
}

/// CPU time this process has used (user and system, every thread), from `/proc/self/stat`'s
/// `utime` and `stime` in clock ticks of 1/100 s (Linux's `USER_HZ` on every common
/// architecture). On a shared machine a page's CPU time per request moves much less with other
/// people's work than its requests a second do.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    // 3 onwards, so utime (14) and stime (15) are the 12th and 13th of those.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time the process used since `before` ([`process_cpu_time`]).
pub fn cpu_since(before: Option<Duration>) -> Option<Duration> {
    Some(process_cpu_time()?.saturating_sub(before?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn reads_own_memory_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss().is_some_and(|p| p > 0));
        }
    }

    /// A thread that keeps a core busy shows in the process's CPU time, still once it has ended:
    /// the thread spins until the process has used 200 ms more (however long a loaded machine
    /// makes that take; it gives up after 30 s of wall time), and the time is read again after.
    #[test]
    fn counts_the_cpu_of_threads_that_have_ended() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let before = process_cpu_time().expect("the process's CPU time");
        let target = before + Duration::from_millis(200);
        let reached = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if process_cpu_time().is_some_and(|now| now >= target) {
                    return true;
                }
                for i in 0..100_000u64 {
                    std::hint::black_box(i);
                }
            }
            false
        })
        .join()
        .expect("the busy thread");
        assert!(reached, "30 s of spinning never showed 200 ms of CPU");
        let used = process_cpu_time().expect("the process's CPU time") - before;
        assert!(used >= Duration::from_millis(200), "{used:?}");
    }
}
