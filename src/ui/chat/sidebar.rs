//! The conversation list beside the transcript, drawn; its keys are the chat's commands of
//! the `[keys.chats]` context (`chat::conversation_list`).

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::chat::state::Focus;
use crate::ui::keymap::Cmd;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let focused = app.chat.focus == Focus::Sidebar;
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
    let generating = app.chat.generation.map(|g| g.conv);
    let drafts = app
        .chat
        .convs
        .iter()
        .enumerate()
        .any(|(i, c)| !c.draft.is_empty() && i != app.chat.current);
    // The marks explain themselves: a legend line whenever one is shown.
    let legend = (drafts || generating.is_some()) && rows > hint_rows + 2;
    let list_rows = rows.saturating_sub(hint_rows + usize::from(legend));
    // Keep the current conversation in view.
    let start = app.chat.current.saturating_sub(list_rows.saturating_sub(1));
    let mut lines: Vec<Line> = app
        .chat
        .convs
        .iter()
        .enumerate()
        .skip(start)
        .take(list_rows)
        .map(|(i, c)| {
            let mark = if generating == Some(c.id) {
                "◌ "
            } else if !c.draft.is_empty() && i != app.chat.current {
                "✎ "
            } else {
                "  "
            };
            let style = if i == app.chat.current {
                Style::default()
                    .fg(th.fg)
                    .bg(th.selection_bg)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(th.fg)
            };
            let w = inner.width as usize;
            // Cut with "…" so a long title reads as cut, padded so the selection fills the row.
            let title = crate::ui::render::wrap::fit(&c.title, w.saturating_sub(2));
            Line::from(vec![
                Span::styled(mark, style.fg(th.accent)),
                Span::styled(title, style),
            ])
        })
        .collect();
    let dim = Style::default().fg(th.dim);
    if legend {
        while lines.len() < list_rows {
            lines.push(Line::default());
        }
        let mut parts = Vec::new();
        if drafts {
            parts.push("✎ unsent draft");
        }
        if generating.is_some() {
            parts.push("◌ replying");
        }
        lines.push(Line::styled(parts.join(" · "), dim));
    }
    if hint_rows > 0 {
        while lines.len() < list_rows + usize::from(legend) {
            lines.push(Line::default());
        }
        let k = &app.keymap;
        lines.push(Line::styled(
            format!(
                "{} new · {} rename",
                k.hint(Cmd::SidebarNew),
                k.hint(Cmd::SidebarRename)
            ),
            dim,
        ));
        lines.push(Line::styled(
            format!("{} delete", k.hint(Cmd::SidebarDelete)),
            dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
