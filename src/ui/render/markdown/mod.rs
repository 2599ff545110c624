//! Markdown to styled logical lines (pulldown-cmark): headings, lists, emphasis, quotes, tables,
//! rules, links shown as text, and fenced code highlighted by syntect.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use super::highlight;
use super::wrap::{str_width, LogicalLine};
use crate::ui::theme::Theme;

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

struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    header_rows: usize,
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

    fn end_code(&mut self) {
        let Some((lang, code)) = self.code.take() else {
            return;
        };
        self.flush();
        let th = self.theme;
        let bg = Style::default().bg(th.code_bg);
        let plain = bg.fg(th.fg);
        let (first, cont) = self.prefixes_no_mark();
        let label = if lang.is_empty() {
            "code".to_string()
        } else {
            lang.clone()
        };
        self.out.push(LogicalLine {
            first: first.clone(),
            cont: cont.clone(),
            spans: vec![Span::styled(format!(" {label} "), bg.fg(th.dim))],
            hard: true,
            fill: Some(bg),
            rule: None,
        });
        let body = code.strip_suffix('\n').unwrap_or(&code);
        for spans in highlight::highlight(body, &lang, &th.syntect_theme, plain) {
            let mut row = vec![Span::styled(" ", bg)];
            row.extend(spans);
            self.out.push(LogicalLine {
                first: cont.clone(),
                cont: cont.clone(),
                spans: row,
                hard: true,
                fill: Some(bg),
                rule: None,
            });
        }
        self.blank();
    }

    fn end_table(&mut self) {
        let Some(t) = self.table.take() else { return };
        let ncols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; ncols];
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                let w: usize = cell.iter().map(|s| str_width(&s.content)).sum();
                widths[i] = widths[i].max(w);
            }
        }
        let border = Style::default().fg(self.theme.border);
        let (first, cont) = self.prefixes_no_mark();
        for (ri, row) in t.rows.iter().enumerate() {
            let mut spans = Vec::new();
            for (ci, w) in widths.iter().enumerate() {
                if ci > 0 {
                    spans.push(Span::styled(" │ ", border));
                }
                let cell = row.get(ci).cloned().unwrap_or_default();
                let cw: usize = cell.iter().map(|s| str_width(&s.content)).sum();
                let pad = w.saturating_sub(cw);
                let (left, right) = match t.aligns.get(ci) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                spans.push(Span::raw(" ".repeat(left)));
                for s in cell {
                    let st = if ri < t.header_rows {
                        s.style.add_modifier(Modifier::BOLD)
                    } else {
                        s.style
                    };
                    spans.push(Span::styled(s.content, st));
                }
                spans.push(Span::raw(" ".repeat(right)));
            }
            self.out.push(LogicalLine {
                first: first.clone(),
                cont: cont.clone(),
                spans,
                hard: true,
                ..Default::default()
            });
            if ri + 1 == t.header_rows {
                let sep: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                self.out.push(LogicalLine {
                    first: first.clone(),
                    cont: cont.clone(),
                    spans: vec![Span::styled(sep.join("─┼─"), border)],
                    hard: true,
                    ..Default::default()
                });
            }
        }
        self.blank();
    }

    fn event(&mut self, ev: Event) {
        let th = self.theme;
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {}
                Tag::Heading { level, .. } => {
                    self.flush();
                    let color = th.heading;
                    self.push_style(|s| {
                        let s = s.fg(color).add_modifier(Modifier::BOLD);
                        if level == HeadingLevel::H1 {
                            s.add_modifier(Modifier::UNDERLINED)
                        } else {
                            s
                        }
                    });
                }
                Tag::BlockQuote(_) => {
                    self.flush();
                    self.containers.push(Container::Quote);
                    let q = th.quote;
                    self.push_style(|s| s.fg(q).add_modifier(Modifier::ITALIC));
                }
                Tag::CodeBlock(kind) => {
                    self.flush();
                    self.code = Some((lang_of(&kind), String::new()));
                }
                Tag::List(start) => {
                    self.flush();
                    self.containers.push(Container::List(start));
                }
                Tag::Item => {
                    self.flush();
                    let marker = match self.containers.iter_mut().rev().find_map(|c| match c {
                        Container::List(n) => Some(n),
                        _ => None,
                    }) {
                        Some(Some(n)) => {
                            let m = format!("{n}. ");
                            *n += 1;
                            m
                        }
                        _ => "• ".to_string(),
                    };
                    self.containers.push(Container::Item {
                        marker,
                        shown: false,
                    });
                }
                Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
                Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
                Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
                Tag::Link { dest_url, .. } => {
                    self.links.push(dest_url.to_string());
                    let c = th.link;
                    self.push_style(|s| s.fg(c).add_modifier(Modifier::UNDERLINED));
                }
                Tag::Image { dest_url, .. } => {
                    self.links.push(dest_url.to_string());
                    let c = th.link;
                    self.push_style(|s| s.fg(c));
                    self.text("[image: ");
                }
                Tag::Table(aligns) => {
                    self.flush();
                    self.table = Some(Table {
                        aligns,
                        rows: Vec::new(),
                        header_rows: 0,
                    });
                }
                Tag::TableHead => {
                    if let Some(t) = self.table.as_mut() {
                        t.rows.push(Vec::new());
                        t.header_rows = t.rows.len();
                    }
                }
                Tag::TableRow => {
                    if let Some(t) = self.table.as_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                Tag::TableCell => {
                    if let Some(r) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                        r.push(Vec::new());
                    }
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => {
                    self.flush();
                    if !matches!(self.containers.last(), Some(Container::Item { .. })) {
                        self.blank();
                    }
                }
                TagEnd::Heading(_) => {
                    self.pop_style();
                    self.flush();
                    self.blank();
                }
                TagEnd::BlockQuote(_) => {
                    self.flush();
                    // The quote's last paragraph left a barred blank row: end the quote without it.
                    if self
                        .out
                        .last()
                        .is_some_and(|l| l.spans.is_empty() && l.rule.is_none())
                    {
                        self.out.pop();
                    }
                    self.pop_style();
                    self.containers.pop();
                    self.blank();
                }
                TagEnd::CodeBlock => self.end_code(),
                TagEnd::List(_) => {
                    self.flush();
                    self.containers.pop();
                    if !self
                        .containers
                        .iter()
                        .any(|c| matches!(c, Container::Item { .. }))
                    {
                        self.blank();
                    }
                }
                TagEnd::Item => {
                    self.flush();
                    self.containers.pop();
                }
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
                TagEnd::Link => {
                    self.pop_style();
                    let url = self.links.pop().unwrap_or_default();
                    let shown: String = self.spans.iter().map(|s| s.content.as_ref()).collect();
                    if !url.is_empty() && !shown.ends_with(&url) {
                        let dim = Style::default().fg(th.dim);
                        self.spans.push(Span::styled(format!(" ({url})"), dim));
                    }
                }
                TagEnd::Image => {
                    let url = self.links.pop().unwrap_or_default();
                    self.text(&format!(" {url}]"));
                    self.pop_style();
                }
                TagEnd::Table => self.end_table(),
                _ => {}
            },
            Event::Text(t) => match self.code.as_mut() {
                Some((_, code)) => code.push_str(&t),
                None => self.text(&t),
            },
            Event::Code(t) => {
                let st = self.style().fg(th.accent).bg(th.code_bg);
                match self.table.as_mut() {
                    Some(_) => {
                        let base = self.style();
                        self.styles.push(st);
                        self.text(&t);
                        self.styles.pop();
                        let _ = base;
                    }
                    None => self.spans.push(Span::styled(t.to_string(), st)),
                }
            }
            // A chat keeps the model's single line breaks (as llama.cpp's web UI does):
            // poems, addresses and step lists would otherwise run together.
            Event::SoftBreak if self.table.is_none() => self.flush(),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                let (first, cont) = self.prefixes_no_mark();
                self.out.push(LogicalLine {
                    first,
                    cont,
                    rule: Some(Style::default().fg(th.border)),
                    ..Default::default()
                });
                self.blank();
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
            Event::Html(t) | Event::InlineHtml(t) => {
                let dim = th.dim;
                self.push_style(|s| s.fg(dim));
                self.text(t.trim_end_matches('\n'));
                self.pop_style();
                if t.ends_with('\n') {
                    self.flush();
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => self.text(&t),
            Event::FootnoteReference(t) => self.text(&format!("[{t}]")),
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
