//! The compare view's evaluation pane (progress gauge while it runs; then accuracy bars with
//! 95 % error bars, macro-F1, rows/s and the paired verdicts) and its overlays: template
//! picker, the exact prompt a variant sent, the variant editor and the typed-path prompt.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::compare::{CompareState, EvalView, Field, Overlay, PathFor};
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
            Some(p) => {
                let total = (p.total * p.variants).max(1);
                let done = p.variant * p.total + p.done;
                (done as f64 / total as f64, "cancelled: partial results")
            }
            None => (0.0, "cancelled: partial results"),
        };
        frame.render_widget(
            Gauge::default()
                .gauge_style(Style::default().fg(th.gauge))
                .ratio(ratio.clamp(0.0, 1.0))
                .label(label),
            Rect {
                height: area.height.min(1),
                ..area
            },
        );
        return;
    }
    let (ratio, label) = match ev.progress {
        Some(p) => {
            let total = (p.total * p.variants).max(1);
            let done = p.variant * p.total + p.done;
            (
                done as f64 / total as f64,
                format!(
                    "variant {}/{} · row {}/{} · {} correct",
                    p.variant + 1,
                    p.variants,
                    p.done,
                    p.total,
                    p.correct
                ),
            )
        }
        None => (0.0, "loading the data…".into()),
    };
    let label = format!("{label} · {} cancels", app.keymap.hint(Cmd::CmpStop));
    frame.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(th.gauge))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label),
        Rect {
            height: area.height.min(1),
            ..area
        },
    );
}

pub fn overlay(app: &App, st: &CompareState, frame: &mut Frame) {
    let th = &app.theme;
    let Some(ov) = &st.overlay else { return };
    match ov {
        Overlay::Templates {
            templates,
            selected,
        } => {
            let inner = super::popup(
                app,
                frame,
                70,
                templates.len() as u16 + 2,
                "Compare: pick a template · ↑↓ enter · esc",
            );
            let lines: Vec<Line> = templates
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let style = if i == *selected {
                        Style::default().fg(th.fg).bg(th.selection_bg)
                    } else {
                        Style::default().fg(th.fg)
                    };
                    Line::from(vec![
                        Span::styled(
                            format!(" {:<16}", t.name),
                            style.add_modifier(Modifier::BOLD),
                        ),
                        Span::styled(format!(" {:<9}", t.task.as_str()), style.fg(th.accent)),
                        Span::styled(
                            format!(" {}", crate::text::sanitize::sanitize_line(&t.description)),
                            style,
                        ),
                    ])
                })
                .collect();
            let max = (lines.len() as u16).saturating_sub(inner.height);
            let scroll = (*selected as u16)
                .saturating_sub(inner.height.saturating_sub(1))
                .min(max);
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
        }
        Overlay::Prompt { column, scroll } => {
            let Some(c) = st.columns.get(*column) else {
                return;
            };
            let area = frame.area();
            let inner = super::popup(
                app,
                frame,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
                &format!("Prompt sent by {} · ↑↓ scroll · esc", c.spec.name()),
            );
            let text = c.prompt.clone().unwrap_or_default();
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .scroll((*scroll, 0)),
                inner,
            );
        }
        Overlay::Variant { field } => {
            let Some(c) = st.columns.get(st.selected) else {
                return;
            };
            let inner = super::popup(
                app,
                frame,
                60,
                8,
                &format!("Variant {} · ↑↓ field · ←→ value · esc", st.selected + 1),
            );
            let lines: Vec<Line> = Field::ALL
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let value = match f {
                        Field::Shots => c.spec.shots.to_string(),
                        Field::Selection => c.spec.selection.as_str().to_string(),
                        Field::Preset => c.preset.clone(),
                        Field::Mode if c.mode_chosen => c.spec.mode.as_str().to_string(),
                        Field::Mode => format!("the model's own ({})", c.spec.mode.as_str()),
                        Field::Model => match &c.model {
                            Some(m) => m.short(),
                            None if st.models.is_empty() => "loaded model (looking…)".into(),
                            None => "loaded model".into(),
                        },
                    };
                    let style = if i == *field {
                        Style::default().fg(th.fg).bg(th.selection_bg)
                    } else {
                        Style::default().fg(th.fg)
                    };
                    Line::styled(format!(" {:<16} ‹ {value} ›", f.name()), style)
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Path { purpose, text } => {
            let title = match purpose {
                PathFor::EvalData => "Evaluate on data (CSV with header or JSONL; text, label)",
                PathFor::Predictions => "Save per-row predictions as CSV",
            };
            let inner = super::popup(app, frame, 70, 4, title);
            let lines = vec![
                Line::from(vec![
                    Span::raw(text.clone()),
                    Span::styled(" ", Style::default().add_modifier(Modifier::REVERSED)),
                ]),
                Line::styled("enter accepts · esc cancels", Style::default().fg(th.dim)),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }
}
