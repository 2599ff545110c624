//! The conversation list.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::ui::app::{App, Focus};
use crate::ui::keymap::Cmd;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let focused = app.focus == Focus::Sidebar;
    let border = Style::default().fg(if focused {
        th.border_focused
    } else {
        th.border
    });
    let block = Block::new()
        .borders(Borders::RIGHT)
        .border_style(border)
        .title(Span::styled(
            " Chats ",
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    let hint_rows = usize::from(focused && rows > 4) * 2;
    let list_rows = rows.saturating_sub(hint_rows);
    // Keep the current conversation in view.
    let start = app.current.saturating_sub(list_rows.saturating_sub(1));
    let generating = app.generation.map(|g| g.conv);
    let mut lines: Vec<Line> = app
        .convs
        .iter()
        .enumerate()
        .skip(start)
        .take(list_rows)
        .map(|(i, c)| {
            let mark = if generating == Some(c.id) {
                "◌ "
            } else if !c.draft.is_empty() && i != app.current {
                "✎ "
            } else {
                "  "
            };
            let style = if i == app.current {
                Style::default()
                    .fg(th.fg)
                    .bg(th.selection_bg)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(th.fg)
            };
            let w = inner.width as usize;
            let title: String = c.title.chars().take(w.saturating_sub(2)).collect();
            let pad = w.saturating_sub(2 + crate::ui::wrap::str_width(&title));
            Line::from(vec![
                Span::styled(mark, style.fg(th.accent)),
                Span::styled(format!("{title}{}", " ".repeat(pad)), style),
            ])
        })
        .collect();
    if hint_rows > 0 {
        while lines.len() < list_rows {
            lines.push(Line::default());
        }
        let dim = Style::default().fg(th.dim);
        let k = &app.keymap;
        lines.push(Line::styled(
            format!(
                "{} new · {} rename",
                k.hint(Cmd::ChatNew),
                k.hint(Cmd::ChatRename)
            ),
            dim,
        ));
        lines.push(Line::styled(
            format!("{} delete", k.hint(Cmd::ChatDelete)),
            dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
