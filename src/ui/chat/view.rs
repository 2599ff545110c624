//! The chat screen, drawn: the conversation list, the transcript (or the welcome text), the
//! token panel, the notice, the input and the status bar.

use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::layout::layout;
use crate::ui::app::{App, EngineState};
use crate::ui::chat::conversation::Scroll;
use crate::ui::chat::state::Focus;
use crate::ui::keymap::Cmd;
use crate::ui::render::transcript;
use crate::ui::render::wrap::str_width;
use crate::ui::view::status;

/// The chat screen: sidebar, transcript, token panel, notice, input and status bar.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let a = layout(app, area);
    app.chat.viewport.set(transcript_rows(a.transcript));
    if let Some(s) = a.sidebar {
        super::sidebar::render(app, frame, s);
    }
    transcript(app, frame, a.transcript);
    if let Some(t) = a.tokens {
        token_panel(app, frame, t);
    }
    if let Some(n) = a.notice {
        status::notice(app, frame, n);
    }
    input(app, frame, a.input);
    status::render(app, frame, a.status);
}

/// The part of the transcript area that holds message rows (one column kept free on the right
/// for the scroll marks).
fn transcript_rows(area: Rect) -> Rect {
    Rect {
        width: area.width.saturating_sub(1),
        ..area
    }
}

fn transcript(app: &App, frame: &mut Frame, area: Rect) {
    let conv = app.conv();
    let th = &app.theme;
    if conv.messages.is_empty() {
        return welcome(app, frame, area);
    }
    let rows = transcript_rows(area);
    let lines = transcript::visible(app, conv, rows.width, rows.height as usize);
    frame.render_widget(Paragraph::new(lines), rows);
    let dim = Style::default().fg(th.accent);
    if area.width > 0 && area.height > 0 {
        let mark_x = area.x + area.width - 1;
        if transcript::has_above(app, conv, rows.width, rows.height as usize) {
            frame.render_widget(
                Paragraph::new("↑").style(dim),
                Rect::new(mark_x, area.y, 1, 1),
            );
        }
        if conv.scroll != Scroll::Follow {
            let y = area.y + area.height - 1;
            frame.render_widget(Paragraph::new("↓").style(dim), Rect::new(mark_x, y, 1, 1));
        }
    }
}

