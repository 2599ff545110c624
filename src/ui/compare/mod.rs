//! The compare view, one folder: its state (`state`), the jobs it hands the runtime and what
//! comes back (`job`, run by `run` and `models`), opening it (`open`), its keys (`update`,
//! `modal`, `common`) with its dialogs on the app's modal stack, the arena mode (`arena`), the
//! sessions its runs are saved as (`record`) and its drawing (`view`, `eval_view`,
//! `modal_view`, `eval_chart`).

pub mod arena;
pub(crate) mod common;
pub mod eval_chart;
pub mod eval_view;
pub mod job;
pub mod modal;
pub mod modal_view;
pub mod models;
pub mod open;
pub mod record;
pub mod run;
pub mod state;
pub mod update;
pub mod view;
