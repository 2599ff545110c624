//! Switching the colour theme while the app runs (`alt+t`, or in the settings panel), not only
//! at start: the themes to cycle through are read once at start, so switching does no I/O.

use std::path::Path;

use super::app::{App, Level};
use super::theme::Theme;

/// The built-in themes and the user's valid ones in `<config>/themes/`, the current one
/// included (first when it is none of these).
pub fn available(current: &Theme, config_dir: &Path) -> Vec<Theme> {
    let mut names: Vec<String> = Theme::built_in_names()
        .into_iter()
        .map(String::from)
        .collect();
    if let Ok(rd) = std::fs::read_dir(config_dir.join("themes")) {
        let mut user: Vec<String> = rd
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".toml").map(str::to_string)
            })
            .filter(|n| !names.contains(n))
            .collect();
        user.sort();
        names.extend(user);
    }
    let mut out: Vec<Theme> = names
        .iter()
        .filter_map(|n| match Theme::load(n, config_dir) {
            // A broken user theme was reported at start (if chosen); it is not offered.
            (t, None) => Some(t),
            (_, Some(_)) => None,
        })
        .collect();
    match out.iter().position(|t| t.name == current.name) {
        Some(i) => out[i] = current.clone(),
        None => out.insert(0, current.clone()),
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_user_themes_are_offered_and_broken_ones_not() {
        let dir = tempfile::tempdir().unwrap();
        let themes = dir.path().join("themes");
        std::fs::create_dir_all(&themes).unwrap();
        let dark = include_str!("../../themes/dark.toml");
        std::fs::write(
            themes.join("mine.toml"),
            dark.replace("\"dark\"", "\"mine\""),
        )
        .unwrap();
        std::fs::write(themes.join("broken.toml"), "nonsense").unwrap();
        let names: Vec<String> = available(&Theme::default(), dir.path())
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["dark", "light", "high-contrast", "mine"]);
    }
}
