//! The blocks drawn as whole rows rather than wrapped text: fenced code (highlighted by
//! syntect, on the code background, under its language label) and tables (columns as wide as
//! their widest cell, aligned as the table says, a rule under the header).

use pulldown_cmark::Alignment;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use super::Renderer;
use crate::ui::render::highlight;
use crate::ui::render::wrap::{str_width, LogicalLine};

/// A table being read: its cells' styled text, row by row.
pub(super) struct Table {
    pub(super) aligns: Vec<Alignment>,
    pub(super) rows: Vec<Vec<Vec<Span<'static>>>>,
    pub(super) header_rows: usize,
}

impl Renderer<'_> {
    /// The fenced code block just read (or still open at the end of a streaming reply), as
    /// highlighted rows under its language label.
    pub(super) fn end_code(&mut self) {
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

    /// The table just read, as aligned rows.
    pub(super) fn end_table(&mut self) {
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
}
