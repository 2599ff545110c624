//! The replay view: each replayed reply beside the recorded one, words only in the recording in
//! the error colour, words only in the replay in the success colour, and per turn whether it is
//! identical or at which token it parted; the reply being replayed streams below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::state::ReplayView;
use crate::session::diff::{Span as DSpan, SpanKind};
use crate::session::replay::{Outcome, TurnReplay};
use crate::ui::app::App;
use crate::ui::keymap::Cmd;
use crate::ui::render::wrap::{str_width, wrap_line, LogicalLine};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let dim = Style::default().fg(th.dim);
    let Some(v) = &app.sessions.replay else {
        return;
    };
    // The header wraps (a long title, the keys): its height follows its text.
    let header = header_lines(app, v, area.width as usize);
    let [head, body, notice, hints, status] = Layout::vertical([
        Constraint::Length(header.len() as u16 + 1),
        Constraint::Min(1),
        Constraint::Length(u16::from(!app.notices.is_empty())),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let k = &app.keymap;
    let block = Block::new()
        .borders(Borders::BOTTOM)
        .border_style(Style::default().fg(th.border));
    frame.render_widget(Paragraph::new(header).block(block), head);
    let lines = body_lines(app, v, body.width as usize);
    let max = (lines.len() as u16).saturating_sub(body.height);
    let top = if v.follow { max } else { v.scroll.min(max) };
    v.shown.set((top, max));
    frame.render_widget(Paragraph::new(lines).scroll((top, 0)), body);
    if notice.height > 0 {
        crate::ui::view::status::notice(app, frame, notice);
    }
    let close = if v.started && !v.finished {
        "cancel"
    } else {
        "back"
    };
    let hint = format!(
        " {} next turn · {} all · {} settings · ↑/↓ scroll · {} {close} · {} help",
        k.hint(Cmd::ReplayNext),
        k.hint(Cmd::ReplayAll),
        k.hint(Cmd::ReplaySource),
        k.hint(Cmd::ReplayClose),
        k.hint(Cmd::Help)
    );
    frame.render_widget(Paragraph::new(Line::styled(hint, dim)), hints);
    crate::ui::view::status::render(app, frame, status);
}

/// The title and what a replay runs against, wrapped to `width`.
fn header_lines(app: &App, v: &ReplayView, width: usize) -> Vec<Line<'static>> {
    let th = &app.theme;
    let dim = Style::default().fg(th.dim);
    let k = &app.keymap;
    let source = if v.current {
        format!(
            "current model ({}) and this chat's sampling",
            app.model
                .as_ref()
                .map(crate::ui::model_label::of)
                .unwrap_or_else(|| "none loaded".into())
        )
    } else {
        "the recorded model and settings".to_string()
    };
    let progress = match (v.total, v.finished, v.started) {
        (_, _, false) => format!(
            "{} replays turn by turn, {} all at once; {} switches settings",
            k.hint(Cmd::ReplayNext),
            k.hint(Cmd::ReplayAll),
            k.hint(Cmd::ReplaySource)
        ),
        (Some(t), true, _) => summary(&v.turns, t, v.cancelled),
        (Some(t), false, _) if v.running => format!("replaying turn {} of {t}…", v.turns.len() + 1),
        (Some(t), false, _) => format!(
            "{} of {t} turns replayed · {} next turn, {} the rest",
            v.turns.len(),
            k.hint(Cmd::ReplayNext),
            k.hint(Cmd::ReplayAll)
        ),
        (None, ..) => "planning…".to_string(),
    };
    let title = LogicalLine {
        first: vec![Span::styled(
            " Replay ",
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        )],
        cont: vec![Span::raw(" ")],
        spans: vec![Span::styled(
            v.session.display_title(),
            Style::default().fg(th.fg),
        )],
        ..Default::default()
    };
    let against = LogicalLine {
        cont: vec![Span::raw(" ")],
        spans: vec![Span::styled(format!(" against {source} · {progress}"), dim)],
        ..Default::default()
    };
    let mut out = Vec::new();
    wrap_line(&title, width, &mut out);
    wrap_line(&against, width, &mut out);
    // A very long title never pushes the diff off a small screen.
    out.truncate(4);
    out
}

/// "3 turns replayed: 2 identical, 1 differs".
fn summary(turns: &[TurnReplay], total: usize, cancelled: bool) -> String {
    let same = turns
        .iter()
        .filter(|t| t.outcome == Outcome::Identical)
        .count();
    let cut = if cancelled || turns.len() < total {
        format!(" (stopped after {} of {total})", turns.len())
    } else {
        String::new()
    };
    let differ = turns.len() - same;
    let verb = if differ == 1 { "differs" } else { "differ" };
    format!(
        "{} replayed: {same} identical, {differ} {verb}{cut}",
        turns.len()
    )
}