fn welcome(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let k = &app.keymap;
    let dim = Style::default().fg(th.dim);
    let key = Style::default().fg(th.accent);
    let status = match &app.engine {
        EngineState::NoModel(why) => Line::styled(why.clone(), Style::default().fg(th.error)),
        EngineState::Loading { name, .. } => Line::styled(format!("loading {name}…"), dim),
        EngineState::Starting => Line::styled("starting the engine…", dim),
        _ => Line::styled(format!("model: {}", app.model_name()), dim),
    };
    let keys = [
        (Cmd::Help, "all key bindings"),
        (Cmd::Models, "pick a model"),
        (Cmd::Settings, "sampling settings"),
        (Cmd::SystemPrompt, "system prompt"),
        (Cmd::Templates, "prompt templates"),
        (Cmd::NewChat, "new conversation"),
        (Cmd::Sessions, "saved sessions"),
        (Cmd::CompareOpen, "compare prompt variants"),
        (Cmd::Quit, "quit"),
    ];
    // Rows of one width (keys right-aligned, descriptions left-aligned to the widest), so that
    // centring keeps keys and descriptions each in one column whatever the bindings are.
    let key_w = keys
        .iter()
        .map(|(c, _)| str_width(&k.hint(*c)))
        .max()
        .unwrap_or(0);
    let what_w = keys.iter().map(|(_, w)| str_width(w)).max().unwrap_or(0);
    let hint = |cmd: Cmd, what: &str| {
        let h = k.hint(cmd);
        Line::from(vec![
            Span::styled(
                format!("{}{h}", " ".repeat(key_w.saturating_sub(str_width(&h)))),
                key,
            ),
            Span::styled(
                format!(
                    "  {what}{}",
                    " ".repeat(what_w.saturating_sub(str_width(what)))
                ),
                dim,
            ),
        ])
    };
    let mut lines = vec![
        Line::styled(
            "howdah",
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        ),
        status,
        Line::default(),
        Line::styled(
            "Type a message below and press enter.",
            Style::default().fg(th.fg),
        ),
        Line::default(),
    ];
    lines.extend(keys.iter().map(|(c, w)| hint(*c, w)));
    let top = area.height.saturating_sub(lines.len() as u16) / 3;
    let mut padded = vec![Line::default(); top as usize];
    padded.append(&mut lines);
    frame.render_widget(
        // No trimming: it would take the padding that aligns the keys.
        Paragraph::new(padded)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// Probability and alternatives of the token under the cursor.
fn token_panel(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let conv = app.conv();
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(Style::default().fg(th.border))
        .title(Span::styled(" Token ", Style::default().fg(th.accent)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let tok = conv
        .focus_message()
        .and_then(|i| conv.messages.get(i))
        .and_then(|m| {
            m.body
                .tokens
                .get(conv.token_cursor.min(m.body.tokens.len().saturating_sub(1)))
                .map(|t| (t, m.body.tokens.len()))
        });
    let Some((t, n)) = tok else {
        let msg = format!(
            "No token data: replies generated in this session show here. {} focuses the transcript, ←/→ move.",
            app.keymap.hint(Cmd::FocusNext)
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(Style::default().fg(th.dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let show = |s: &str| format!("{:?}", s);
    let mut first = vec![
        Span::styled(
            format!("{}/{} ", conv.token_cursor.min(n - 1) + 1, n),
            Style::default().fg(th.dim),
        ),
        Span::styled(
            show(&t.piece),
            Style::default()
                .fg(ratatui::style::Color::Black)
                .bg(th.heat(t.prob())),
        ),
        // A server that gives no log-probabilities (see engine::remote) sends NaN.
        Span::raw(if t.logprob.is_nan() {
            "  no probability: the server gives no token log-probabilities".to_string()
        } else {
            format!("  p = {:.1}%  logprob {:.2}", t.prob() * 100.0, t.logprob)
        }),
    ];
    if t.top.is_empty() {
        first.push(Span::styled(
            "  (no alternatives recorded)",
            Style::default().fg(th.dim),
        ));
    }
    let mut alts = vec![Span::styled("alternatives: ", Style::default().fg(th.dim))];
    for (i, a) in t.top.iter().enumerate() {
        if i > 0 {
            alts.push(Span::styled(" · ", Style::default().fg(th.dim)));
        }
        alts.push(Span::styled(
            show(&a.text),
            Style::default().fg(th.heat(a.prob)),
        ));
        alts.push(Span::raw(format!(" {:.1}%", a.prob * 100.0)));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(alts)]).wrap(Wrap { trim: false }),
        inner,
    );
}

fn input(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let focused = app.chat.focus == Focus::Input && app.modals.is_empty();
    let k = &app.keymap;
    let title = if app.chat.editing.is_some() {
        " Editing message "
    } else {
        " Message "
    };
    let hints = format!(
        " {} send · {} new line · {} help ",
        k.hint(Cmd::Send),
        k.hint(Cmd::Newline),
        k.hint(Cmd::Help)
    );
    let border = Style::default().fg(if focused {
        th.border_focused
    } else {
        th.border
    });
    let mut block = Block::new()
        .borders(Borders::TOP)
        .border_style(border)
        .title(Span::styled(
            title,
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        ));
    if let Some((note, warn)) = super::input_size::note(app) {
        let color = if warn { th.warning } else { th.dim };
        block = block.title(
            Line::styled(format!(" {note} "), Style::default().fg(color))
                .alignment(Alignment::Right),
        );
    } else if area.width as usize > hints.chars().count() + 20 {
        block = block
            .title(Line::styled(hints, Style::default().fg(th.dim)).alignment(Alignment::Right));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&app.chat.input, inner);
}
