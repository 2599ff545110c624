//! Switching the colour theme while the app runs (`alt+t`, or in the settings panel), not only
//! at start: the themes to cycle through (`theme::available`) are read once at start, so
//! switching does no I/O.

use super::app::{App, Level};

/// Moves to the next (or previous) theme and says how to keep it.
pub fn step(app: &mut App, forward: bool) {
    let n = app.themes.len();
    if n < 2 {
        app.notify(Level::Info, "only one theme is available");
        return;
    }
    let i = app
        .themes
        .iter()
        .position(|t| t.name == app.theme.name)
        .unwrap_or(0);
    let next = if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    };
    app.theme = app.themes[next].clone();
    // Cached transcript rows carry the old colours.
    app.theme_id += 1;
    let name = app.theme.name.clone();
    app.notify(
        Level::Info,
        format!("theme '{name}' (theme = \"{name}\" in config.toml starts with it)"),
    );
}