fn body_lines(app: &App, v: &ReplayView, width: usize) -> Vec<Line<'static>> {
    let th = &app.theme;
    let dim = Style::default().fg(th.dim);
    let mut out = Vec::new();
    let said = |mark: &str, text: &str, color, out: &mut Vec<Line<'static>>| {
        let l = LogicalLine {
            first: vec![Span::styled(format!("{mark} "), Style::default().fg(color))],
            cont: vec![Span::raw("  ")],
            spans: vec![Span::styled(text.to_string(), Style::default().fg(color))],
            ..Default::default()
        };
        wrap_line(&l, width, out);
    };
    for w in &v.warnings {
        said("⚠", w, th.warning, &mut out);
    }
    if let Some(e) = &v.error {
        said("✖", e, th.error, &mut out);
    }
    let col = width.saturating_sub(3) / 2;
    for t in &v.turns {
        let (mark, text, color) = match t.outcome {
            Outcome::Identical => ("✔", "identical".to_string(), th.success),
            Outcome::Differs { token, word, .. } => (
                "≠",
                format!("differs at token {token} (word {word})"),
                th.warning,
            ),
        };
        out.push(Line::from(vec![
            Span::styled(
                format!("Turn {} ", t.turn),
                Style::default().fg(th.heading).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{mark} {text}"), Style::default().fg(color)),
            Span::styled(
                format!(" · {} · {} tokens", t.model, t.stats.generated_tokens),
                dim,
            ),
        ]));
        user_line(&t.user, width, Style::default().fg(th.user), &mut out);
        let removed = Style::default()
            .fg(th.error)
            .add_modifier(Modifier::BOLD | Modifier::CROSSED_OUT);
        let added = Style::default().fg(th.success).add_modifier(Modifier::BOLD);
        let plain = Style::default().fg(th.fg);
        let left = side(&t.diff, SpanKind::Removed, plain, removed);
        let right = side(&t.diff, SpanKind::Added, plain, added);
        let heads = heads("replayed", dim);
        out.extend(columns(heads, &left, &right, col, dim));
        out.push(Line::default());
    }
    if v.running {
        let n = v.turns.len() + 1;
        out.push(Line::styled(
            format!("Turn {n} · replaying…"),
            Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
        ));
        // The recording of the turn being replayed, beside the reply as it streams.
        let (user, recorded) = answered(&v.session).nth(v.turns.len()).unwrap_or_default();
        user_line(user, width, Style::default().fg(th.user), &mut out);
        let plain = Style::default().fg(th.fg);
        let as_lines = |text: &str| {
            let d = [DSpan {
                kind: SpanKind::Equal,
                text: text.to_string(),
            }];
            side(&d, SpanKind::Equal, plain, plain)
        };
        let heads = heads("replaying", dim);
        out.extend(columns(
            heads,
            &as_lines(recorded),
            &as_lines(&v.reply.text),
            col,
            dim,
        ));
    }
    if v.turns.is_empty() && !v.running && v.error.is_none() {
        let turns = v
            .session
            .messages
            .iter()
            .filter(|m| m.role == crate::engine::Role::User)
            .count();
        let intro = LogicalLine {
            spans: vec![Span::styled(
                format!(
                    "{turns} user turns recorded. Each is sent again with the recorded conversation before it, and the new reply is compared with the recorded one.",
                ),
                dim,
            )],
            ..Default::default()
        };
        wrap_line(&intro, width, &mut out);
    }
    out
}

/// The user turns that have a recorded reply (the turns a replay runs), with that reply.
fn answered(s: &crate::session::Session) -> impl Iterator<Item = (&str, &str)> {
    use crate::engine::Role;
    s.messages
        .windows(2)
        .filter(|w| w[0].role == Role::User && w[1].role == Role::Assistant)
        .map(|w| (w[0].content.as_str(), w[1].content.as_str()))
}

fn user_line(text: &str, width: usize, style: Style, out: &mut Vec<Line<'static>>) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let ll = LogicalLine {
        first: vec![Span::styled("you: ", style.add_modifier(Modifier::BOLD))],
        cont: vec![Span::raw("     ")],
        spans: vec![Span::styled(first.to_string(), style)],
        ..Default::default()
    };
    wrap_line(&ll, width, out);
}

/// One side of the diff as logical lines: equal text, and the spans of `kind` highlighted.
fn side(diff: &[DSpan], kind: SpanKind, plain: Style, mark: Style) -> Vec<LogicalLine> {
    let mut lines = vec![LogicalLine::default()];
    for s in diff
        .iter()
        .filter(|s| s.kind == SpanKind::Equal || s.kind == kind)
    {
        let style = if s.kind == SpanKind::Equal {
            plain
        } else {
            mark
        };
        for (i, part) in s.text.split('\n').enumerate() {
            if i > 0 {
                lines.push(LogicalLine::default());
            }
            if !part.is_empty() {
                if let Some(l) = lines.last_mut() {
                    l.spans.push(Span::styled(part.to_string(), style));
                }
            }
        }
    }
    lines
}

/// Two columns of `w` each, side by side, with a bar between them.
fn columns(
    heads: (Line<'static>, Line<'static>),
    left: &[LogicalLine],
    right: &[LogicalLine],
    w: usize,
    bar: Style,
) -> Vec<Line<'static>> {
    let mut l = vec![heads.0];
    let mut r = vec![heads.1];
    for ll in left {
        wrap_line(ll, w, &mut l);
    }
    for ll in right {
        wrap_line(ll, w, &mut r);
    }
    let n = l.len().max(r.len());
    (0..n)
        .map(|i| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let lw = match l.get(i) {
                Some(line) => {
                    spans.extend(line.spans.iter().cloned());
                    line.spans.iter().map(|s| str_width(&s.content)).sum()
                }
                None => 0,
            };
            spans.push(Span::raw(" ".repeat(w.saturating_sub(lw))));
            spans.push(Span::styled(" │ ", bar));
            if let Some(line) = r.get(i) {
                spans.extend(line.spans.iter().cloned());
            }
            Line::from(spans)
        })
        .collect()
}

/// The two columns' headings: the recording on the left, `right` (the replay) beside it.
fn heads(right: &'static str, dim: Style) -> (Line<'static>, Line<'static>) {
    let head =
        |t: &'static str| Line::from(Span::styled(t, dim.add_modifier(Modifier::UNDERLINED)));
    (head("recorded"), head(right))
}
