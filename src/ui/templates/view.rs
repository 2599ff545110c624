//! The template browser screen: the list (templates, then files that failed to load), the
//! picked template's settings and variable fields, the token budget per section, and the
//! preview of the exact prompt.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::state::{TemplateRow, TplFocus};
use crate::prompt::Source;
use crate::text::sanitize;
use crate::ui::app::App;
use crate::ui::keymap::Cmd;
use crate::ui::render::wrap::str_width;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let notice_h = u16::from(!app.notices.is_empty() && area.height >= 8);
    let [main, notice, hints, status] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(notice_h),
        Constraint::Length(area.height.min(2) / 2),
        Constraint::Length(area.height.min(1)),
    ])
    .areas(area);
    let list_w = (main.width / 3).clamp(18, 36).min(main.width);
    let [list_area, right] =
        Layout::horizontal([Constraint::Length(list_w), Constraint::Min(0)]).areas(main);
    list(app, frame, list_area);
    detail(app, frame, right);
    if notice_h > 0 {
        crate::ui::view::status::notice(app, frame, notice);
    }
    hint_line(app, frame, hints);
    crate::ui::view::status::render(app, frame, status);
}

fn list(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let tp = &app.templates;
    let focused = tp.focus == TplFocus::List && app.modals.is_empty();
    let block = Block::new()
        .borders(Borders::RIGHT)
        .border_style(Style::default().fg(if focused {
            th.border_focused
        } else {
            th.border
        }))
        .title(Span::styled(
            " Templates ",
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(lib) = &tp.lib else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "loading templates…",
                Style::default().fg(th.dim),
            )),
            inner,
        );
        return;
    };
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    for (i, row) in tp.rows().into_iter().enumerate() {
        let sel = i == tp.selected;
        if sel {
            selected_line = lines.len();
        }
        let bg = if sel {
            Style::default().bg(th.selection_bg)
        } else {
            Style::default()
        };
        let marker = if sel { "▸ " } else { "  " };
        match row {
            TemplateRow::Template(t) => {
                let t = &lib.templates[t];
                let user = if matches!(t.source, Source::User(_)) {
                    " ✎"
                } else {
                    ""
                };
                let name = format!("{marker}{}{user}", t.name);
                let task = t.task.as_str();
                let pad = w.saturating_sub(str_width(&name) + task.len() + 1);
                lines.push(Line::from(vec![
                    Span::styled(name, bg.fg(th.fg).add_modifier(Modifier::BOLD)),
                    Span::styled(" ".repeat(pad), bg),
                    Span::styled(format!("{task} "), bg.fg(th.accent)),
                ]));
                lines.push(Line::styled(
                    clip(&format!("  {}", t.description), w),
                    bg.fg(th.dim),
                ));
            }
            TemplateRow::Broken(e) => {
                let e = &lib.errors[e];
                let file = std::path::Path::new(&e.file)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| e.file.clone());
                lines.push(Line::styled(
                    clip(&format!("{marker}✖ {file}"), w),
                    bg.fg(th.error).add_modifier(Modifier::BOLD),
                ));
                let at = match (e.line, &e.field) {
                    (Some(l), Some(f)) => format!("  line {l} · {f}"),
                    (Some(l), None) => format!("  line {l}"),
                    (None, Some(f)) => format!("  {f}"),
                    (None, None) => "  failed to load".into(),
                };
                lines.push(Line::styled(clip(&at, w), bg.fg(th.error)));
            }
        }
    }
    // Keep the picked row in view.
    let h = inner.height as usize;
    let top = (selected_line + 2).saturating_sub(h);
    frame.render_widget(Paragraph::new(lines).scroll((top as u16, 0)), inner);
}

