//! The session browser: every saved session with title, model, date and message count (broken
//! files listed with their error), the search line, the selected file's path and the keys.

use chrono::Local;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::state::SessionRow;
use crate::ui::app::App;
use crate::ui::keymap::Cmd;
use crate::ui::render::wrap::fit;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let b = &app.sessions.browser;
    let dim = Style::default().fg(th.dim);
    let [head, list, detail, notice, hints, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(2),
        Constraint::Length(u16::from(!app.notices.is_empty())),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let visible = b.visible();
    let total = b.rows.as_ref().map(Vec::len).unwrap_or(0);
    let title = Span::styled(
        " Sessions ",
        Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
    );
    let search = if b.searching || !b.query.is_empty() {
        let cursor = if b.searching { "▏" } else { "" };
        Span::styled(
            format!(
                " search: {}{cursor}  ({} of {total})",
                b.query,
                visible.len()
            ),
            Style::default().fg(if b.searching { th.fg } else { th.dim }),
        )
    } else {
        Span::styled(
            format!(
                " {total} in {}  · {} searches",
                app.sessions.store.dir().display(),
                app.keymap.hint(Cmd::SessSearch)
            ),
            dim,
        )
    };
    let mut head_line = vec![title, search];
    if let Some(label) = b.filter.label() {
        // Said while some sessions are hidden, with the key that shows them again.
        head_line.push(Span::styled(
            format!(
                "  · showing {label} ({}: next filter)",
                app.keymap.hint(Cmd::SessFilter)
            ),
            Style::default().fg(th.accent),
        ));
    }
    let block = Block::new()
        .borders(Borders::BOTTOM)
        .border_style(Style::default().fg(th.border));
    frame.render_widget(Paragraph::new(Line::from(head_line)).block(block), head);
    let w = list.width as usize;
    let (model_w, date_w, n_w) = (24usize, 16usize, 5usize);
    let title_w = w.saturating_sub(model_w + date_w + n_w + 8).max(8);
    let mut lines = Vec::new();
    match &b.rows {
        None => lines.push(Line::styled("  Reading the sessions folder…", dim)),
        Some(_) if visible.is_empty() => lines.push(Line::styled(
            if b.filter.label().is_some() {
                "  No session of this kind: the filter key shows the others."
            } else if b.query.is_empty() {
                "  No sessions yet: every chat is saved here as you go."
            } else {
                "  No session contains this text."
            },
            dim,
        )),
        Some(_) => {
            lines.push(Line::styled(
                format!(
                    "  {} {} {} {}",
                    fit("title", title_w),
                    fit("model", model_w),
                    fit("updated", date_w),
                    format_args!("{:>n_w$}", "msgs")
                ),
                dim.add_modifier(Modifier::BOLD),
            ));
            let rows = list.height.saturating_sub(1).max(1) as usize;
            let start = b.selected.saturating_sub(rows.saturating_sub(1));
            for (i, r) in visible.iter().enumerate().skip(start).take(rows) {
                lines.push(row_line(
                    app,
                    r,
                    i == b.selected,
                    title_w,
                    model_w,
                    date_w,
                    n_w,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), list);
    if let Some(r) = visible.get(b.selected) {
        let text = match &r.entry {
            Ok(_) => Line::styled(format!("  {}", r.path.display()), dim),
            Err(e) => Line::styled(format!("  {e}"), Style::default().fg(th.error)),
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), detail);
    }
    if notice.height > 0 {
        crate::ui::view::status::notice(app, frame, notice);
    }
    let k = &app.keymap;
    let hint = format!(
        " {} open · {} search · {} rename · {} delete · {}/{} export md/json · {} replay · {} back · {} help",
        k.hint(Cmd::SessOpen),
        k.hint(Cmd::SessSearch),
        k.hint(Cmd::SessRename),
        k.hint(Cmd::SessDelete),
        k.hint(Cmd::SessExportMd),
        k.hint(Cmd::SessExportJson),
        k.hint(Cmd::SessReplay),
        k.hint(Cmd::SessClose),
        k.hint(Cmd::Help),
    );
    frame.render_widget(Paragraph::new(Line::styled(hint, dim)), hints);
    crate::ui::view::status::render(app, frame, status);
}

fn row_line(
    app: &App,
    r: &SessionRow,
    selected: bool,
    title_w: usize,
    model_w: usize,
    date_w: usize,
    n_w: usize,
) -> Line<'static> {
    let th = &app.theme;
    let mut style = Style::default().fg(th.fg);
    if selected {
        style = style.bg(th.selection_bg).add_modifier(Modifier::BOLD);
    }
    let mark = Span::styled(if selected { "› " } else { "  " }, style.fg(th.accent));
    match &r.entry {
        Ok(s) => {
            let title = match s.kind {
                crate::session::SessionKind::Chat => s.title.clone(),
                k => format!("[{}] {}", k.as_str(), s.title),
            };
            let n = if s.runs > 0 && s.messages == 0 {
                s.runs
            } else {
                s.messages
            };
            let date = s.updated_at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
            Line::from(vec![
                mark,
                Span::styled(
                    format!(
                        "{} {} {} {n:>n_w$}",
                        fit(&title, title_w),
                        fit(s.model.as_deref().unwrap_or("—"), model_w),
                        fit(&date.to_string(), date_w),
                    ),
                    style,
                ),
            ])
        }
        Err(e) => {
            // The error names the path; the list shows the file name once.
            let prefix = format!("{}: ", r.path.display());
            let why = e.strip_prefix(&prefix).unwrap_or(e);
            let name = r
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| r.id.clone());
            Line::from(vec![
                mark,
                Span::styled(
                    fit(
                        &format!("✖ {name}: {why}"),
                        title_w + model_w + date_w + n_w + 3,
                    ),
                    style.fg(th.error),
                ),
            ])
        }
    }
}
