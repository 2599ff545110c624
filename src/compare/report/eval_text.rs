//! The text (or Markdown) report of `eval`: accuracy and macro-F1 with their intervals per
//! variant, the paired tests between variants, and each variant's confusion matrix.

use std::fmt::Write as _;

use super::table::{heading, subheading, table};
use super::Meta;
use crate::compare::eval::{EvalResult, Method};
use crate::compare::stats::Paired;
use crate::text::sanitize;

pub(super) fn eval_text(r: &EvalResult, meta: &Meta, md: bool) -> String {
    let mut out = String::new();
    let data = meta.data.as_deref().unwrap_or("data");
    let _ = writeln!(
        out,
        "{}",
        heading(
            md,
            &format!(
                "{} · {} · {} · method {} · {} rows{}",
                r.template,
                meta.model,
                data,
                r.method.as_str(),
                r.total_rows,
                if r.skipped.is_empty() {
                    String::new()
                } else {
                    format!(" ({} skipped)", r.skipped.len())
                }
            )
        )
    );
    let head: Vec<String> = [
        "variant",
        "accuracy",
        "95 % CI",
        "macro-F1",
        "95 % CI",
        "mean p(true)",
        "rows/s",
        "rows",
        "errors",
        "prompt tok",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .variants
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                format!("{:.1} %", v.accuracy * 100.0),
                interval(v.accuracy_ci, 100.0, 1),
                format!("{:.3}", v.macro_f1),
                interval(v.macro_f1_ci, 1.0, 3),
                v.mean_true_prob
                    .map(|p| format!("{p:.3}"))
                    .unwrap_or_else(|| "-".into()),
                format!("{:.1}", v.rows_per_sec),
                v.rows.to_string(),
                v.errors.to_string(),
                v.mean_prompt_tokens
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    out.push_str(&table(&head, &rows, md));
    for v in &r.variants {
        if let Some(e) = &v.error {
            let _ = writeln!(out, "{}: failed: {}", v.name, sanitize(e));
        }
    }
    out.push_str(&paired_text(r, md));
    let show_none = r.method == Method::Generate;
    for v in r.variants.iter().filter(|v| v.rows > 0) {
        out.push('\n');
        let _ = writeln!(
            out,
            "{}",
            subheading(
                md,
                &format!(
                    "{}: confusion (rows: true label, columns: predicted)",
                    v.name
                )
            )
        );
        let mut head = vec!["true \\ predicted".to_string()];
        head.extend(r.labels.iter().cloned());
        if show_none {
            head.push("(no label)".into());
        }
        let rows: Vec<Vec<String>> = r
            .labels
            .iter()
            .enumerate()
            .map(|(t, l)| {
                let mut row = vec![l.clone()];
                row.extend(v.confusion.matrix[t].iter().map(u32::to_string));
                if show_none {
                    row.push(v.confusion.unmatched[t].to_string());
                }
                row
            })
            .collect();
        out.push_str(&table(&head, &rows, md));
    }
    if r.cancelled {
        let _ = writeln!(
            out,
            "\n(stopped before the end: figures cover the rows finished)"
        );
    }
    out
}

/// `[lo–hi]`, scaled and rounded like the figure it belongs to.
fn interval(ci: [f64; 2], scale: f64, digits: usize) -> String {
    format!("[{:.digits$}–{:.digits$}]", ci[0] * scale, ci[1] * scale)
}

/// The paired tests: which differences in accuracy the rows support.
fn paired_text(r: &EvalResult, md: bool) -> String {
    if r.paired.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        subheading(md, "paired test on the same rows (exact McNemar)")
    );
    let head: Vec<String> = [
        "a",
        "b",
        "rows",
        "only a right",
        "only b right",
        "p",
        "verdict",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let name = |i: usize| {
        r.variants
            .get(i)
            .map_or("?", |v| v.name.as_str())
            .to_string()
    };
    let rows: Vec<Vec<String>> = r
        .paired
        .iter()
        .map(|p| {
            vec![
                name(p.a),
                name(p.b),
                p.rows.to_string(),
                p.only_a.to_string(),
                p.only_b.to_string(),
                p_value(p.p_value),
                significance(p).to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&head, &rows, md));
    out
}

/// A p-value as people read them: three decimals, or `< 0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// The verdict on a paired difference, and which way it goes.
pub fn significance(p: &Paired) -> &'static str {
    match (p.significant(), p.only_a > p.only_b) {
        (false, _) => "not significant",
        (true, true) => "a better",
        (true, false) => "b better",
    }
}
