//! The evaluation chart: one horizontal accuracy bar per variant with its 95 % interval drawn as
//! an error bar underneath, and the paired McNemar verdicts, so that overlapping intervals and
//! "not significant" differences are seen before a winner is read off the bars.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::compare::report::{p_value, significance};
use crate::compare::EvalResult;
use crate::text::sanitize::sanitize_line;
use crate::ui::theme::Theme;

/// Width of the variant-name column.
const NAME: usize = 20;
/// Room after the bar for the figure and the interval.
const FIGURE: usize = 16;

/// Two lines per variant (bar, error bar) in `width` columns.
pub fn bars(r: &EvalResult, width: u16, th: &Theme) -> Vec<Line<'static>> {
    let bar_w = (width as usize).saturating_sub(NAME + FIGURE + 2).max(4);
    let mut lines = Vec::new();
    for v in &r.variants {
        let fill = cells(v.accuracy, bar_w);
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<NAME$} ", clip(&v.name, NAME)),
                Style::default().fg(th.fg),
            ),
            Span::styled("█".repeat(fill), Style::default().fg(th.accent)),
            Span::styled("░".repeat(bar_w - fill), Style::default().fg(th.dim)),
            Span::styled(
                format!(" {:>5.1}%", v.accuracy * 100.0),
                Style::default().fg(th.fg).add_modifier(Modifier::BOLD),
            ),
        ]));
        let ci = format!(
            " [{:.1}–{:.1}]",
            v.accuracy_ci[0] * 100.0,
            v.accuracy_ci[1] * 100.0
        );
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(NAME + 1)),
            Span::styled(
                whisker(v.accuracy_ci, v.accuracy, bar_w),
                Style::default().fg(th.heading),
            ),
            Span::styled(ci, Style::default().fg(th.dim)),
        ]));
    }
    lines
}

/// The paired verdicts, one line each: `a vs b: p = 0.031 · a better`.
pub fn verdicts(r: &EvalResult, th: &Theme) -> Vec<Line<'static>> {
    r.paired
        .iter()
        .map(|p| {
            let name = |i: usize| {
                r.variants
                    .get(i)
                    .map_or("?".into(), |v| sanitize_line(&v.name))
            };
            let verdict = significance(p);
            let style = if p.significant() {
                Style::default().fg(th.accent)
            } else {
                Style::default().fg(th.dim)
            };
            Line::from(vec![
                Span::raw(format!("{} vs {}: ", name(p.a), name(p.b))),
                Span::styled(format!("p = {} · {verdict}", p_value(p.p_value)), style),
            ])
        })
        .collect()
}

fn cells(x: f64, w: usize) -> usize {
    ((x.clamp(0.0, 1.0) * w as f64).round() as usize).min(w)
}

/// `├──┼───┤` from the interval's ends with `┼` at the estimate, on a `w`-cell axis.
pub fn whisker(ci: [f64; 2], estimate: f64, w: usize) -> String {
    let last = w.saturating_sub(1);
    let lo = cells(ci[0], w).min(last);
    let hi = cells(ci[1], w).min(last).max(lo);
    let mid = cells(estimate, w).clamp(lo, hi);
    (0..w)
        .map(|i| match i {
            _ if lo == hi && i == lo => '│',
            _ if i == lo => '├',
            _ if i == hi => '┤',
            _ if i == mid => '┼',
            _ if i > lo && i < hi => '─',
            _ => ' ',
        })
        .collect()
}

fn clip(s: &str, n: usize) -> String {
    let s = sanitize_line(s);
    if s.chars().count() <= n {
        s
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whisker_spans_the_interval_with_the_estimate_marked() {
        assert_eq!(whisker([0.2, 0.6], 0.4, 10), "  ├─┼─┤   ");
        assert_eq!(whisker([0.5, 0.5], 0.5, 10), "     │    ");
        // An interval reaching 1 ends on the last cell.
        assert_eq!(whisker([0.8, 1.0], 0.9, 10), "        ├┤");
    }
}
