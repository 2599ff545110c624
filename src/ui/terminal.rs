//! Owning the terminal: raw mode, alternate screen, mouse, bracketed paste and keyboard
//! enhancement on; all of it undone on drop, on panic (ratatui's hook plus ours) and therefore
//! on every exit path that unwinds.

use std::io::{stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::execute;
use ratatui::DefaultTerminal;

static MOUSE: AtomicBool = AtomicBool::new(false);
static KEYBOARD: AtomicBool = AtomicBool::new(false);
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminal in UI mode; dropping it gives the terminal back as it was.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    pub fn new(mouse: bool) -> std::io::Result<TerminalGuard> {
        // A fatal signal (a llama.cpp abort) cannot unwind: its handler restores the terminal.
        super::abort_guard::install();
        // Raw mode + alternate screen + a panic hook that restores both.
        let terminal = ratatui::try_init()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard { terminal };
        enable_extras(mouse)?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            undo_extras();
            previous(info);
        }));
        Ok(guard)
    }
}

/// Turns off what ratatui's own restore does not know about. Safe to call more than once.
fn undo_extras() {
    let mut out = stdout();
    if KEYBOARD.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    if ACTIVE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableBracketedPaste);
    }
    let _ = out.flush();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        undo_extras();
        if ACTIVE.swap(false, Ordering::SeqCst) {
            let _ = self.terminal.show_cursor();
            ratatui::restore();
        }
        super::abort_guard::disarm();
    }
}

/// Hands the terminal to a child program (`$EDITOR`): extras off, main screen, cooked mode.
pub fn suspend() -> std::io::Result<()> {
    undo_extras();
    crossterm::terminal::disable_raw_mode()?;
    execute!(
        stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    )
}

/// Takes the terminal back after [`suspend`]: raw mode, alternate screen and the extras again.
pub fn resume(mouse: bool) -> std::io::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    execute!(stdout(), crossterm::terminal::EnterAlternateScreen)?;
    enable_extras(mouse)
}

/// Bracketed paste, mouse capture (when asked for) and, where the terminal supports it, the
/// keyboard protocol that reports shift+enter and a bare esc unambiguously. `undo_extras`
/// turns off exactly what this turned on.
fn enable_extras(mouse: bool) -> std::io::Result<()> {
    let mut out = stdout();
    execute!(out, EnableBracketedPaste)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    if matches!(
        crossterm::terminal::supports_keyboard_enhancement(),
        Ok(true)
    ) {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        KEYBOARD.store(true, Ordering::SeqCst);
    }
    Ok(())
}
