//! Results as people and scripts read them: aligned tables for the terminal, Markdown, JSON, and
//! the per-row predictions as CSV. Everything model-made is sanitized again on the way out.
//!
//! This file picks the format and writes the machine-read ones (JSON, CSV); the text reports
//! are `compare_text` and `eval_text`, on the shared `table` layout.

mod compare_text;
mod eval_text;
mod table;

use std::path::Path;

pub use eval_text::{p_value, significance};
pub use table::table;

use super::eval::EvalResult;
use super::rows::EvalData;
use super::single::CompareResult;
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

/// The `compare` report in `format`.
pub fn compare(r: &CompareResult, meta: &Meta, format: Format) -> String {
    match format {
        Format::Json => json_with(r, meta),
        Format::Table | Format::Md => compare_text::compare_text(r, meta, format == Format::Md),
    }
}

/// The `eval` report in `format`.
pub fn eval(r: &EvalResult, meta: &Meta, format: Format) -> String {
    match format {
        Format::Json => json_with(r, meta),
        Format::Table | Format::Md => eval_text::eval_text(r, meta, format == Format::Md),
    }
}

/// The results as JSON, with the run's facts (model, data, each variant's model) added.
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
