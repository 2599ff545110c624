//! Results as people and scripts read them: aligned tables for the terminal, Markdown, JSON, and
//! the per-row predictions as CSV. Everything model-made is sanitized again on the way out.

use std::fmt::Write as _;
use std::path::Path;

use unicode_width::UnicodeWidthStr;

use super::eval::{EvalResult, Method};
use super::rows::EvalData;
use super::single::CompareResult;
use super::stats::Paired;
use crate::text::sanitize;

/// Output format of `compare` and `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Md,
}

/// Facts about the run that the results themselves do not carry.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Model file name.
    pub model: String,
    /// Data file (eval).
    pub data: Option<String>,
    /// Each variant's model file, in variant order, when several models ran (empty: `model`).
    pub models: Vec<String>,
}

pub fn compare(r: &CompareResult, meta: &Meta, format: Format) -> String {
    match format {
        Format::Json => json_with(r, meta),
        Format::Table | Format::Md => compare_text(r, meta, format == Format::Md),
    }
}

pub fn eval(r: &EvalResult, meta: &Meta, format: Format) -> String {
    match format {
        Format::Json => json_with(r, meta),
        Format::Table | Format::Md => eval_text(r, meta, format == Format::Md),
    }
}

fn json_with(value: &impl serde::Serialize, meta: &Meta) -> String {
    let mut v = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("model".into(), meta.model.clone().into());
        if let Some(d) = &meta.data {
            obj.insert("data".into(), d.clone().into());
        }
        // Every variant says which model it ran on.
        if let Some(serde_json::Value::Array(vs)) = obj.get_mut("variants") {
            for (i, v) in vs.iter_mut().enumerate() {
                let m = meta.models.get(i).unwrap_or(&meta.model);
                if let Some(v) = v.as_object_mut() {
                    v.insert("model".into(), m.clone().into());
                }
            }
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn compare_text(r: &CompareResult, meta: &Meta, md: bool) -> String {
    let mut out = String::new();
    let input = r
        .vars
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(
        out,
        "{}",
        heading(md, &format!("{} · {} · {}", r.template, meta.model, input))
    );
    // Label columns only when some variant was scored (a classify template).
    let label_names: &[String] = if r.variants.iter().any(|v| v.labels.is_some()) {
        &r.labels
    } else {
        &[]
    };
    let classify = !r.labels.is_empty();
    let mut head = vec!["variant".to_string()];
    if classify {
        head.push("predicted".to_string());
    } else {
        head.push("status".to_string());
    }
    head.extend(label_names.iter().map(|l| format!("p({l})")));
    head.extend(
        ["prompt tok", "gen tok", "ttft ms", "tok/s", "mean logprob"]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut rows = Vec::new();
    for v in &r.variants {
        let mut row = vec![
            v.name.clone(),
            match (&v.error, &v.predicted) {
                (Some(_), _) => "error".to_string(),
                (None, Some(p)) => p.clone(),
                (None, None) if classify => "-".to_string(),
                (None, None) => v
                    .stats
                    .as_ref()
                    .and_then(|s| serde_json::to_value(s.stop).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "-".to_string()),
            },
        ];
        for l in label_names {
            row.push(
                v.labels
                    .as_ref()
                    .and_then(|ls| ls.iter().find(|x| &x.label == l))
                    .map(|x| format!("{:.3}", x.prob))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        match &v.stats {
            Some(s) => row.extend([
                s.prompt_tokens.to_string(),
                s.generated_tokens.to_string(),
                format!("{:.0}", s.ttft_ms),
                // One token gives no rate to speak of; the engine reports 0 then.
                if s.gen_tps > 0.0 {
                    format!("{:.1}", s.gen_tps)
                } else {
                    "-".to_string()
                },
                format!("{:.3}", s.mean_logprob),
            ]),
            None => row.extend(std::iter::repeat_n("-".to_string(), 5)),
        }
        rows.push(row);
    }
    out.push_str(&table(&head, &rows, md));
    for v in &r.variants {
        out.push('\n');
        let _ = writeln!(out, "{}", subheading(md, &v.name));
        let body = match &v.error {
            Some(e) => format!("error: {e}"),
            None => v.text.trim().to_string(),
        };
        if md {
            for line in sanitize(&body).lines() {
                let _ = writeln!(out, "> {line}");
            }
        } else {
            let _ = writeln!(out, "{}", sanitize(&body));
        }
    }
    if r.cancelled {
        let _ = writeln!(out, "\n(stopped before the end: the texts are partial)");
    }
    out
}

fn eval_text(r: &EvalResult, meta: &Meta, md: bool) -> String {
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

fn heading(md: bool, s: &str) -> String {
    if md {
        format!("## {s}\n")
    } else {
        s.to_string()
    }
}

fn subheading(md: bool, s: &str) -> String {
    if md {
        format!("### {s}\n")
    } else {
        format!("── {s} ──")
    }
}

/// An aligned plain-text table, or a Markdown one. Cells are sanitized and kept on one line.
pub fn table(head: &[String], rows: &[Vec<String>], md: bool) -> String {
    let clean = |s: &str| {
        let s = sanitize(s).replace(['\n', '\t'], " ");
        if md {
            s.replace('|', "\\|")
        } else {
            s
        }
    };
    let head: Vec<String> = head.iter().map(|h| clean(h)).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut out = String::new();
    if md {
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(
            out,
            "|{}",
            head.iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for r in &rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        return out;
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            std::iter::once(&head)
                .chain(&rows)
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in std::iter::once(&head).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = " ".repeat(widths[c].saturating_sub(s.width()));
                // Numbers read best right-aligned; the first column is a name.
                if c == 0 {
                    format!("{s}{pad}")
                } else {
                    format!("{pad}{s}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// Writes every variant's per-row predictions as CSV.
pub fn write_predictions(path: &Path, r: &EvalResult, data: &EvalData) -> std::io::Result<()> {
    // Like every export: whole or not at all, and private.
    let bytes = predictions_csv(r, data)?;
    crate::session::write_export(path, &bytes)
        .map(drop)
        .map_err(std::io::Error::other)
}

/// The per-row predictions as CSV.
fn predictions_csv(r: &EvalResult, data: &EvalData) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = [
        "line",
        "variant",
        "method",
        "shots",
        "selection",
        "mode",
        "text",
        "label",
        "predicted",
        "correct",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    head.extend(r.labels.iter().map(|l| format!("p_{l}")));
    head.extend(["output".to_string(), "error".to_string()]);
    w.write_record(&head)?;
    for v in &r.variants {
        for p in &v.predictions {
            let row = &data.rows[p.row];
            let mut rec = vec![
                p.line.to_string(),
                v.name.clone(),
                v.method.as_str().to_string(),
                v.shots.to_string(),
                v.selection
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                v.mode.map(|m| m.as_str().to_string()).unwrap_or_default(),
                sanitize(&row.text),
                r.labels[p.label].clone(),
                p.predicted.map(|i| r.labels[i].clone()).unwrap_or_default(),
                if p.error.is_some() {
                    String::new()
                } else {
                    (p.predicted == Some(p.label)).to_string()
                },
            ];
            for i in 0..r.labels.len() {
                rec.push(
                    p.probs
                        .as_ref()
                        .map(|ps| format!("{:.6}", ps[i]))
                        .unwrap_or_default(),
                );
            }
            rec.push(p.output.as_deref().map(sanitize).unwrap_or_default());
            rec.push(p.error.clone().unwrap_or_default());
            w.write_record(&rec)?;
        }
    }
    w.into_inner().map_err(|e| e.into_error())
}
