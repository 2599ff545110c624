//! Side by side: the same task prompted several ways (zero-, one-, few-shot …), run on one input
//! (`run_compare`) or evaluated on a labelled data set (`run_eval`), with label scoring.
//!
//! Both entry points are blocking and meant for a worker thread: they report progress through a
//! callback and stop at the next row or token once the `cancel` flag is set, keeping what was
//! finished. The command line (`howdah compare`, `howdah eval`) and the TUI's compare view sit on
//! top of them; `report` renders results as a table, Markdown or JSON; `save` turns results into
//! sessions.
//!
//! # For the TUI compare view
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use std::sync::atomic::AtomicBool;
//! use howdah::compare::{default_shots, run_compare, variants_for, CompareEvent, VariantSpec};
//! use howdah::prompt::{Embedder, Library, Mode};
//! # fn demo(engine: &howdah::engine::Engine, info: &howdah::engine::ModelInfo) {
//! let lib = Library::load();
//! let t = lib.find("sentiment").unwrap();
//! let mode = Mode::for_model(info);
//! // Zero-, one- and k-shot; edit the Vec (≤ MAX_VARIANTS) to add sampling presets etc.
//! let variants: Vec<VariantSpec> = variants_for(t, &default_shots(t), None, 0, mode,
//!     &t.sampling_for(mode)).unwrap();
//! let vars = BTreeMap::from([("text".to_string(), "Loved it".to_string())]);
//! let embedder = Embedder::engine(engine, info);        // for `similar` selection
//! let cancel = AtomicBool::new(false);                  // Esc: cancel.store(true, ..)
//! let result = run_compare(engine, t, &vars, &variants, Some(&embedder), &cancel, |ev| match ev {
//!     CompareEvent::Rendered { variant, rendered } => { /* rendered.display(): "show prompt" */ }
//!     CompareEvent::Scored { variant, labels } => { /* label bars: labels[i].prob */ }
//!     CompareEvent::Token { variant, token } => { /* append token.text to the column */ }
//!     CompareEvent::Done { variant, stats } => { /* footer: tokens, ttft, tok/s, logprob */ }
//!     CompareEvent::Failed { variant, error } => { /* show in that column only */ }
//! });
//! # }
//! ```
//!
//! Evaluation: `Dataset::load(path)` → `EvalData::prepare(&ds, t, "text", "label", limit)`
//! (unknown labels land in `skipped`) → `run_eval(engine, t, &data, &variants, &EvalOptions {
//! method, reuse_cache: true, embedder, calibrate: false }, &cancel, |p: &EvalProgress| …)` →
//! `EvalResult` with per-variant `accuracy` and `accuracy_ci`, `macro_f1` and `macro_f1_ci`,
//! `confusion`, `mean_true_prob`, `rows_per_sec` (a bar per variant) and `predictions`, and
//! `paired` McNemar tests (`stats`). `save::{compare_session, eval_session}` build the sessions to
//! store with `session::Store::create`.

mod calibrate;
mod data;
mod eval;
pub mod fleet;
mod labels;
mod methods;
mod metrics;
mod parallel;
pub mod preset;
mod prototypes;
pub mod report;
mod rows;
pub mod save;
mod single;
pub mod stats;
mod stream;
mod variant;

use thiserror::Error;

pub use calibrate::{calibrate, calibrated_outcomes, CONTENT_FREE};
pub use data::{DataError, Dataset, Record};
pub use eval::{
    run_eval, EvalOptions, EvalProgress, EvalResult, Method, RowPrediction, VariantEval,
};
pub use labels::{match_label, normalize};
pub use metrics::{Confusion, Mean};
pub use rows::{EvalData, EvalRow, SkippedRow};
pub use single::{run_compare, CompareEvent, CompareResult, LabelProb, VariantOutcome};
pub use stream::Columns;
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
