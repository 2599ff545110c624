//! The template browser's budget and preview panes: tokens per section from the model's own
//! tokenizer with the share of the context, and the prompt exactly as the model will read it.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::state::Preview;
use crate::prompt::{Mode, Sections};
use crate::text::sanitize;
use crate::ui::app::App;
use crate::ui::keymap::Cmd;

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
    let inner = pane(th, title, frame, area);
    let lines = match exact {
        Some(Ok(x)) => {
            let t = &x.tokens;
            let colours = section_styles(app);
            let row = |name: &str, n: u32, i: usize| {
                Line::from(vec![
                    Span::styled(format!("{name:<20}"), colours[i]),
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
                row(Sections::NAMES[0], t.system, 0),
                row(Sections::NAMES[1], t.examples, 1),
                row(Sections::NAMES[2], t.input, 2),
                row(
                    match mode {
                        Mode::Chat => "chat markup, BOS",
                        Mode::Completion => "BOS",
                    },
                    t.markup(),
                    3,
                ),
                Line::from(vec![
                    Span::styled(format!("{:<20}", "total"), dim),
                    Span::styled(
                        format!("{:>6}", t.total),
                        Style::default().fg(th.fg).add_modifier(Modifier::BOLD),
                    ),
                    Span::raw("  "),
                    Span::styled(
                        crate::ui::view::status::bar(share, 10),
                        Style::default().fg(color),
                    ),
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
    let plain = |text: &str, style: Style| vec![(text.to_string(), style)];
    let (title, segments) = match &tp.preview {
        Preview::None => (" Preview ".to_string(), Vec::new()),
        Preview::Error(e) => (
            " Preview ".to_string(),
            plain(e, Style::default().fg(th.error)),
        ),
        Preview::Choosing => (
            " Preview ".to_string(),
            plain(
                "choosing the most similar examples with the model's embeddings…",
                Style::default().fg(th.dim),
            ),
        ),
        Preview::Ready { rendered, exact } => match exact {
            Some(Ok(x)) => {
                let what = match mode {
                    Mode::Chat => "exact text after the chat template",
                    Mode::Completion => "exact completion text",
                };
                (
                    format!(" Preview · {what} "),
                    sections(app, rendered, &x.text),
                )
            }
            _ => (
                " Preview · messages (chat template not applied yet) ".to_string(),
                sections(app, rendered, &rendered.display()),
            ),
        },
    };
    let inner = pane(th, title, frame, area);
    let mut lines: Vec<Line> = vec![Line::default()];
    for (text, style) in segments {
        for (i, part) in sanitize(&text).split('\n').enumerate() {
            if i > 0 {
                lines.push(Line::default());
            }
            if !part.is_empty() {
                if let Some(l) = lines.last_mut() {
                    l.spans.push(Span::styled(part.to_string(), style));
                }
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((tp.scroll, 0)),
        inner,
    );
}

/// The colour of each section (and of the markup between them), as in the token table.
pub fn section_styles(app: &App) -> [Style; 4] {
    let th = &app.theme;
    [
        Style::default().fg(th.system),
        Style::default().fg(th.fg),
        Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        Style::default().fg(th.dim),
    ]
}

/// `text` cut into coloured pieces: system+instruction, examples and input each in their colour,
/// chat markup dimmed. Each message's content is found in order in the text (the chat template
/// only wraps them); a completion prompt is exactly the three sections one after another.
fn sections(app: &App, r: &crate::prompt::Rendered, text: &str) -> Vec<(String, Style)> {
    let [system, examples, input, markup] = section_styles(app);
    let parts: Vec<(&str, Style)> = match &r.prompt {
        crate::engine::Prompt::Chat(msgs) => msgs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let style = if m.role == crate::engine::Role::System {
                    system
                } else if i + 1 == msgs.len() {
                    input
                } else {
                    examples
                };
                (m.content.as_str(), style)
            })
            .collect(),
        crate::engine::Prompt::Raw(_) => vec![
            (r.sections.system.as_str(), system),
            (r.sections.examples.as_str(), examples),
            (r.sections.input.as_str(), input),
        ],
    };
    let mut out = Vec::new();
    let mut pos = 0;
    for (content, style) in parts {
        if content.is_empty() {
            continue;
        }
        let Some(at) = text[pos..].find(content).map(|i| i + pos) else {
            break;
        };
        if at > pos {
            out.push((text[pos..at].to_string(), markup));
        }
        out.push((content.to_string(), style));
        pos = at + content.len();
    }
    if pos < text.len() {
        out.push((text[pos..].to_string(), markup));
    }
    out
}

/// A pane of the preview: a top rule with its title; returns the area inside.
fn pane(th: &crate::ui::theme::Theme, title: String, frame: &mut Frame, area: Rect) -> Rect {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(th.border))
        .title(Span::styled(title, Style::default().fg(th.accent)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}
