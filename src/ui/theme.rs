//! Colour themes: the built-in ones (embedded from `themes/*.toml`) and the user's own in
//! `<config>/themes/`; each names the UI colours and a syntect theme for code.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::Color;
use serde::Deserialize;

const BUILT_IN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The colours every view draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Name of a syntect default theme used for code blocks.
    pub syntect_theme: String,
    pub fg: Color,
    pub bg: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub border_focused: Color,
    pub user: Color,
    pub assistant: Color,
    pub system: Color,
    pub error: Color,
    pub warning: Color,
    pub success: Color,
    pub selection_bg: Color,
    pub code_bg: Color,
    pub heading: Color,
    pub link: Color,
    pub quote: Color,
    pub status_fg: Color,
    pub status_bg: Color,
    pub gauge: Color,
    pub heat_low: Color,
    pub heat_mid: Color,
    pub heat_high: Color,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    syntect_theme: String,
    colors: Colors,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    foreground: String,
    background: String,
    dim: String,
    accent: String,
    border: String,
    border_focused: String,
    user: String,
    assistant: String,
    system: String,
    error: String,
    warning: String,
    success: String,
    selection_bg: String,
    code_bg: String,
    heading: String,
    link: String,
    quote: String,
    status_fg: String,
    status_bg: String,
    gauge: String,
    heat_low: String,
    heat_mid: String,
    heat_high: String,
}

impl Default for Theme {
    fn default() -> Self {
        // The embedded default is checked by a unit test, so this cannot fail at run time.
        parse("dark", BUILT_IN[0].1).unwrap_or_else(|_| Theme::fallback())
    }
}

impl Theme {
    /// A theme that needs no parsing: the terminal's own colours.
    fn fallback() -> Theme {
        let c = Color::Reset;
        Theme {
            name: "plain".into(),
            syntect_theme: "base16-ocean.dark".into(),
            fg: c,
            bg: c,
            dim: Color::DarkGray,
            accent: Color::Cyan,
            border: Color::DarkGray,
            border_focused: Color::Cyan,
            user: Color::Green,
            assistant: Color::Blue,
            system: Color::Magenta,
            error: Color::Red,
            warning: Color::Yellow,
            success: Color::Green,
            selection_bg: Color::DarkGray,
            code_bg: c,
            heading: Color::Yellow,
            link: Color::Cyan,
            quote: Color::DarkGray,
            status_fg: Color::Black,
            status_bg: Color::Gray,
            gauge: Color::Cyan,
            heat_low: Color::Red,
            heat_mid: Color::Yellow,
            heat_high: Color::Green,
        }
    }

    /// Names of the built-in themes.
    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(n, _)| *n).collect()
    }

    /// Finds a theme by name: the user's folder first (so a user may restyle "dark"), then the
    /// built-in ones. On any problem returns the default theme and a warning saying why.
    pub fn load(name: &str, config_dir: &Path) -> (Theme, Option<String>) {
        // A theme name is a file name, never a path: "../x" must not escape the folder.
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !plain {
            return (
                Theme::default(),
                Some(format!(
                    "theme '{name}' is not a valid theme name (letters, digits, - and _ only); using the default theme"
                )),
            );
        }
        let user = config_dir.join("themes").join(format!("{name}.toml"));
        if user.is_file() {
            return match std::fs::read_to_string(&user)
                .map_err(|e| e.to_string())
                .and_then(|t| parse(name, &t))
            {
                Ok(t) => (t, None),
                Err(e) => (
                    Theme::default(),
                    Some(format!(
                        "theme {}: {e}; using the default theme",
                        user.display()
                    )),
                ),
            };
        }
        match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => match parse(name, text) {
                Ok(t) => (t, None),
                Err(e) => (Theme::default(), Some(format!("built-in theme {name}: {e}"))),
            },
            None => (
                Theme::default(),
                Some(format!(
                    "no theme named '{name}' (built in: {}; or put {name}.toml in {}); using the default theme",
                    Self::built_in_names().join(", "),
                    config_dir.join("themes").display()
                )),
            ),
        }
    }

    /// Heat-map colour for a token probability in 0..=1.
    pub fn heat(&self, p: f32) -> Color {
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (a, b, t) = if p < 0.5 {
            (self.heat_low, self.heat_mid, p * 2.0)
        } else {
            (self.heat_mid, self.heat_high, (p - 0.5) * 2.0)
        };
        match (a, b) {
            (Color::Rgb(r1, g1, b1), Color::Rgb(r2, g2, b2)) => {
                let mix = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
                Color::Rgb(mix(r1, r2), mix(g1, g2), mix(b1, b2))
            }
            _ if t < 0.5 => a,
            _ => b,
        }
    }
}

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