fn detail(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let tp = &app.templates;
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    if let Some(e) = tp.broken() {
        let lines = vec![
            Line::styled(
                "This template file failed to load",
                Style::default().fg(th.error).add_modifier(Modifier::BOLD),
            ),
            Line::default(),
            Line::styled(sanitize(&e.to_string()), Style::default().fg(th.error)),
            Line::default(),
            Line::styled(
                format!(
                    "{} opens it in $EDITOR; it is checked again when the editor closes.",
                    app.keymap.hint(Cmd::TplEdit)
                ),
                Style::default().fg(th.dim),
            ),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    let Some(t) = tp.template() else {
        return;
    };
    let mode = tp.mode(app.model.as_ref());
    let mode_note = if tp.mode.is_some() {
        "forced"
    } else if app.model.is_some() {
        "the model's"
    } else {
        "no model yet"
    };
    let source = match &t.source {
        Source::Builtin(_) => "built in".to_string(),
        Source::User(p) => p.display().to_string(),
    };
    let dim = Style::default().fg(th.dim);
    let val = Style::default().fg(th.fg).add_modifier(Modifier::BOLD);
    let head = vec![
        Line::from(vec![
            Span::styled(
                t.name.clone(),
                Style::default().fg(th.heading).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("  {} · {source}", t.task.as_str()), dim),
        ]),
        Line::styled(
            clip(&t.description, area.width as usize),
            Style::default().fg(th.fg),
        ),
        Line::from(vec![
            Span::styled("shots ", dim),
            Span::styled(format!("{}/{}", tp.shots, t.examples.len()), val),
            Span::styled(" · selection ", dim),
            Span::styled(tp.selection.as_str(), val),
            Span::styled(" · seed ", dim),
            Span::styled(tp.seed.to_string(), val),
            Span::styled(" · mode ", dim),
            Span::styled(mode.as_str(), val),
            Span::styled(format!(" ({mode_note})"), dim),
        ]),
    ];
    let field_rows: Vec<u16> = tp
        .fields
        .iter()
        .map(|(_, t)| (t.lines().len() as u16).clamp(1, 3))
        .collect();
    let fields_h: u16 = field_rows.iter().sum::<u16>() + u16::from(!tp.fields.is_empty());
    let tokens_h = 6;
    let [head_a, fields_a, tokens_a, preview_a] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(fields_h),
        Constraint::Length(tokens_h),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_a);
    fields(app, frame, fields_a, &field_rows);
    super::preview_view::tokens(app, frame, tokens_a);
    super::preview_view::preview(app, frame, preview_a, mode);
}

fn fields(app: &App, frame: &mut Frame, area: Rect, rows: &[u16]) {
    let th = &app.theme;
    let tp = &app.templates;
    if tp.fields.is_empty() || area.height == 0 {
        return;
    }
    let label_w = tp
        .fields
        .iter()
        .map(|(n, _)| str_width(n))
        .max()
        .unwrap_or(0) as u16
        + 3;
    let mut y = area.y + 1;
    for (i, ((name, text), h)) in tp.fields.iter().zip(rows).enumerate() {
        if y >= area.bottom() {
            break;
        }
        let h = (*h).min(area.bottom() - y);
        let focused = tp.focus == TplFocus::Vars && tp.field == i && app.modals.is_empty();
        let style = if focused {
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(th.dim)
        };
        let label = Rect::new(area.x, y, label_w.min(area.width), h);
        frame.render_widget(
            Paragraph::new(Span::styled(format!("{name}: "), style)),
            label,
        );
        let field = Rect::new(
            area.x + label.width,
            y,
            area.width.saturating_sub(label.width),
            h,
        );
        if text.lines().iter().all(|l| l.is_empty()) && !focused {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    format!("(empty: {} to fill)", app.keymap.hint(Cmd::TplFill)),
                    Style::default().fg(th.dim).add_modifier(Modifier::ITALIC),
                )),
                field,
            );
        } else {
            let mut ta = text.clone();
            let cursor = if focused {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            ta.set_cursor_style(cursor);
            frame.render_widget(&ta, field);
        }
        y += h;
    }
}

fn hint_line(app: &App, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let th = &app.theme;
    let k = &app.keymap;
    let items: Vec<(Cmd, &str)> = match app.templates.focus {
        TplFocus::List => vec![
            (Cmd::TplSend, "send"),
            (Cmd::TplFill, "fill"),
            (Cmd::TplShotsMore, "shots +"),
            (Cmd::TplShotsFewer, "shots −"),
            (Cmd::TplSelection, "selection"),
            (Cmd::TplMode, "mode"),
            (Cmd::TplEdit, "edit"),
            (Cmd::TplBack, "back to chat"),
            (Cmd::Help, "help"),
        ],
        TplFocus::Vars => vec![
            (Cmd::TplVarSend, "send"),
            (Cmd::TplVarNext, "next variable"),
            (Cmd::TplVarNewline, "new line"),
            (Cmd::TplVarDone, "list"),
        ],
    };
    let mut spans = Vec::new();
    for (i, (cmd, what)) in items.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", Style::default().fg(th.dim)));
        }
        spans.push(Span::styled(k.hint(cmd), Style::default().fg(th.accent)));
        spans.push(Span::styled(
            format!(" {what}"),
            Style::default().fg(th.dim),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `s` cut to `w` columns with an ellipsis.
fn clip(s: &str, w: usize) -> String {
    let s = s.lines().next().unwrap_or("");
    if str_width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if str_width(&out) + 2 > w {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}
