//! The compare view's evaluation pane: a progress gauge while it runs; then accuracy bars with
//! 95 % error bars, macro-F1, rows/s and the paired verdicts (`eval_chart`).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::state::{CompareState, EvalView};
use crate::compare::EvalProgress;
use crate::ui::app::App;
use crate::ui::keymap::Cmd;

pub fn pane(app: &App, st: &CompareState, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let Some(ev) = &st.eval else { return };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(th.border))
        .title(format!(" Evaluation · {} ", ev.path.display()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (n_variants, n_paired) = ev.result.as_ref().map_or((st.columns.len(), 0), |(r, _)| {
        (r.variants.len(), r.paired.len())
    });
    let [top, chart, table] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length((n_variants + n_paired) as u16 + 2),
    ])
    .areas(inner);
    progress(app, ev, frame, top);
    if let Some((r, _)) = &ev.result {
        frame.render_widget(
            Paragraph::new(super::eval_chart::bars(r, chart.width, th)),
            chart,
        );
        let mut lines = vec![Line::styled(
            format!(
                "{:<22} {:>6} {:>13} {:>9} {:>8} {:>7}",
                "variant", "acc", "95% CI", "macro-F1", "rows/s", "rows"
            ),
            Style::default().fg(th.heading).add_modifier(Modifier::BOLD),
        )];
        for v in &r.variants {
            let mut row = format!(
                "{:<22} {:>5.1}% {:>13} {:>9.3} {:>8.1} {:>7}",
                v.name,
                v.accuracy * 100.0,
                format!(
                    "{:.1}–{:.1}",
                    v.accuracy_ci[0] * 100.0,
                    v.accuracy_ci[1] * 100.0
                ),
                v.macro_f1,
                v.rows_per_sec,
                v.rows
            );
            if let Some(e) = &v.error {
                row.push_str(&format!("  ✖ {e}"));
            }
            lines.push(Line::raw(row));
        }
        lines.extend(super::eval_chart::verdicts(r, th));
        let mut note = format!("{} rows, {} skipped", r.total_rows, r.skipped.len());
        if r.cancelled {
            note.push_str(" · cancelled: figures cover the rows finished");
        }
        note.push_str(&format!(
            " · {} saves predictions",
            app.keymap.hint(Cmd::CmpSave)
        ));
        lines.push(Line::styled(note, Style::default().fg(th.dim)));
        frame.render_widget(Paragraph::new(lines), table);
    }
}

fn progress(app: &App, ev: &EvalView, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    if let Some(e) = &ev.error {
        frame.render_widget(
            Paragraph::new(format!("✖ {e}"))
                .style(Style::default().fg(th.error))
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    if !ev.running {
        let cancelled = ev.result.as_ref().is_some_and(|(r, _)| r.cancelled);
        let (ratio, label) = match ev.progress {
            _ if !cancelled => (1.0, "done"),
            Some(p) => (done_ratio(&p), "cancelled: partial results"),
            None => (0.0, "cancelled: partial results"),
        };
        return gauge(app, frame, area, ratio, label);
    }
    let (ratio, label) = match ev.progress {
        Some(p) => (
            done_ratio(&p),
            format!(
                "variant {}/{} · row {}/{} · {} correct",
                p.variant + 1,
                p.variants,
                p.done,
                p.total,
                p.correct
            ),
        ),
        None => (0.0, "loading the data…".into()),
    };
    let label = format!("{label} · {} cancels", app.keymap.hint(Cmd::CmpStop));
    gauge(app, frame, area, ratio, label);
}

/// The share of the evaluation's rows done, over all variants.
fn done_ratio(p: &EvalProgress) -> f64 {
    let total = (p.total * p.variants).max(1);
    let done = p.variant * p.total + p.done;
    done as f64 / total as f64
}

/// The progress gauge, on the first row of `area`.
fn gauge<'a>(app: &App, frame: &mut Frame, area: Rect, ratio: f64, label: impl Into<Span<'a>>) {
    frame.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(app.theme.gauge))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label),
        Rect {
            height: area.height.min(1),
            ..area
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_counts_the_rows_of_every_variant() {
        let p = |variant, done| EvalProgress {
            variant,
            variants: 3,
            done,
            total: 120,
            correct: 0,
        };
        assert_eq!(done_ratio(&p(0, 0)), 0.0);
        assert_eq!(done_ratio(&p(1, 60)), 0.5);
        assert_eq!(done_ratio(&p(2, 120)), 1.0);
        let empty = EvalProgress {
            variants: 0,
            total: 0,
            ..p(0, 0)
        };
        assert_eq!(
            done_ratio(&empty),
            0.0,
            "no rows: nothing done, no division by 0"
        );
    }
}
