//! The transcript as rows: each message rendered once per width/view and cached, and the window
//! of rows on screen found by walking from a scroll anchor, so a frame costs the same however
//! long the conversation is.

use std::sync::Arc;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::markdown;
use super::wrap::{wrap_line, LogicalLine};
use crate::engine::Role;
use crate::ui::app::App;
use crate::ui::chat::conversation::{CacheKey, ChatEntry, Conversation, RenderCache, Scroll};
use crate::ui::reply::ReplyState;

/// The rows of message `idx` at `width` (cached in the message).
pub fn message_lines(
    app: &App,
    conv: &Conversation,
    idx: usize,
    width: u16,
) -> Arc<Vec<Line<'static>>> {
    let Some(msg) = conv.messages.get(idx) else {
        return Arc::new(Vec::new());
    };
    let selected = conv.selected == Some(idx);
    let token_cursor =
        (app.chat.token_view && conv.focus_message() == Some(idx)).then_some(conv.token_cursor);
    let key = CacheKey {
        width,
        version: msg.version,
        token_view: app.chat.token_view,
        selected,
        token_cursor,
        theme: app.theme_id,
    };
    if let Ok(c) = msg.cache.try_borrow() {
        if let Some(c) = c.as_ref().filter(|c| c.key == key) {
            return c.lines.clone();
        }
    }
    let lines = Arc::new(build(app, msg, width, selected, token_cursor));
    if let Ok(mut c) = msg.cache.try_borrow_mut() {
        *c = Some(RenderCache {
            key,
            lines: lines.clone(),
        });
    }
    lines
}

fn fmt_stats(m: &ChatEntry) -> String {
    let Some(s) = &m.stats else {
        return String::new();
    };
    // A rate needs two tokens: the first one's time is the ttft.
    let rate = if s.tokens > 1 {
        format!(" · {:.1} tok/s", s.tps)
    } else {
        String::new()
    };
    let limit = s
        .limit
        .map(|n| format!(" · limit {n} tokens"))
        .unwrap_or_default();
    format!(
        " · {} tokens{rate} · first token {:.0} ms{limit}",
        s.tokens, s.ttft_ms
    )
}

/// "reading prompt 1,536 / 4,595 tokens (33 %)".
pub fn reading_line(done: u32, total: u32) -> String {
    let pct = if total > 0 {
        done as u64 * 100 / total as u64
    } else {
        0
    };
    format!(
        "reading prompt {} / {} tokens ({pct} %)",
        thousands(done),
        thousands(total)
    )
}

/// 4595 -> "4,595".
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn build(
    app: &App,
    msg: &ChatEntry,
    width: u16,
    selected: bool,
    token_cursor: Option<usize>,
) -> Vec<Line<'static>> {
    let th = &app.theme;
    let (name, color) = match msg.role {
        Role::User => ("You", th.user),
        Role::Assistant => ("Assistant", th.assistant),
        Role::System => ("System", th.system),
    };
    let dim = Style::default().fg(th.dim);
    let mut header = vec![
        Span::styled("▌ ", Style::default().fg(color)),
        Span::styled(
            name,
            Style::default().fg(color).add_modifier(Modifier::BOLD),
        ),
    ];
    if let Some((shown, total)) = msg.versions {
        // As the llama.cpp web UI marks a reply with other versions; ←/→ browse them.
        header.push(Span::styled(
            format!(" ‹ {shown}/{total} ›"),
            Style::default().fg(th.accent),
        ));
    }
    match &msg.body.state {
        ReplyState::Streaming => header.push(Span::styled(" · generating…", dim)),
        ReplyState::Stopped => {
            header.push(Span::styled(" · stopped", Style::default().fg(th.warning)));
            header.push(Span::styled(fmt_stats(msg), dim));
        }
        ReplyState::Failed(e) => header.push(Span::styled(
            format!(" · error: {e}"),
            Style::default().fg(th.error),
        )),
        ReplyState::Done => header.push(Span::styled(fmt_stats(msg), dim)),
    }
    if msg.outside_context {
        header.push(Span::styled(" · not in the model's context", dim));
    }
    if selected {
        header.push(Span::styled(" ◀", Style::default().fg(th.accent)));
    }
    let mut out = Vec::new();
    wrap_line(
        &LogicalLine {
            spans: header,
            cont: vec![Span::raw("  ")],
            ..Default::default()
        },
        width as usize,
        &mut out,
    );
    let base = Style::default().fg(th.fg);
    let mut body: Vec<LogicalLine> =
        if app.chat.token_view && msg.role == Role::Assistant && !msg.body.tokens.is_empty() {
            token_lines(app, msg, token_cursor)
        } else if msg.role == Role::Assistant {
            markdown::render(&msg.body.text, th, base)
        } else {
            msg.body
                .text
                .split('\n')
                .map(|l| LogicalLine {
                    spans: vec![Span::styled(l.to_string(), base)],
                    ..Default::default()
                })
                .collect()
        };
    if body.is_empty() && msg.body.state == ReplyState::Streaming {
        let text = match msg.body.reading {
            Some((done, total)) => reading_line(done, total),
            None => "…".to_string(),
        };
        body.push(LogicalLine {
            spans: vec![Span::styled(text, dim)],
            ..Default::default()
        });
    }
    let bar = if selected {
        Span::styled("┃ ", Style::default().fg(th.accent))
    } else {
        Span::raw("  ")
    };
    for mut l in body {
        l.first.insert(0, bar.clone());
        l.cont.insert(0, bar.clone());
        wrap_line(&l, width as usize, &mut out);
    }
    out.push(Line::default());
    out
}

