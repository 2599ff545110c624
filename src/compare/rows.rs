//! From a data file to evaluation rows: the input column fills the template's input variable,
//! other variables come from columns of the same name, and the label column is matched to the
//! template's labels. Rows that cannot be scored fairly are set aside with the reason.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::data::{Dataset, Record};
use super::labels::match_label;
use super::CompareError;
use crate::prompt::{Task, Template};

/// A row ready to evaluate. Kept compact (a million-row file is a million of these): the
/// variable names are shared by all rows, and the input's value is stored once, as `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// 1-based line in the data file.
    pub line: usize,
    /// The template's variable names, the input's first (one allocation for all rows).
    names: Arc<[String]>,
    /// The values of `names[1..]` (empty, no allocation, for the usual one-variable template).
    extra: Box<[String]>,
    /// The input column's text: the first variable's value, and what `--method embed` embeds.
    pub text: String,
    /// Index of the true label in the template's labels.
    pub label: usize,
}

impl EvalRow {
    /// A row from its variables (`names` in template order, the input's first).
    pub fn new(
        line: usize,
        names: Arc<[String]>,
        text: String,
        extra: Vec<String>,
        label: usize,
    ) -> EvalRow {
        EvalRow {
            line,
            names,
            extra: extra.into_boxed_slice(),
            text,
            label,
        }
    }

    /// The template's variables for this row.
    pub fn vars(&self) -> BTreeMap<String, String> {
        let values = std::iter::once(&self.text).chain(self.extra.iter());
        self.names.iter().cloned().zip(values.cloned()).collect()
    }

    /// The same row with other variable values (in `vars()`'s names).
    pub fn with_vars(&self, vars: &BTreeMap<String, String>) -> EvalRow {
        let value = |n: &String| vars.get(n).cloned().unwrap_or_default();
        EvalRow {
            text: self.names.first().map(value).unwrap_or_default(),
            extra: self.names.iter().skip(1).map(value).collect(),
            ..self.clone()
        }
    }
}

impl Serialize for EvalRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("EvalRow", 4)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("vars", &self.vars())?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("label", &self.label)?;
        st.end()
    }
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
        let mut b = Builder::new(t, input_col, label_col, limit)?;
        b.check_columns(&ds.path, &ds.columns)?;
        for rec in &ds.records {
            if b.add(rec).is_break() {
                break;
            }
        }
        b.finish(&ds.path)
    }

    /// Like [`EvalData::prepare`] straight from the file at `path`, streamed: only the rows
    /// used are kept, and reading stops once `limit` rows are found.
    pub fn load(
        path: &Path,
        t: &Template,
        input_col: &str,
        label_col: &str,
        limit: Option<usize>,
    ) -> Result<EvalData, CompareError> {
        let mut b = Builder::new(t, input_col, label_col, limit)?;
        let mut checked = Ok(());
        let columns = Dataset::for_each(path, |cols, rec| {
            // A CSV header is known at once: a missing column stops the reading here.
            if cols.complete && !b.checked {
                checked = b.check_columns(path, cols.names);
                if checked.is_err() {
                    return ControlFlow::Break(());
                }
            }
            b.add(&rec)
        })?;
        checked?;
        b.check_columns(path, &columns)?;
        b.finish(path)
    }
}

/// Turns records into rows one at a time.
struct Builder<'t> {
    t: &'t Template,
    input_col: String,
    label_col: String,
    limit: Option<usize>,
    /// Variable -> column: the input column for the first variable, same name for the rest.
    sources: Vec<(String, String)>,
    /// The variables' names, shared by every row.
    names: Arc<[String]>,
    checked: bool,
    rows: Vec<EvalRow>,
    skipped: Vec<SkippedRow>,
}

impl<'t> Builder<'t> {
    fn new(
        t: &'t Template,
        input_col: &str,
        label_col: &str,
        limit: Option<usize>,
    ) -> Result<Builder<'t>, CompareError> {
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
        let mut sources: Vec<(String, String)> = vec![(primary, input_col.to_string())];
        for v in &names[1..] {
            sources.push((v.clone(), v.clone()));
        }
        Ok(Builder {
            t,
            input_col: input_col.to_string(),
            label_col: label_col.to_string(),
            limit,
            names: sources.iter().map(|(v, _)| v.clone()).collect(),
            sources,
            checked: false,
            rows: Vec::new(),
            skipped: Vec::new(),
        })
    }

    fn check_columns(&mut self, path: &Path, columns: &[String]) -> Result<(), CompareError> {
        self.checked = true;
        let has = |c: &str| columns.iter().any(|x| x == c);
        let missing_col = |what: &str, col: &str| {
            CompareError::Usage(format!(
                "{}: no column {col:?} for {what}; the columns are: {}",
                path.display(),
                columns.join(", ")
            ))
        };
        if !has(&self.input_col) {
            return Err(missing_col("the input (--input-col)", &self.input_col));
        }
        if !has(&self.label_col) {
            return Err(missing_col("the label (--label-col)", &self.label_col));
        }
        for (v, _) in &self.sources[1..] {
            if !has(v) {
                return Err(missing_col(&format!("the template variable '{v}'"), v));
            }
        }
        Ok(())
    }

    /// Adds one record; breaks once `limit` rows are kept.
    fn add(&mut self, rec: &Record) -> ControlFlow<()> {
        if self.limit.is_some_and(|n| self.rows.len() >= n) {
            return ControlFlow::Break(());
        }
        let field = |c: &str| rec.fields.get(c).cloned().unwrap_or_default();
        let raw_label = field(&self.label_col);
        let Some(label) = match_label(&raw_label, &self.t.labels) else {
            self.skipped.push(SkippedRow {
                line: rec.line,
                reason: format!(
                    "label {:?} is not one of the template's labels ({})",
                    raw_label.trim(),
                    self.t.labels.join(", ")
                ),
            });
            return ControlFlow::Continue(());
        };
        let text = field(&self.input_col);
        if text.trim().is_empty() {
            self.skipped.push(SkippedRow {
                line: rec.line,
                reason: format!("the input column {:?} is empty", self.input_col),
            });
            return ControlFlow::Continue(());
        }
        let extra = self.sources[1..]
            .iter()
            .map(|(_, col)| field(col))
            .collect();
        self.rows.push(EvalRow::new(
            rec.line,
            self.names.clone(),
            text,
            extra,
            label,
        ));
        if self.limit.is_some_and(|n| self.rows.len() >= n) {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn finish(self, path: &Path) -> Result<EvalData, CompareError> {
        if self.rows.is_empty() {
            return Err(CompareError::Usage(format!(
                "{}: no row can be evaluated ({} set aside{})",
                path.display(),
                self.skipped.len(),
                self.skipped
                    .first()
                    .map(|s| format!("; line {}: {}", s.line, s.reason))
                    .unwrap_or_default()
            )));
        }
        let mut rows = self.rows;
        rows.shrink_to_fit();
        Ok(EvalData {
            labels: self.t.labels.clone(),
            rows,
            skipped: self.skipped,
        })
    }
}
