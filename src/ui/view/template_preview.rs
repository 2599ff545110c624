//! The template browser's budget and preview panes: tokens per section from the model's own
//! tokenizer with the share of the context, and the prompt exactly as the model will read it.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::prompt::{Mode, Sections};
use crate::text::sanitize;
use crate::ui::app::App;
use crate::ui::keymap::Cmd;
use crate::ui::templates::Preview;

pub fn tokens(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let dim = Style::default().fg(th.dim);
    let (exact, mode) = match &app.templates.preview {
        Preview::Ready { exact, rendered } => (exact.as_ref(), rendered.mode),
        _ => (None, Mode::Chat),
    };
    let title = match exact {
        Some(Ok(x)) => format!(" Tokens · {} tokenizer ", x.model),
        _ => " Tokens ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(th.border))
        .title(Span::styled(title, Style::default().fg(th.accent)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match exact {
        Some(Ok(x)) => {
            let t = &x.tokens;
            let row = |name: &str, n: u32| {
                Line::from(vec![
                    Span::styled(format!("{name:<20}"), dim),
                    Span::styled(format!("{n:>6}"), Style::default().fg(th.fg)),
                ])
            };
            let share = t.share();
            let color = if share > 0.9 {
                th.error
            } else if share > 0.7 {
                th.warning
            } else {
                th.gauge
            };
            vec![
                row(Sections::NAMES[0], t.system),
                row(Sections::NAMES[1], t.examples),
                row(Sections::NAMES[2], t.input),
                row(
                    match mode {
                        Mode::Chat => "chat markup, BOS",
                        Mode::Completion => "BOS",
                    },
                    t.markup(),
                ),
                Line::from(vec![
                    Span::styled(format!("{:<20}", "total"), dim),
                    Span::styled(
                        format!("{:>6}", t.total),
                        Style::default().fg(th.fg).add_modifier(Modifier::BOLD),
                    ),
                    Span::raw("  "),
                    Span::styled(super::status::bar(share, 10), Style::default().fg(color)),
                    Span::styled(
                        format!(" {:.1}% of the {}-token context", 100.0 * share, t.n_ctx),
                        dim,
                    ),
                ]),
            ]
        }
        Some(Err(e)) => vec![Line::styled(sanitize(e), Style::default().fg(th.error))],
        None => {
            let why = match (&app.templates.preview, &app.model) {
                (Preview::Ready { .. } | Preview::Choosing, Some(m)) => {
                    format!("counting with {}…", m.name)
                }
                (_, None) => format!(
                    "no model loaded: {} picks one to count tokens with its tokenizer",
                    app.keymap.hint(Cmd::Models)
                ),
                _ => String::new(),
            };
            vec![Line::styled(why, dim)]
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn preview(app: &App, frame: &mut Frame, area: Rect, mode: Mode) {
    let th = &app.theme;
    let tp = &app.templates;
    let (title, text, style) = match &tp.preview {
        Preview::None => (" Preview ".to_string(), String::new(), Style::default()),
        Preview::Error(e) => (
            " Preview ".to_string(),
            e.clone(),
            Style::default().fg(th.error),
        ),
        Preview::Choosing => (
            " Preview ".to_string(),
            "choosing the most similar examples with the model's embeddings…".to_string(),
            Style::default().fg(th.dim),
        ),
        Preview::Ready { rendered, exact } => match exact {
            Some(Ok(x)) => {
                let what = match mode {
                    Mode::Chat => "exact text after the chat template",
                    Mode::Completion => "exact completion text",
                };
                (
                    format!(" Preview · {what} "),
                    x.text.clone(),
                    Style::default().fg(th.fg),
                )
            }
            _ => (
                " Preview · messages (chat template not applied yet) ".to_string(),
                rendered.display(),
                Style::default().fg(th.fg),
            ),
        },
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(th.border))
        .title(Span::styled(title, Style::default().fg(th.accent)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = sanitize(&text)
        .split('\n')
        .map(|l| Line::styled(l.to_string(), style))
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((tp.scroll, 0)),
        inner,
    );
}
