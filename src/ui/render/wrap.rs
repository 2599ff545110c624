//! Wrapping styled logical lines to a width, with prefixes repeated on continuation lines
//! (quotes, list indents), and cutting one line of text to a column (`fit`). Done here rather
//! than by `Paragraph` so that the transcript knows each message's exact height and can render
//! only the visible window.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// One logical line before wrapping.
#[derive(Debug, Clone, Default)]
pub struct LogicalLine {
    /// Drawn before the first wrapped row (a bullet, a quote bar).
    pub first: Vec<Span<'static>>,
    /// Drawn before every later row (indentation, the quote bar again).
    pub cont: Vec<Span<'static>>,
    pub spans: Vec<Span<'static>>,
    /// Break anywhere (code, tables) instead of at word boundaries.
    pub hard: bool,
    /// Pad each row to the full width in this style (code block background).
    pub fill: Option<Style>,
    /// A horizontal rule across the width, in this style.
    pub rule: Option<Style>,
}

pub fn char_width(c: char) -> usize {
    if c == '\t' {
        4
    } else {
        c.width().unwrap_or(0)
    }
}

pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| str_width(&s.content)).sum()
}

/// Appends text to a row, merging with the last span when the style matches.
fn push(row: &mut Vec<Span<'static>>, text: &str, style: Style) {
    if text.is_empty() {
        return;
    }
    let text = text.replace('\t', "    ");
    if let Some(last) = row.last_mut() {
        if last.style == style {
            last.content.to_mut().push_str(&text);
            return;
        }
    }
    row.push(Span::styled(text, style));
}

/// Wraps one logical line into rows of at most `width` columns.
pub fn wrap_line(l: &LogicalLine, width: usize, out: &mut Vec<Line<'static>>) {
    let width = width.max(1);
    let first_w = spans_width(&l.first);
    let cont_w = spans_width(&l.cont);
    let avail_first = width.saturating_sub(first_w).max(1);
    let avail_cont = width.saturating_sub(cont_w).max(1);
    let mut rows: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut cur = 0usize;
    let avail = |rows: &Vec<Vec<Span<'static>>>| {
        if rows.len() == 1 {
            avail_first
        } else {
            avail_cont
        }
    };
    if let Some(style) = l.rule {
        let n = avail_first;
        rows[0].push(Span::styled("─".repeat(n), style));
    }
    for span in &l.spans {
        let style = span.style;
        if l.hard {
            for c in span.content.chars() {
                let w = char_width(c);
                if cur + w > avail(&rows) && cur > 0 {
                    rows.push(Vec::new());
                    cur = 0;
                }
                let mut b = [0u8; 4];
                if let Some(r) = rows.last_mut() {
                    push(r, c.encode_utf8(&mut b), style);
                }
                cur += w;
            }
            continue;
        }
        for word in split_words(&span.content) {
            let ws = word.starts_with(char::is_whitespace);
            let w = str_width(word);
            if cur + w <= avail(&rows) {
                if !(ws && cur == 0 && rows.len() > 1) {
                    if let Some(r) = rows.last_mut() {
                        push(r, word, style);
                    }
                    cur += w;
                }
                continue;
            }
            if ws {
                // A break replaces the space.
                rows.push(Vec::new());
                cur = 0;
                continue;
            }
            if cur > 0 && w <= avail_cont {
                rows.push(Vec::new());
                cur = 0;
                if let Some(r) = rows.last_mut() {
                    push(r, word, style);
                }
                cur += w;
                continue;
            }
            // A word longer than a row is broken by characters.
            for c in word.chars() {
                let cw = char_width(c);
                if cur + cw > avail(&rows) && cur > 0 {
                    rows.push(Vec::new());
                    cur = 0;
                }
                let mut b = [0u8; 4];
                if let Some(r) = rows.last_mut() {
                    push(r, c.encode_utf8(&mut b), style);
                }
                cur += cw;
            }
        }
    }
    for (i, mut row) in rows.into_iter().enumerate() {
        if !l.hard {
            // A row ends where a space was: that space is not drawn.
            while let Some(last) = row.last_mut() {
                let t = last.content.trim_end().len();
                if t == 0 {
                    row.pop();
                } else {
                    last.content.to_mut().truncate(t);
                    break;
                }
            }
        }
        let mut spans = if i == 0 {
            l.first.clone()
        } else {
            l.cont.clone()
        };
        let used = spans_width(&spans) + spans_width(&row);
        spans.extend(row);
        if let Some(fill) = l.fill {
            if used < width {
                spans.push(Span::styled(" ".repeat(width - used), fill));
            }
        }
        out.push(Line::from(spans));
    }
}

/// Splits text into alternating runs of whitespace and non-whitespace.
fn split_words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_ws: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let ws = c.is_whitespace();
        if prev_ws.is_some_and(|p| p != ws) {
            out.push(&s[start..i]);
            start = i;
        }
        prev_ws = Some(ws);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Cuts `s` to `w` columns, with an ellipsis when it was longer; pads it to `w`.
pub fn fit(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = str_width(s);
    for c in s.chars() {
        let cw = char_width(c);
        if total > w && used + cw + 1 > w {
            out.push('…');
            used += 1;
            break;
        }
        if used + cw > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push_str(&" ".repeat(w.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn words_wrap_with_continuation_prefix() {
        let l = LogicalLine {
            first: vec![Span::raw("• ")],
            cont: vec![Span::raw("  ")],
            spans: vec![Span::raw("one two three four")],
            ..Default::default()
        };
        let mut out = Vec::new();
        wrap_line(&l, 11, &mut out);
        assert_eq!(text(&out), vec!["• one two", "  three", "  four"]);
    }

    #[test]
    fn long_words_and_tiny_widths_do_not_loop_or_panic() {
        let l = LogicalLine {
            spans: vec![Span::raw("abcdefghij 日本語テキスト")],
            ..Default::default()
        };
        for w in 0..12 {
            let mut out = Vec::new();
            wrap_line(&l, w, &mut out);
            for row in &out {
                assert!(row.width() <= w.max(2), "width {w}: {row:?}");
            }
        }
    }

    #[test]
    fn hard_lines_break_anywhere_and_fill() {
        let l = LogicalLine {
            spans: vec![Span::raw("let x = 1;")],
            hard: true,
            fill: Some(Style::default()),
            ..Default::default()
        };
        let mut out = Vec::new();
        wrap_line(&l, 6, &mut out);
        assert_eq!(text(&out), vec!["let x ", "= 1;  "]);
    }
}
