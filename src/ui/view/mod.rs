//! `render`: draws the whole UI from `&App`: the shown screen (each screen's folder draws it,
//! `screen::of` picks it), then the open dialogs over it. Pure apart from memoized message rows
//! and remembering the transcript's size for scrolling. The dialogs that open over any screen
//! and the status bar are here, one module each.

mod dialogs;
mod help;
mod model_picker;
mod settings;
pub mod status;

use ratatui::style::Style;
use ratatui::widgets::Block;
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
            Modal::Models(p) => model_picker::render(app, frame, p),
            Modal::Editor { target, text } => dialogs::editor(app, frame, *target, text),
            Modal::Ask { ask, text, error } => {
                dialogs::ask(app, frame, *ask, text, error.as_deref())
            }
            Modal::Confirm { question, .. } => dialogs::confirm(app, frame, question),
            Modal::Compare(m) => crate::ui::compare::modal_view::render(app, frame, m),
        }
    }
}