/// Parses a theme file; errors name the bad colour and line.
pub fn parse(name: &str, text: &str) -> Result<Theme, String> {
    let f: ThemeFile = toml::from_str(text).map_err(|e| match e.span() {
        Some(s) => format!(
            "line {}: {}",
            crate::config::line_at(text, s.start),
            e.message().trim()
        ),
        None => e.message().trim().to_string(),
    })?;
    let c = &f.colors;
    let col = |key: &str, v: &str| -> Result<Color, String> {
        Color::from_str(v.trim()).map_err(|_| {
            let line = crate::config::line_of(text, "colors", key)
                .map(|l| format!("line {l}: "))
                .unwrap_or_default();
            format!("{line}colour `{key}` = '{v}' is not a colour (use \"#rrggbb\", a name like \"red\", or \"reset\")")
        })
    };
    if !super::render::highlight::has_theme(&f.syntect_theme) {
        return Err(format!(
            "syntect_theme '{}' is unknown (known: {})",
            f.syntect_theme,
            super::render::highlight::theme_names().join(", ")
        ));
    }
    Ok(Theme {
        name: f.name.unwrap_or_else(|| name.to_string()),
        syntect_theme: f.syntect_theme.clone(),
        fg: col("foreground", &c.foreground)?,
        bg: col("background", &c.background)?,
        dim: col("dim", &c.dim)?,
        accent: col("accent", &c.accent)?,
        border: col("border", &c.border)?,
        border_focused: col("border_focused", &c.border_focused)?,
        user: col("user", &c.user)?,
        assistant: col("assistant", &c.assistant)?,
        system: col("system", &c.system)?,
        error: col("error", &c.error)?,
        warning: col("warning", &c.warning)?,
        success: col("success", &c.success)?,
        selection_bg: col("selection_bg", &c.selection_bg)?,
        code_bg: col("code_bg", &c.code_bg)?,
        heading: col("heading", &c.heading)?,
        link: col("link", &c.link)?,
        quote: col("quote", &c.quote)?,
        status_fg: col("status_fg", &c.status_fg)?,
        status_bg: col("status_bg", &c.status_bg)?,
        gauge: col("gauge", &c.gauge)?,
        heat_low: col("heat_low", &c.heat_low)?,
        heat_mid: col("heat_mid", &c.heat_mid)?,
        heat_high: col("heat_high", &c.heat_high)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse() {
        for (name, text) in BUILT_IN {
            parse(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn bad_user_theme_falls_back_with_warning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        let bad = BUILT_IN[0].1.replace("\"#a3be8c\"", "\"notacolour\"");
        std::fs::write(dir.path().join("themes/mine.toml"), bad).unwrap();
        let (t, w) = Theme::load("mine", dir.path());
        assert_eq!(t, Theme::default());
        let w = w.unwrap();
        assert!(w.contains("mine.toml") && w.contains("notacolour"), "{w}");
    }

    #[test]
    fn theme_names_cannot_escape_the_folder() {
        let (_, w) = Theme::load("../evil", Path::new("/tmp"));
        assert!(w.unwrap().contains("not a valid theme name"));
    }

    #[test]
    fn unknown_theme_warns() {
        let (t, w) = Theme::load("nope", Path::new("/nonexistent"));
        assert_eq!(t.name, "dark");
        assert!(w.unwrap().contains("no theme named 'nope'"));
    }

    #[test]
    fn built_in_and_user_themes_are_offered_and_broken_ones_not() {
        let dir = tempfile::tempdir().unwrap();
        let themes = dir.path().join("themes");
        std::fs::create_dir_all(&themes).unwrap();
        let dark = BUILT_IN[0].1;
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
