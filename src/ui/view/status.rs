//! The status bar (model, context gauge, speed, engine state) and the notice line above it.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::{App, EngineState, Level};
use crate::ui::keymap::Cmd;

/// "▕████░░░░▏" for a fraction in 0..=1.
pub fn bar(frac: f64, width: usize) -> String {
    let f = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let full = (f * width as f64).round() as usize;
    format!("▕{}{}▏", "█".repeat(full), "░".repeat(width - full))
}

/// Prompt-reading progress of the reply being generated, if its prompt is still being read.
fn reading(app: &App) -> Option<(u32, u32)> {
    let g = app.chat.generation?;
    let ci = app.conv_index(g.conv)?;
    app.chat.convs[ci].messages.get(g.msg)?.body.reading
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let base = Style::default().fg(th.status_fg).bg(th.status_bg);
    let sep = Span::styled(" │ ", base.fg(th.dim));
    let model = Span::styled(
        format!(" {}", app.model_name()),
        base.add_modifier(Modifier::BOLD),
    );
    let state = match &app.engine {
        EngineState::Starting => Span::styled("starting…", base.fg(th.warning)),
        EngineState::Loading { progress, .. } => Span::styled(
            format!(
                "loading {} {:>3.0}%",
                bar(*progress as f64, 10),
                progress * 100.0
            ),
            base.fg(th.warning),
        ),
        EngineState::Ready => Span::styled("● ready", base.fg(th.success)),
        EngineState::Generating => match reading(app) {
            Some((done, total)) => Span::styled(
                format!(
                    "◌ {}",
                    crate::ui::render::transcript::reading_line(done, total)
                ),
                base.fg(th.accent),
            ),
            None => Span::styled("◌ generating", base.fg(th.accent)),
        },
        EngineState::NoModel(_) => Span::styled("✖ no model", base.fg(th.error)),
    };
    // Narrow terminals: the engine state first, then as much of the model name as fits.
    if area.width < 50 {
        let line = Line::from(vec![Span::raw(" "), state, model]);
        frame.render_widget(Paragraph::new(line).style(base), area);
        return;
    }
    let mut spans = vec![model, sep.clone(), state];
    if app.pull.running.is_some() {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!(
                "pulling {} {:>3.0}%",
                bar(app.pull.ratio(), 8),
                app.pull.ratio() * 100.0
            ),
            base.fg(th.accent),
        ));
    }
    if let Some(m) = &app.model {
        let used = app.conv().context_used.unwrap_or(0);
        let frac = if m.n_ctx > 0 {
            used as f64 / m.n_ctx as f64
        } else {
            0.0
        };
        let color = if frac > 0.9 {
            th.error
        } else if frac > 0.7 {
            th.warning
        } else {
            th.gauge
        };
        spans.push(sep.clone());
        spans.push(Span::styled("ctx ", base));
        spans.push(Span::styled(bar(frac, 8), base.fg(color)));
        spans.push(Span::styled(format!(" {used}/{}", m.n_ctx), base));
        if let Some(o) = m.offload.as_ref().filter(|o| o.layers_offloaded > 0) {
            spans.push(sep.clone());
            spans.push(Span::styled(o.label(), base.fg(th.accent)));
        }
    }
    // The chat layout is shown only when it is not the model's own template: a fallback is
    // never silent.
    if let Some(m) = app.model.as_ref().filter(|m| {
        m.chat_format.kind != crate::chat_template::FormatKind::Jinja
            || m.chat_format.fallback.is_some()
    }) {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("template: {}", m.chat_format.short_label(40)),
            base.fg(th.warning),
        ));
    }
    if let Some(s) = &app.chat.last_stats {
        spans.push(sep.clone());
        let text = if s.tokens > 1 {
            format!("{:.1} tok/s · ttft {:.0} ms", s.tps, s.ttft_ms)
        } else {
            format!("ttft {:.0} ms", s.ttft_ms)
        };
        spans.push(Span::styled(text, base));
    }
    if app.chat.token_view {
        spans.push(sep.clone());
        spans.push(Span::styled("tokens", base.fg(th.accent)));
    }
    spans.push(sep);
    spans.push(Span::styled(
        format!("{} help ", app.keymap.hint(Cmd::Help)),
        base.fg(th.dim),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

pub fn notice(app: &App, frame: &mut Frame, area: Rect) {
    let Some(n) = app.shown_notice() else { return };
    let th = &app.theme;
    let (icon, color) = match n.level {
        Level::Info => ("ℹ", th.accent),
        Level::Warn => ("⚠", th.warning),
        Level::Error => ("✖", th.error),
    };
    let mut spans = vec![
        Span::styled(format!("{icon} "), Style::default().fg(color)),
        Span::styled(n.text.clone(), Style::default().fg(color)),
    ];
    if n.level != Level::Info {
        let more = app.notices.len() - 1;
        let extra = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!("{extra} · {} dismisses", app.keymap.hint(Cmd::Stop)),
            Style::default().fg(th.dim),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}
