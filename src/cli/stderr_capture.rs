//! For the headless commands, file descriptor 2 becomes a pipe read by a thread that passes
//! everything through the sanitizer to the real stderr: llama.cpp prints some messages itself
//! (`fprintf(stderr, …)`, e.g. an invalid grammar quoted whole), bypassing its log callback,
//! and those could carry escape bytes from a file. howdah's own messages go to the real stderr
//! directly (see `output`), so they stay in order and are never held in the pipe.

use std::io::Read;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread::JoinHandle;

use crate::text::Sanitizer;

/// The real stderr while a capture runs (-1: none, write to fd 2).
static REAL_STDERR: AtomicI32 = AtomicI32::new(-1);

/// The descriptor howdah's own messages go to.
pub fn real_stderr() -> RawFd {
    match REAL_STDERR.load(Ordering::Acquire) {
        -1 => 2,
        fd => fd,
    }
}

/// While alive, fd 2 is the sanitizing pipe. [`Capture::finish`] (or drop) restores it and
/// waits until everything written before is passed on.
pub struct Capture {
    saved: RawFd,
    reader: Option<JoinHandle<()>>,
}

impl Capture {
    /// None when a descriptor cannot be made; stderr is then left as it is.
    pub fn start() -> Option<Capture> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: plain descriptor calls; every descriptor made here is owned below.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return None;
            }
            let saved = libc::dup(2);
            if saved < 0 || libc::dup2(fds[1], 2) < 0 {
                libc::close(fds[0]);
                libc::close(fds[1]);
                if saved >= 0 {
                    libc::close(saved);
                }
                return None;
            }
            libc::close(fds[1]);
            libc::fcntl(saved, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            REAL_STDERR.store(saved, Ordering::Release);
            let pipe = std::fs::File::from_raw_fd(fds[0]);
            let reader = std::thread::Builder::new()
                .name("stderr-sanitizer".into())
                .spawn(move || forward(pipe, saved))
                .ok();
            // A panic's message would otherwise sit in the pipe when the process ends.
            std::panic::set_hook(Box::new(|info| {
                super::output::err_str(&format!("howdah: {info}\n"));
            }));
            Some(Capture { saved, reader })
        }
    }

    /// Puts the real stderr back on fd 2 (closing the pipe's last writer) and waits for the
    /// reader to pass on what is left.
    pub fn finish(mut self) {
        self.restore();
    }

    fn restore(&mut self) {
        if let Some(reader) = self.reader.take() {
            // SAFETY: `saved` is a valid descriptor owned by this guard.
            unsafe {
                libc::dup2(self.saved, 2);
            }
            let _ = reader.join();
            REAL_STDERR.store(-1, Ordering::Release);
            // SAFETY: nothing uses `saved` any more (the reader has ended).
            unsafe {
                libc::close(self.saved);
            }
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.restore();
    }
}

fn forward(mut pipe: std::fs::File, to: RawFd) {
    let mut sanitizer = Sanitizer::new();
    let mut buf = vec![0u8; 8192];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        // Pass on whole UTF-8 characters only; a split one waits for its rest.
        let cut = match std::str::from_utf8(&pending) {
            Ok(_) => pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => pending.len(),
        };
        let text = String::from_utf8_lossy(&pending[..cut]).into_owned();
        pending.drain(..cut);
        write_fd(to, sanitizer.push(&text).as_bytes());
    }
    if !pending.is_empty() {
        write_fd(
            to,
            sanitizer
                .push(&String::from_utf8_lossy(&pending))
                .as_bytes(),
        );
    }
}

/// Writes all of `bytes` to `fd`, giving up on an error (a closed terminal).
pub fn write_fd(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a valid slice to a descriptor this process holds.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
