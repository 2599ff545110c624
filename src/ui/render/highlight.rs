//! Syntax highlighting of fenced code with syntect, in the colours of the theme's syntect theme.
//! The syntax and theme sets load once per process, on first use.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

fn syntaxes() -> &'static SyntaxSet {
    static S: OnceLock<SyntaxSet> = OnceLock::new();
    S.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn themes() -> &'static ThemeSet {
    static T: OnceLock<ThemeSet> = OnceLock::new();
    T.get_or_init(ThemeSet::load_defaults)
}

pub fn has_theme(name: &str) -> bool {
    themes().themes.contains_key(name)
}

pub fn theme_names() -> Vec<String> {
    themes().themes.keys().cloned().collect()
}

/// Highlights `code` as language `lang` (a fence tag such as "rust", "py" or "sh"); unknown
/// languages come back in `plain`. One entry per line, without line endings.
pub fn highlight(code: &str, lang: &str, theme: &str, plain: Style) -> Vec<Vec<Span<'static>>> {
    let ss = syntaxes();
    let token = lang.split([',', ' ', '{']).next().unwrap_or("").trim();
    let syntax = (!token.is_empty())
        .then(|| {
            ss.find_syntax_by_token(token)
                .or_else(|| ss.find_syntax_by_name(token))
        })
        .flatten();
    let (Some(syntax), Some(th)) = (syntax, themes().themes.get(theme)) else {
        return code
            .lines()
            .map(|l| vec![Span::styled(l.to_string(), plain)])
            .collect();
    };
    let mut h = HighlightLines::new(syntax, th);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(code) {
        let spans = match h.highlight_line(line, ss) {
            Ok(regions) => regions
                .into_iter()
                .filter_map(|(st, text)| {
                    let text = text.trim_end_matches(['\n', '\r']);
                    (!text.is_empty()).then(|| Span::styled(text.to_string(), to_style(st, plain)))
                })
                .collect(),
            // A highlighting failure must not lose the code: show it plain.
            Err(_) => vec![Span::styled(
                line.trim_end_matches(['\n', '\r']).to_string(),
                plain,
            )],
        };
        out.push(spans);
    }
    out
}

fn to_style(st: syntect::highlighting::Style, base: Style) -> Style {
    let f = st.foreground;
    let mut s = base.fg(Color::Rgb(f.r, f.g, f.b));
    if st.font_style.contains(FontStyle::BOLD) {
        s = s.add_modifier(Modifier::BOLD);
    }
    if st.font_style.contains(FontStyle::ITALIC) {
        s = s.add_modifier(Modifier::ITALIC);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_colours() {
        let lines = highlight(
            "fn main() {\n    let x = 1;\n}\n",
            "rust",
            "base16-ocean.dark",
            Style::default(),
        );
        assert_eq!(lines.len(), 3);
        let colours: std::collections::HashSet<_> =
            lines.iter().flatten().filter_map(|s| s.style.fg).collect();
        assert!(
            colours.len() > 1,
            "expected several colours, got {colours:?}"
        );
    }

    #[test]
    fn unknown_language_is_plain() {
        let lines = highlight("a\nb", "nosuchlang", "base16-ocean.dark", Style::default());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][0].content, "a");
    }
}
