//! The command line's single way out to stdout and stderr: every byte written goes through the
//! sanitizer (no escape sequence or control byte from a file name, session id, model output or
//! llama.cpp message reaches the terminal), and a closed stdout pipe (`howdah … | head`) ends
//! the program quietly instead of panicking.
//!
//! `tests/output_boundary.rs` fails when code outside this module (and the TUI's terminal
//! layer) prints by any other route.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::text::sanitize;

/// Set once stdout is found closed; long writers (token streams) check it to stop at once.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes sanitized text to stdout (kept: `\n`, `\t`). A closed pipe exits the process with
/// status 0 and no message, as `cat` and `ls` do when the reader has gone.
pub fn out_str(text: &str) {
    if try_out(text).is_err() {
        quiet_exit();
    }
}

/// Writes `text` byte for byte when stdout is a file or a pipe (where exact bytes are the point,
/// as for `chat-template`'s rendered prompt), and sanitized when it is a terminal.
pub fn out_exact(text: &str) {
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        return out_str(text);
    }
    let mut o = io::stdout().lock();
    if o.write_all(text.as_bytes())
        .and_then(|_| o.flush())
        .is_err()
    {
        quiet_exit();
    }
}

/// Like [`out_str`], but reports a closed stdout to the caller instead of exiting: for writers
/// that must stop work in progress (generation) and save before leaving.
pub fn try_out(text: &str) -> io::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Acquire) {
        return Err(io::ErrorKind::BrokenPipe.into());
    }
    let clean = sanitize(text);
    let mut o = io::stdout().lock();
    let r = o.write_all(clean.as_bytes()).and_then(|_| o.flush());
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Release);
            Err(e)
        }
        Err(e) => {
            err_str(&format!("howdah: cannot write to stdout: {e}\n"));
            std::process::exit(1);
        }
        Ok(()) => Ok(()),
    }
}

/// Whether a write to stdout has found the pipe closed.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Acquire)
}

/// Writes sanitized text to stderr; errors (stderr closed too) are ignored: there is nowhere
/// left to report them.
pub fn err_str(text: &str) {
    err_raw(&sanitize(text));
}

/// Terminal control sequences howdah itself emits on stderr (the progress line's
/// carriage return and erase-line), never built from outside text.
pub fn err_control(seq: Control) {
    err_raw(match seq {
        Control::ClearLine => "\r\x1b[2K",
    });
}

/// The few control sequences the command line is allowed to write.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    /// Back to the line start and erase it (under a progress line).
    ClearLine,
}

fn err_raw(text: &str) {
    super::stderr_capture::write_fd(super::stderr_capture::real_stderr(), text.as_bytes());
}

/// Whether howdah's stderr is a terminal (fd 2 itself is a pipe while llama.cpp's output is
/// captured).
pub fn stderr_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(super::stderr_capture::real_stderr()) == 1 }
}

/// Leaves at once, quietly: the reader of stdout is gone, so nothing more is wanted.
pub fn quiet_exit() -> ! {
    std::process::exit(0)
}

/// `print!` through the sanitizer.
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::output::out_str(&format!($($t)*)) };
}

/// `println!` through the sanitizer.
macro_rules! outln {
    () => { $crate::cli::output::out_str("\n") };
    ($($t:tt)*) => { $crate::cli::output::out_str(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` through the sanitizer.
macro_rules! eout {
    ($($t:tt)*) => { $crate::cli::output::err_str(&format!($($t)*)) };
}

/// `eprintln!` through the sanitizer.
macro_rules! eoutln {
    ($($t:tt)*) => { $crate::cli::output::err_str(&format!("{}\n", format_args!($($t)*))) };
}

pub(crate) use {eout, eoutln, out, outln};

#[cfg(test)]
mod tests {
    #[test]
    fn macros_format_like_print() {
        assert_eq!(format!("{}\n", format_args!("{} {x}", 1, x = 2)), "1 2\n");
    }
}
