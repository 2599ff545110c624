//! Where each part of the chat screen goes at the current size: the conversation list, the
//! transcript (with the token panel under it in the token view), the notice, the input (growing
//! with its text) and the status bar.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::ui::app::App;
use crate::ui::chat::state::Focus;
use crate::ui::render::wrap::str_width;

/// Where each part of the chat screen goes at the current size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Areas {
    pub sidebar: Option<Rect>,
    pub transcript: Rect,
    pub tokens: Option<Rect>,
    pub notice: Option<Rect>,
    pub input: Rect,
    pub status: Rect,
}

pub fn layout(app: &App, area: Rect) -> Areas {
    let status_h = area.height.min(1);
    // A notice wraps onto up to three rows on roomy screens, one on small ones.
    let notice_h = match app.shown_notice() {
        Some(n) if area.height >= 8 => {
            let width = area
                .width
                .saturating_sub(if app.chat.show_sidebar { 28 } else { 0 })
                .max(10) as usize;
            let rows = (str_width(&n.text) + 30).div_ceil(width);
            rows.clamp(1, if area.height >= 20 { 3 } else { 1 }) as u16
        }
        _ => 0,
    };
    let [main, status] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(status_h)]).areas(area);
    let wants_sidebar =
        (app.chat.show_sidebar && area.width >= 60) || app.chat.focus == Focus::Sidebar;
    let (sidebar, main) = if wants_sidebar && area.width >= 12 {
        let w = (area.width / 4).clamp(12, 28);
        let [s, m] = Layout::horizontal([Constraint::Length(w), Constraint::Min(0)]).areas(main);
        (Some(s), m)
    } else {
        (None, main)
    };
    // The input grows with its (wrapped) rows, up to a third of the screen; only the first
    // rows are measured, so a huge paste costs nothing here.
    let width = main.width.max(1) as usize;
    let rows: usize = app
        .chat
        .input
        .lines()
        .iter()
        .take(12)
        .map(|l| str_width(l).div_ceil(width).max(1))
        .sum();
    let max_input = (area.height / 3).clamp(2, 10);
    let input_h = (rows.min(12) as u16 + 1)
        .clamp(2, max_input)
        .min(area.height.saturating_sub(status_h + 1));
    let [transcript, notice, input] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(notice_h),
        Constraint::Length(input_h),
    ])
    .areas(main);
    let (transcript, tokens) = if app.chat.token_view && transcript.height >= 10 {
        let [t, k] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(4)]).areas(transcript);
        (t, Some(k))
    } else {
        (transcript, None)
    };
    Areas {
        sidebar,
        transcript,
        tokens,
        notice: (notice_h > 0).then_some(notice),
        input,
        status,
    }
}
