//! Markdown to styled logical lines (pulldown-cmark): headings, lists, emphasis, quotes, tables,
//! rules, links shown as text, and fenced code highlighted by syntect. Here: the two entry points
//! (`render`, `code_blocks` for copying) and the renderer's line assembly (styles, the prefixes
//! of open quotes and list items, blank rows between blocks); the events are read in `events`,
//! code blocks and tables laid out in `blocks`.

mod blocks;
mod events;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::Span;

use super::wrap::{str_width, LogicalLine};
use crate::ui::theme::Theme;
use blocks::Table;

/// A fenced code block found in a message, for copying.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlock {
    pub lang: String,
    pub code: String,
}

/// The fenced code blocks of a markdown text, in order.
pub fn code_blocks(md: &str) -> Vec<CodeBlock> {
    let mut out = Vec::new();
    let mut cur: Option<CodeBlock> = None;
    for ev in Parser::new_ext(md, Options::empty()) {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                cur = Some(CodeBlock {
                    lang: lang_of(&kind),
                    code: String::new(),
                })
            }
            Event::Text(t) => {
                if let Some(c) = cur.as_mut() {
                    c.code.push_str(&t)
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(cur.take()),
            _ => {}
        }
    }
    out.extend(cur);
    out
}

fn lang_of(kind: &CodeBlockKind) -> String {
    match kind {
        CodeBlockKind::Fenced(l) => l.trim().to_string(),
        CodeBlockKind::Indented => String::new(),
    }
}

enum Container {
    Quote,
    List(Option<u64>),
    Item { marker: String, shown: bool },
}

struct Renderer<'t> {
    theme: &'t Theme,
    out: Vec<LogicalLine>,
    containers: Vec<Container>,
    styles: Vec<Style>,
    spans: Vec<Span<'static>>,
    code: Option<(String, String)>,
    table: Option<Table>,
    links: Vec<String>,
    base: Style,
}

/// Renders markdown into logical lines in `base` style (the message's text colour).
pub fn render(md: &str, theme: &Theme, base: Style) -> Vec<LogicalLine> {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut r = Renderer {
        theme,
        out: Vec::new(),
        containers: Vec::new(),
        styles: vec![base],
        spans: Vec::new(),
        code: None,
        table: None,
        links: Vec::new(),
        base,
    };
    for ev in Parser::new_ext(md, opts) {
        r.event(ev);
    }
    // A fence still open while streaming: show what has arrived as code.
    if r.code.is_some() {
        r.end_code();
    }
    r.flush();
    while r
        .out
        .last()
        .is_some_and(|l| l.spans.is_empty() && l.rule.is_none())
    {
        r.out.pop();
    }
    r.out
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or(self.base)
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    /// Prefixes for the next line from the open containers; marks list markers as shown.
    fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let quote = Style::default().fg(self.theme.quote);
        let mut first = Vec::new();
        let mut cont = Vec::new();
        let marker_style = Style::default().fg(self.theme.accent);
        for c in self.containers.iter_mut() {
            match c {
                Container::Quote => {
                    first.push(Span::styled("│ ", quote));
                    cont.push(Span::styled("│ ", quote));
                }
                Container::List(_) => {}
                Container::Item { marker, shown } => {
                    let pad = " ".repeat(str_width(marker));
                    if *shown {
                        first.push(Span::raw(pad.clone()));
                    } else {
                        first.push(Span::styled(marker.clone(), marker_style));
                        *shown = true;
                    }
                    cont.push(Span::raw(pad));
                }
            }
        }
        (first, cont)
    }

    fn flush(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.spans);
        let (first, cont) = self.prefixes();
        self.out.push(LogicalLine {
            first,
            cont,
            spans,
            ..Default::default()
        });
    }

    fn blank(&mut self) {
        if self
            .out
            .last()
            .is_some_and(|l| l.spans.is_empty() && l.rule.is_none())
        {
            return;
        }
        if self.out.is_empty() {
            return;
        }
        let (_, cont) = self.prefixes_no_mark();
        self.out.push(LogicalLine {
            first: cont.clone(),
            cont,
            ..Default::default()
        });
    }

    fn prefixes_no_mark(&self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let quote = Style::default().fg(self.theme.quote);
        let mut cont = Vec::new();
        for c in &self.containers {
            match c {
                Container::Quote => cont.push(Span::styled("│ ", quote)),
                Container::Item { marker, .. } => {
                    cont.push(Span::raw(" ".repeat(str_width(marker))))
                }
                Container::List(_) => {}
            }
        }
        (cont.clone(), cont)
    }

    fn text(&mut self, t: &str) {
        let style = self.style();
        if let Some(table) = self.table.as_mut() {
            if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                cell.push(Span::styled(t.replace('\n', " "), style));
            }
            return;
        }
        let mut parts = t.split('\n').peekable();
        while let Some(p) = parts.next() {
            if !p.is_empty() {
                self.spans.push(Span::styled(p.to_string(), style));
            }
            if parts.peek().is_some() {
                self.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::render::wrap::wrap_line;

    fn lines(md: &str, width: usize) -> Vec<String> {
        let th = Theme::default();
        let mut out = Vec::new();
        for l in render(md, &th, Style::default()) {
            wrap_line(&l, width, &mut out);
        }
        out.iter()
            .map(|l| l.to_string().trim_end().to_string())
            .collect()
    }

    #[test]
    fn lists_quotes_and_headings() {
        let got = lines("# Title\n\n- one\n- two\n\n1. a\n2. b\n\n> quoted text", 40);
        assert_eq!(
            got,
            vec![
                "Title",
                "",
                "• one",
                "• two",
                "",
                "1. a",
                "2. b",
                "",
                "│ quoted text"
            ]
        );
    }

    #[test]
    fn single_line_breaks_are_kept_and_code_is_unchanged() {
        let got = lines("Roses are red,\nviolets are blue.", 40);
        assert_eq!(got, vec!["Roses are red,", "violets are blue."]);
        assert_eq!(lines("- a\n  b", 40), vec!["• a", "  b"]);
        let got = lines("```\nx\ny\n```", 40);
        assert!(got.iter().any(|l| l.ends_with('x')), "{got:?}");
        assert!(got.iter().any(|l| l.ends_with('y')), "{got:?}");
    }

    #[test]
    fn links_keep_their_target_as_text() {
        let got = lines("see [the docs](https://x.org/d) now", 80);
        assert_eq!(got, vec!["see the docs (https://x.org/d) now"]);
    }

    #[test]
    fn tables_align_columns() {
        let got = lines("| a | bb |\n|---|---:|\n| ccc | d |", 40);
        assert_eq!(got, vec!["a   │ bb", "────┼───", "ccc │  d"]);
    }

    #[test]
    fn code_blocks_get_a_label_and_are_found() {
        let md = "text\n\n```rust\nfn x() {}\n```\n";
        let got = lines(md, 20);
        assert_eq!(got, vec!["text", "", " rust", " fn x() {}"]);
        assert_eq!(
            code_blocks(md),
            vec![CodeBlock {
                lang: "rust".into(),
                code: "fn x() {}\n".into()
            }]
        );
    }

    #[test]
    fn unclosed_fence_while_streaming_shows_code() {
        let got = lines("```py\nprint(1)", 20);
        assert_eq!(got, vec![" py", " print(1)"]);
    }
}
