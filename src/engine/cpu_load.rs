//! How many cores other programs keep busy: per-CPU time from /proc/stat less this process's
//! own (/proc/self/stat) over a window, and `procs_running` for an instant. llama.cpp's threads
//! wait for each other at every step, so one descheduled by another program stalls them all;
//! the adaptive thread count (`threads.rs`) leaves those cores alone.
//!
//! The parsing and the arithmetic are plain functions on text, so recorded samples test them;
//! only `Probe::sample` reads the system. Where /proc does not exist (not Linux) it reads
//! nothing and the thread count stays what it always was.

use std::path::PathBuf;

/// One CPU's counters, in clock ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTicks {
    /// Time running anything (user, nice, system, irq, softirq) or taken by the hypervisor
    /// (steal: the core was not there for us either).
    pub busy: u64,
    /// `busy` plus idle and iowait.
    pub total: u64,
}

/// One reading of the system's and this process's CPU time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// `cpuN` lines: (N, counters), in file order.
    pub cpus: Vec<(usize, CpuTicks)>,
    /// Tasks runnable right now, system-wide (this process's included).
    pub procs_running: u32,
    /// This process's user + system time, all threads (ticks).
    pub self_ticks: u64,
    /// This process's threads runnable right now (0 when not read).
    pub self_running: u32,
}

/// What other programs did with the CPUs between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// The window's length in ticks (elapsed time per CPU).
    pub window_ticks: f64,
    /// Cores other programs kept busy, on average over the window.
    pub others: f64,
    /// CPUs the window covers (those allowed to this process, present in both samples).
    pub cpus: u32,
}

/// Per-CPU counters and `procs_running` from the text of /proc/stat.
pub fn parse_stat(text: &str) -> Option<(Vec<(usize, CpuTicks)>, u32)> {
    let mut cpus = Vec::new();
    let mut running = None;
    for line in text.lines() {
        let mut f = line.split_ascii_whitespace();
        let Some(key) = f.next() else { continue };
        if key == "procs_running" {
            running = f.next().and_then(|v| v.parse().ok());
        } else if let Some(n) = key.strip_prefix("cpu").and_then(|n| n.parse().ok()) {
            // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
            // already inside user and nice, so it is not added again.
            let v: Vec<u64> = f.take(8).map_while(|x| x.parse().ok()).collect();
            if v.len() < 4 {
                return None;
            }
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
            cpus.push((
                n,
                CpuTicks {
                    busy,
                    total: busy + at(3) + at(4),
                },
            ));
        }
    }
    (!cpus.is_empty()).then_some((cpus, running.unwrap_or(0)))
}

/// The fields after the command name of a /proc/PID/stat line (the name may hold spaces and
/// parentheses, so the split is at the last ')'); the first is the state.
fn stat_fields(text: &str) -> Option<Vec<&str>> {
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_ascii_whitespace().collect())
}

/// User + system ticks from the text of /proc/self/stat (fields 14 and 15).
pub fn parse_self_stat(text: &str) -> Option<u64> {
    let f = stat_fields(text)?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Whether a /proc/PID/task/TID/stat text says the thread is runnable.
pub fn is_running(text: &str) -> bool {
    stat_fields(text).is_some_and(|f| f.first() == Some(&"R"))
}

/// Cores other programs kept busy between samples `a` and `b`, counting only the CPUs `allowed`
/// says this process may run on. `None` when the samples share no CPU or no time passed.
pub fn load_between(a: &Sample, b: &Sample, allowed: impl Fn(usize) -> bool) -> Option<Load> {
    let (mut busy, mut total, mut cpus) = (0u64, 0u64, 0u32);
    for &(n, now) in b.cpus.iter().filter(|(n, _)| allowed(*n)) {
        let Some(&(_, then)) = a.cpus.iter().find(|(m, _)| *m == n) else {
            continue;
        };
        busy += now.busy.saturating_sub(then.busy);
        total += now.total.saturating_sub(then.total);
        cpus += 1;
    }
    if cpus == 0 || total == 0 {
        return None;
    }
    let window_ticks = total as f64 / cpus as f64;
    let mine = b.self_ticks.saturating_sub(a.self_ticks);
    let others = busy.saturating_sub(mine) as f64 / window_ticks;
    Some(Load {
        window_ticks,
        others: others.clamp(0.0, cpus as f64),
        cpus,
    })
}

/// Other programs' tasks runnable at the instant of `s` (the reading thread counts as ours).
pub fn others_now(s: &Sample) -> u32 {
    s.procs_running.saturating_sub(s.self_running.max(1))
}

/// Reads samples from /proc (or `HOWDAH_PROC_DIR`, where a test plays recorded ones).
pub struct Probe {
    root: PathBuf,
    /// CPUs this process may run on; `None`: all (unknown, or a recorded /proc taken whole).
    allowed: Option<Vec<usize>>,
    /// Ticks per second of the /proc counters.
    pub ticks_per_sec: f64,
}

impl Probe {
    pub fn new() -> Probe {
        let fake = std::env::var_os("HOWDAH_PROC_DIR").filter(|d| !d.is_empty());
        Probe {
            allowed: if fake.is_some() { None } else { affinity() },
            root: fake.map(PathBuf::from).unwrap_or_else(|| "/proc".into()),
            ticks_per_sec: clock_ticks(),
        }
    }

    pub fn allows(&self, cpu: usize) -> bool {
        self.allowed.as_ref().is_none_or(|a| a.contains(&cpu))
    }

    /// CPUs of `s` this process may use.
    pub fn usable(&self, s: &Sample) -> u32 {
        s.cpus.iter().filter(|(n, _)| self.allows(*n)).count() as u32
    }

    /// A sample; with `tasks`, this process's runnable threads are counted too (one small read
    /// per thread, so only when the instant matters). `None` where /proc cannot be read.
    pub fn sample(&self, tasks: bool) -> Option<Sample> {
        let stat = std::fs::read_to_string(self.root.join("stat")).ok()?;
        let (cpus, procs_running) = parse_stat(&stat)?;
        let own = std::fs::read_to_string(self.root.join("self/stat")).ok()?;
        let self_ticks = parse_self_stat(&own)?;
        let self_running = if tasks { self.running_threads() } else { 0 };
        Some(Sample {
            cpus,
            procs_running,
            self_ticks,
            self_running,
        })
    }

    fn running_threads(&self) -> u32 {
        let Ok(dir) = std::fs::read_dir(self.root.join("self/task")) else {
            return 0;
        };
        dir.flatten()
            .filter(|e| {
                std::fs::read_to_string(e.path().join("stat")).is_ok_and(|t| is_running(&t))
            })
            .count() as u32
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new()
    }
}

#[cfg(target_os = "linux")]
fn affinity() -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it for this thread (pid 0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        Some(
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect(),
        )
    }
}

#[cfg(not(target_os = "linux"))]
fn affinity() -> Option<Vec<usize>> {
    None
}

#[cfg(unix)]
fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a system constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

#[cfg(not(unix))]
fn clock_ticks() -> f64 {
    100.0
}
