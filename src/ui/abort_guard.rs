//! Fatal signals (llama.cpp's `GGML_ASSERT` aborts, a segfault in C code) cannot be caught or
//! unwound, so the terminal guard's `Drop` never runs for them. This handler gives the terminal
//! back first — main screen, cursor, no mouse tracking, no bracketed paste, cooked mode — and
//! then lets the signal's default action (core dump, exit status) happen as it would have.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The terminal settings before raw mode, restored from the handler.
static SAVED: OnceLock<Option<libc::termios>> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);

/// Mouse modes off, bracketed paste off, keyboard protocol popped, cursor shown, main screen.
const RESET: &[u8] =
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[<u\x1b[?25h\x1b[?1049l";

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGABRT,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
];

/// Saves the terminal's settings and installs the handler; call before raw mode is entered.
pub fn install() {
    SAVED.get_or_init(|| {
        // SAFETY: tcgetattr only writes the struct it is given.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            (libc::isatty(0) == 1 && libc::tcgetattr(0, &mut t) == 0).then_some(t)
        }
    });
    ARMED.store(true, Ordering::SeqCst);
    for sig in SIGNALS {
        // SAFETY: the handler only calls async-signal-safe functions (write, tcsetattr) and
        // SA_RESETHAND restores the default action, which runs when the signal is re-raised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The terminal was given back normally: a later fatal signal has nothing to restore.
pub fn disarm() {
    ARMED.store(false, Ordering::SeqCst);
}

extern "C" fn handler(sig: libc::c_int) {
    if ARMED.swap(false, Ordering::SeqCst) {
        // SAFETY: write(2) and tcsetattr(3) are async-signal-safe; SAVED was set before arming.
        unsafe {
            libc::write(1, RESET.as_ptr().cast(), RESET.len());
            if let Some(Some(t)) = SAVED.get() {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
    // SAFETY: the default action is back (SA_RESETHAND); raising again makes it happen now for
    // signals raised by abort() or kill, and on return for faults.
    unsafe {
        libc::raise(sig);
    }
}
