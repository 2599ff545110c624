//! The compare view: a header naming the template, one column per variant (label bars with the
//! predicted label, the streamed answer, a footer of figures), the input (the app's text area)
//! and key hints. The evaluation pane is in `eval_view`, the dialogs in `modal_view`.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::eval_view;
use super::state::{Column, CompareState};
use crate::ui::app::{App, Level};
use crate::ui::keymap::Cmd;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(st) = app.compare.as_ref() else {
        return;
    };
    let th = &app.theme;
    let [head, shown, body, note, input, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(u16::from(st.error.is_some() || !app.notices.is_empty())),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let title = match &st.template {
        Some(t) => format!(
            " Compare · {} ({}, {} examples) · {}",
            t.name,
            t.task.as_str(),
            t.examples.len(),
            app.model_name()
        ),
        None => " Compare · pick a template".into(),
    };
    frame.render_widget(
        Paragraph::new(title).style(
            Style::default()
                .fg(th.status_fg)
                .bg(th.status_bg)
                .add_modifier(Modifier::BOLD),
        ),
        head,
    );
    let shown_text = match &st.shown_input {
        Some(s) => Line::from(vec![
            Span::styled(" input: ", Style::default().fg(th.dim)),
            Span::raw(s.replace('\n', " ")),
        ]),
        None => Line::styled(" no input run yet", Style::default().fg(th.dim)),
    };
    frame.render_widget(Paragraph::new(shown_text), shown);
    if st.show_eval {
        eval_view::pane(app, st, frame, body);
    } else {
        columns(app, st, frame, body);
    }
    // The view's own error first, else the app's latest notice ("saved predictions to …").
    let shown_note = match (&st.error, app.shown_notice()) {
        (Some(e), _) => Some((e.as_str(), th.error)),
        (None, Some(n)) => Some((
            n.text.as_str(),
            match n.level {
                Level::Info => th.success,
                Level::Warn => th.warning,
                Level::Error => th.error,
            },
        )),
        (None, None) => None,
    };
    if let Some((text, color)) = shown_note {
        frame.render_widget(Paragraph::new(text).style(Style::default().fg(color)), note);
    }
    input_line(app, st, frame, input);
    let k = &app.keymap;
    let text = if super::arena::awaiting_vote(st) {
        " vote: a  A is better · b  B is better · t  tie · x  both bad (with the input empty)"
            .to_string()
    } else {
        format!(
        " {} run · {} stop · {} column · {} edit variant · {} prompt · {} evaluate · {} all keys",
        k.hint(Cmd::CmpRun),
        k.hint(Cmd::CmpStop),
        k.hint(Cmd::CmpNextColumn),
        k.hint(Cmd::CmpEdit),
        k.hint(Cmd::CmpPrompt),
        k.hint(Cmd::CmpEval),
        k.hint(Cmd::Help),
        )
    };
    frame.render_widget(
        Paragraph::new(text).style(Style::default().fg(th.dim)),
        hints,
    );
}

fn input_line(app: &App, st: &CompareState, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let var = st
        .template
        .as_ref()
        .and_then(|t| t.variable_names().first().map(|s| s.to_string()))
        .unwrap_or_else(|| "input".into());
    let title = format!(
        " {var} · {} history ({}) ",
        app.keymap.hint(Cmd::CmpHistoryPrev),
        st.history.len()
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(th.border_focused))
        .title(title);
    if st.input_empty() {
        let line = Line::from(vec![
            Span::styled(" ", Style::default().add_modifier(Modifier::REVERSED)),
            Span::styled(
                format!(
                    " Type an input and press {} to run every variant",
                    app.keymap.hint(Cmd::CmpRun)
                ),
                Style::default().fg(th.dim),
            ),
        ]);
        frame.render_widget(Paragraph::new(line).block(block), area);
    } else {
        // The chat's text area widget: it keeps the cursor in view as the input grows.
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(&st.input, inner);
    }
}

fn columns(app: &App, st: &CompareState, frame: &mut Frame, area: Rect) {
    st.scroll_max.set(0);
    if st.columns.is_empty() {
        return;
    }
    // Arena: the two columns in the round's order, named A and B.
    let shown: Vec<(usize, Option<&str>)> = match &st.arena {
        Some(r) if st.columns.len() == 2 => vec![(r.order[0], Some("A")), (r.order[1], Some("B"))],
        _ => (0..st.columns.len()).map(|i| (i, None)).collect(),
    };
    let n = shown.len() as u32;
    let areas = Layout::horizontal(vec![Constraint::Ratio(1, n); n as usize]).split(area);
    for (&(i, side), r) in shown.iter().zip(areas.iter()) {
        let c = &st.columns[i];
        column(app, st, c, side, i == st.selected, frame, *r);
    }
}

