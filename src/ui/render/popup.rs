//! The frame every dialog is drawn in: a centred box, cleared, with a titled border.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use super::wrap::fit;
use crate::ui::app::App;

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
            fit(title, w.saturating_sub(4) as usize).trim_end()
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}
