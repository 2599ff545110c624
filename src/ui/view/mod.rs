//! `render`: draws the whole UI from `&App`. Pure apart from memoized message rows and
//! remembering the transcript's size for scrolling. Each screen part is its own module.

mod chat;
mod dialogs;
mod help;
mod models;
mod replay;
mod sessions;
mod settings;
mod sidebar;
mod status;
mod template_preview;
mod templates;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use super::app::{App, Focus, Modal};

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
            let rows = (super::wrap::str_width(&n.text) + 30).div_ceil(width);
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
        .map(|l| super::wrap::str_width(l).div_ceil(width).max(1))
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

/// The chat screen: sidebar, transcript, token panel, notice, input and status bar.
pub(crate) fn chat_screen(app: &App, frame: &mut Frame, area: Rect) {
    let a = layout(app, area);
    app.chat.viewport.set(chat::transcript_rows(a.transcript));
    if let Some(s) = a.sidebar {
        sidebar::render(app, frame, s);
    }
    chat::transcript(app, frame, a.transcript);
    if let Some(t) = a.tokens {
        chat::token_panel(app, frame, t);
    }
    if let Some(n) = a.notice {
        status::notice(app, frame, n);
    }
    chat::input(app, frame, a.input);
    status::render(app, frame, a.status);
}

// What `screen::of` draws, screen by screen.
pub(crate) use replay::render as replay_screen;
pub(crate) use sessions::render as sessions_screen;
pub(crate) use templates::render as templates_screen;

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
            sessions::fit(title, w.saturating_sub(4) as usize).trim_end()
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}
