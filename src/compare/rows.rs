//! From a data file to evaluation rows: the input column fills the template's input variable,
//! other variables come from columns of the same name, and the label column is matched to the
//! template's labels. Rows that cannot be scored fairly are set aside with the reason.

use std::collections::BTreeMap;

use serde::Serialize;

use super::data::Dataset;
use super::labels::match_label;
use super::CompareError;
use crate::prompt::{Task, Template};

/// A row ready to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalRow {
    /// 1-based line in the data file.
    pub line: usize,
    /// The template's variables for this row.
    pub vars: BTreeMap<String, String>,
    /// The input column's text (what `--method embed` embeds).
    pub text: String,
    /// Index of the true label in the template's labels.
    pub label: usize,
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedRow {
    pub line: usize,
    pub reason: String,
}

/// Rows to evaluate, the rows set aside and the labels they are scored against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalData {
    pub labels: Vec<String>,
    pub rows: Vec<EvalRow>,
    pub skipped: Vec<SkippedRow>,
}

impl EvalData {
    /// Maps `ds` onto `t`'s variables and labels. `limit` keeps the first N usable rows.
    pub fn prepare(
        ds: &Dataset,
        t: &Template,
        input_col: &str,
        label_col: &str,
        limit: Option<usize>,
    ) -> Result<EvalData, CompareError> {
        if t.task != Task::Classify || t.labels.is_empty() {
            return Err(CompareError::Usage(format!(
                "template '{}' is a {} template without labels; evaluation needs a classify template (see `howdah prompt list`)",
                t.name,
                t.task.as_str()
            )));
        }
        let names: Vec<String> = t.variable_names().iter().map(|s| s.to_string()).collect();
        let Some(primary) = names.first().cloned() else {
            return Err(CompareError::Usage(format!(
                "template '{}' has no input variable to fill from the data",
                t.name
            )));
        };
        let has = |c: &str| ds.columns.iter().any(|x| x == c);
        let missing_col = |what: &str, col: &str| {
            CompareError::Usage(format!(
                "{}: no column {col:?} for {what}; the columns are: {}",
                ds.path.display(),
                ds.columns.join(", ")
            ))
        };
        if !has(input_col) {
            return Err(missing_col("the input (--input-col)", input_col));
        }
        if !has(label_col) {
            return Err(missing_col("the label (--label-col)", label_col));
        }
        // Variable -> column: the input column for the first variable, same name for the rest.
        let mut sources: Vec<(String, String)> = vec![(primary.clone(), input_col.to_string())];
        for v in &names[1..] {
            if !has(v) {
                return Err(missing_col(&format!("the template variable '{v}'"), v));
            }
            sources.push((v.clone(), v.clone()));
        }
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for rec in &ds.records {
            if limit.is_some_and(|n| rows.len() >= n) {
                break;
            }
            let field = |c: &str| rec.fields.get(c).cloned().unwrap_or_default();
            let raw_label = field(label_col);
            let Some(label) = match_label(&raw_label, &t.labels) else {
                skipped.push(SkippedRow {
                    line: rec.line,
                    reason: format!(
                        "label {:?} is not one of the template's labels ({})",
                        raw_label.trim(),
                        t.labels.join(", ")
                    ),
                });
                continue;
            };
            let text = field(input_col);
            if text.trim().is_empty() {
                skipped.push(SkippedRow {
                    line: rec.line,
                    reason: format!("the input column {input_col:?} is empty"),
                });
                continue;
            }
            let vars = sources
                .iter()
                .map(|(var, col)| (var.clone(), field(col)))
                .collect();
            rows.push(EvalRow {
                line: rec.line,
                vars,
                text,
                label,
            });
        }
        if rows.is_empty() {
            return Err(CompareError::Usage(format!(
                "{}: no row can be evaluated ({} set aside{})",
                ds.path.display(),
                skipped.len(),
                skipped
                    .first()
                    .map(|s| format!("; line {}: {}", s.line, s.reason))
                    .unwrap_or_default()
            )));
        }
        Ok(EvalData {
            labels: t.labels.clone(),
            rows,
            skipped,
        })
    }
}
