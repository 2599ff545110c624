//! ctrl+c and SIGTERM for the long commands (`eval`, `compare`, `replay`): the first one stops
//! the work where it is (a cancel flag the loops check, and the engine's request cancelled) so
//! the command can print and save what it has; a second one exits at once.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;

use crate::engine::Engine;

/// Exit status after a first ctrl+c, as shells report a command ended by SIGINT.
pub const INTERRUPTED_STATUS: u8 = 130;

/// The handlers of one command run; dropping it restores the default actions.
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

impl Interrupt {
    /// Installs the handlers. Without them (registration refused) ctrl+c keeps its default
    /// action, which is still correct, only less kind.
    pub fn install() -> Interrupt {
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag before this signal sets it: exits only on
            // the second signal.
            let status = 128 + sig;
            if let Ok(id) =
                signal_hook::flag::register_conditional_shutdown(sig, status, flag.clone())
            {
                ids.push(id);
            }
            if let Ok(id) = signal_hook::flag::register(sig, flag.clone()) {
                ids.push(id);
            }
        }
        Interrupt { flag, ids }
    }

    /// The flag the work loops poll.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    pub fn fired(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Cancels the engine's requests as soon as the flag is set, for loops that block in the
    /// engine (a replayed turn) rather than poll between rows. The watcher thread ends with
    /// the engine's borrow, when `work` returns.
    pub fn while_running<T>(&self, engine: &Engine, work: impl FnOnce() -> T) -> T {
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Acquire) {
                    if self.fired() {
                        engine.cancel_all();
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            });
            let out = work();
            done.store(true, Ordering::Release);
            out
        })
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The error a command returns after reporting its partial results: `main` exits with
/// [`INTERRUPTED_STATUS`] and this message.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted: {}", self.0)
    }
}

impl std::error::Error for Interrupted {}
