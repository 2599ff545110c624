//! OpenMP waiting policy. llama.cpp's OpenMP worker threads spin while they wait for each other;
//! with another process busy on the same cores the spinning threads steal the time the working
//! ones need, and generation collapses (2-9 tok/s instead of ~50 on two cores). Passive waiting
//! sleeps instead. The OpenMP runtime reads `OMP_WAIT_POLICY` once, when the library is loaded,
//! before `main` runs, so setting it later does nothing: the process starts itself again with
//! the variable set. A policy the user set is left alone.

use std::ffi::OsString;

/// The variable and the value howdah uses when the user set none.
pub const VAR: &str = "OMP_WAIT_POLICY";
pub const DEFAULT: &str = "passive";

/// Re-executes the current program with `OMP_WAIT_POLICY=passive` unless it is already set.
/// Returns only when no re-execution happened (already set, or the exec failed).
pub fn ensure_passive_wait() {
    if std::env::var_os(VAR).is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        // exec replaces this process (same pid, same terminal); it returns only on failure.
        let err = std::process::Command::new(exe)
            .args(args)
            .env(VAR, DEFAULT)
            .exec();
        tracing::warn!("cannot restart with {VAR}={DEFAULT}: {err}");
    }
}
