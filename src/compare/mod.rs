//! Side by side: the same task prompted several ways (zero-, one-, few-shot …), run on one input
//! (`run_compare`) or evaluated on a labelled data set (`run_eval`), with label scoring.
//!
//! Both entry points are blocking and meant for a worker thread: they report progress through a
//! callback and stop at the next row or token once the `cancel` flag is set, keeping what was
//! finished. The command line (`howdah compare`, `howdah eval`) and the TUI's compare view sit on
//! top of them; `report` renders results as a table, Markdown or JSON.

mod data;
mod eval;
mod labels;
mod methods;
mod metrics;
pub mod report;
mod rows;
mod single;
mod variant;

use thiserror::Error;

pub use data::{DataError, Dataset, Record};
pub use eval::{
    run_eval, EvalOptions, EvalProgress, EvalResult, Method, RowPrediction, VariantEval,
};
pub use labels::{match_label, normalize};
pub use metrics::{Confusion, Mean};
pub use rows::{EvalData, EvalRow, SkippedRow};
pub use single::{run_compare, CompareEvent, CompareResult, LabelProb, VariantOutcome};
pub use variant::{default_shots, parse_shots, variants_for, VariantSpec, MAX_VARIANTS};

use crate::engine::EngineError;

#[derive(Debug, Error)]
pub enum CompareError {
    /// A request that cannot work as given (too many variants, shots out of range, …).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Data(#[from] DataError),
    /// The engine as a whole failed (not one variant or one row).
    #[error(transparent)]
    Engine(#[from] EngineError),
}
