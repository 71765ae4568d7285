//! What /proc says a process has used: CPU time and resident memory, for benches and the
//! tests that bound them.

/// /proc counts CPU time in USER_HZ, which Linux fixes at 100 for user space.
pub const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time (user + system, all threads) a process has used, in clock ticks; 0 once it is gone.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces: utime is
    // field 14, stime 15.
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// Resident memory (VmRSS) of a process, KiB; 0 once it is gone.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
