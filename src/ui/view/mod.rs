//! `render`: draws the whole UI from `&App`. Pure apart from memoized message rows and
//! remembering the transcript's size for scrolling. Each screen part is its own module.

mod dialogs;
mod help;
mod models;
mod settings;
pub mod status;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use super::app::{App, Modal};

/// Draws one frame.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let bg = Style::default().fg(app.theme.fg).bg(app.theme.bg);
    frame.render_widget(Block::new().style(bg), area);
    super::screen::of(app.screen).render(app, frame, area);
    for m in &app.modals {
        match m {
            Modal::Help { ctx, scroll, names } => help::render(app, frame, *ctx, *scroll, *names),
            Modal::Settings(form) => settings::render(app, frame, form),
            Modal::Models(p) => models::render(app, frame, p),
            Modal::Editor { target, text } => dialogs::editor(app, frame, *target, text),
            Modal::Ask { ask, text, error } => {
                dialogs::ask(app, frame, *ask, text, error.as_deref())
            }
            Modal::Confirm { question, .. } => dialogs::confirm(app, frame, question),
            Modal::Compare(m) => crate::ui::compare::modal_view::render(app, frame, m),
        }
    }
}

// What `screen::of` draws, screen by screen.

/// A centred box of at most `w`×`h` inside `area`, cleared, with a titled border; returns the
/// inside.
pub fn popup(app: &App, frame: &mut Frame, w: u16, h: u16, title: &str) -> Rect {
    let area = frame.area();
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(app.theme.border_focused))
        .style(Style::default().fg(app.theme.fg).bg(app.theme.bg))
        .title(format!(
            " {} ",
            super::render::wrap::fit(title, w.saturating_sub(4) as usize).trim_end()
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}