/// A reply as its tokens, each coloured by probability; the cursor token is reversed.
fn token_lines(app: &App, msg: &ChatEntry, cursor: Option<usize>) -> Vec<LogicalLine> {
    let mut lines = vec![LogicalLine::default()];
    for (i, t) in msg.body.tokens.iter().enumerate() {
        let mut style = Style::default()
            .fg(Color::Black)
            .bg(app.theme.heat(t.prob()));
        if cursor == Some(i) {
            style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        let piece = if t.piece.is_empty() {
            "∅"
        } else {
            t.piece.as_str()
        };
        let mut parts = piece.split('\n').peekable();
        while let Some(p) = parts.next() {
            if !p.is_empty() {
                if let Some(l) = lines.last_mut() {
                    l.spans.push(Span::styled(p.to_string(), style));
                }
            }
            if parts.peek().is_some() {
                // Show the newline token itself, then break the row.
                if let Some(l) = lines.last_mut() {
                    l.spans.push(Span::styled("↵", style));
                }
                lines.push(LogicalLine::default());
            }
        }
    }
    lines
}

fn height(app: &App, conv: &Conversation, i: usize, width: u16) -> usize {
    message_lines(app, conv, i, width).len()
}

/// The anchor that shows the last `rows` rows.
pub fn follow_top(app: &App, conv: &Conversation, width: u16, rows: usize) -> (usize, usize) {
    let mut need = rows;
    for i in (0..conv.messages.len()).rev() {
        let h = height(app, conv, i, width);
        if h >= need {
            return (i, h - need);
        }
        need -= h;
    }
    (0, 0)
}

/// Where the view starts now, clamped so it never shows space past the end.
pub fn top(app: &App, conv: &Conversation, width: u16, rows: usize) -> (usize, usize) {
    let ft = follow_top(app, conv, width, rows);
    match conv.scroll {
        Scroll::Follow => ft,
        Scroll::At { msg, line } => {
            if conv.messages.is_empty() {
                return (0, 0);
            }
            let msg = msg.min(conv.messages.len() - 1);
            let line = line.min(height(app, conv, msg, width).saturating_sub(1));
            if (msg, line) > ft {
                ft
            } else {
                (msg, line)
            }
        }
    }
}

/// The rows on screen and whether the view is at the end.
pub fn visible(app: &App, conv: &Conversation, width: u16, rows: usize) -> Vec<Line<'static>> {
    let (mut m, mut l) = top(app, conv, width, rows);
    let mut out = Vec::with_capacity(rows);
    while out.len() < rows && m < conv.messages.len() {
        let lines = message_lines(app, conv, m, width);
        out.extend(lines.iter().skip(l).take(rows - out.len()).cloned());
        m += 1;
        l = 0;
    }
    out
}

/// True when more rows lie above the view.
pub fn has_above(app: &App, conv: &Conversation, width: u16, rows: usize) -> bool {
    top(app, conv, width, rows) > (0, 0)
}

/// Scrolls by `delta` rows (negative = up). Leaving the end stops following; reaching it again
/// resumes following.
pub fn scroll(app: &mut App, delta: isize) {
    let area = app.chat.viewport.get();
    let (width, rows) = (area.width, area.height as usize);
    let conv = app.conv();
    if conv.messages.is_empty() || rows == 0 {
        return;
    }
    let (mut m, mut l) = top(app, conv, width, rows);
    let ft = follow_top(app, conv, width, rows);
    if delta < 0 {
        let mut n = delta.unsigned_abs();
        while n > 0 {
            if l >= n {
                l -= n;
                n = 0;
            } else if m == 0 {
                l = 0;
                n = 0;
            } else {
                n -= l;
                m -= 1;
                l = height(app, conv, m, width);
            }
        }
    } else {
        l += delta as usize;
        while m + 1 < conv.messages.len() && l >= height(app, conv, m, width) {
            l -= height(app, conv, m, width);
            m += 1;
        }
    }
    let next = if (m, l) >= ft {
        Scroll::Follow
    } else {
        Scroll::At { msg: m, line: l }
    };
    app.conv_mut().scroll = next;
}

/// Brings message `idx` into view (its start at the top unless it is already fully shown).
pub fn reveal(app: &mut App, idx: usize) {
    let area = app.chat.viewport.get();
    let (width, rows) = (area.width, area.height as usize);
    let conv = app.conv();
    let (m, l) = top(app, conv, width, rows);
    // Rows from the top of the view to the end of message idx.
    let fully_shown = if idx < m || (idx == m && l > 0) {
        false
    } else {
        let mut used = height(app, conv, m, width).saturating_sub(l);
        for i in m + 1..=idx {
            used += height(app, conv, i, width);
            if used > rows {
                break;
            }
        }
        used <= rows
    };
    if !fully_shown {
        let ft = follow_top(app, conv, width, rows);
        let next = if (idx, 0) >= ft {
            Scroll::Follow
        } else {
            Scroll::At { msg: idx, line: 0 }
        };
        app.conv_mut().scroll = next;
    }
}