fn pct_bar(p: f64, width: usize) -> String {
    let filled = ((p.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn column(
    app: &App,
    st: &CompareState,
    c: &Column,
    side: Option<&str>,
    selected: bool,
    frame: &mut Frame,
    area: Rect,
) {
    let th = &app.theme;
    let hidden = side.is_some() && st.arena.as_ref().is_some_and(|r| r.hidden());
    let border = if selected && side.is_none() {
        th.border_focused
    } else {
        th.border
    };
    let mut title = match (side, hidden) {
        (Some(s), true) => format!(" {s} "),
        (Some(s), false) => format!(" {s} · {} ", c.title()),
        (None, _) => format!(" {} ", c.title()),
    };
    if c.reply.running() {
        title.push_str("◌ ");
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(border))
        .title(Span::styled(
            title,
            Style::default().fg(th.heading).add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Label bars would tell the variants apart before the vote.
    let classify = !hidden && st.template.as_ref().is_some_and(|t| !t.labels.is_empty());
    let n_labels = st.template.as_ref().map(|t| t.labels.len()).unwrap_or(0);
    let label_h = if classify { n_labels as u16 + 2 } else { 0 };
    let [labels, text, footer] = Layout::vertical([
        Constraint::Length(label_h),
        Constraint::Min(0),
        Constraint::Length(3),
    ])
    .areas(inner);
    if classify {
        label_bars(app, st, c, frame, labels);
    }
    let r = &c.reply;
    // One row per line of the reply (a Line would not break at its newlines).
    let reply_lines =
        |t: &str| -> Vec<Line<'static>> { t.lines().map(|l| Line::raw(l.to_string())).collect() };
    let lines: Vec<Line> = if let Some(e) = r.failure() {
        let mut v = vec![Line::styled(
            format!("✖ {e}"),
            Style::default().fg(th.error),
        )];
        v.extend(reply_lines(&r.text));
        v
    } else if r.text.is_empty() && r.running() {
        vec![Line::styled("…", Style::default().fg(th.dim))]
    } else {
        reply_lines(r.text.trim_start())
    };
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    // The rows the text wraps to, so the shared scroll stops where the longest column ends.
    let rows = para.line_count(text.width);
    let max = rows
        .saturating_sub(text.height as usize)
        .min(u16::MAX as usize) as u16;
    st.scroll_max.set(st.scroll_max.get().max(max));
    frame.render_widget(para.scroll((st.scroll.min(max), 0)), text);
    let dim = Style::default().fg(th.dim);
    let f = match c.stats.as_ref().filter(|_| !hidden) {
        // Prompt length and speed would tell a few-shot variant from a zero-shot one.
        None if hidden && c.stats.is_some() => {
            vec![Line::styled("done · hidden until the vote", dim)]
        }
        Some(s) => vec![
            Line::styled(
                format!(
                    "prompt {} tok · gen {} tok",
                    s.prompt_tokens, s.generated_tokens
                ),
                dim,
            ),
            Line::styled(
                format!("ttft {:.0} ms · {:.1} tok/s", s.ttft_ms, s.gen_tps),
                dim,
            ),
            Line::styled(format!("mean logprob {:.3}", s.mean_logprob), dim),
        ],
        None => vec![Line::styled("–", dim)],
    };
    frame.render_widget(Paragraph::new(f), footer);
}

fn label_bars(app: &App, st: &CompareState, c: &Column, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let Some(t) = &st.template else { return };
    let name_w = t
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let bar_w = (area.width as usize)
        .saturating_sub(name_w + 7)
        .clamp(1, 30);
    let mut lines = Vec::new();
    for label in &t.labels {
        let p = c
            .labels
            .as_ref()
            .and_then(|ls| ls.iter().find(|l| &l.label == label))
            .map(|l| l.prob);
        let top = c.predicted() == Some(label.as_str());
        let color = if top { th.accent } else { th.dim };
        lines.push(Line::from(vec![
            Span::raw(format!("{label:<name_w$} ")),
            Span::styled(pct_bar(p.unwrap_or(0.0), bar_w), Style::default().fg(color)),
            Span::raw(match p {
                Some(p) => format!(" {:>3.0}%", p * 100.0),
                None => "    ".into(),
            }),
        ]));
    }
    let predicted = match c.predicted() {
        Some(l) => Line::from(vec![
            Span::styled("→ ", Style::default().fg(th.accent)),
            Span::styled(
                l.to_string(),
                Style::default().fg(th.accent).add_modifier(Modifier::BOLD),
            ),
        ]),
        None => Line::styled("→ (not scored yet)", Style::default().fg(th.dim)),
    };
    lines.push(predicted);
    frame.render_widget(Paragraph::new(lines), area);
}
