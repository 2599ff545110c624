//! The compare view's background work as the runtime sees it: the jobs `update` asks for
//! (`Effect::Compare`, carried out by `run::control` like the replay and the download), how the
//! view starts and stops them, what the worker reports back (`Action::Compare`) and how those
//! reports change the view's state. Reports of an older run are ignored by its number.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::state::{ArenaRound, Column, CompareState, EvalView};
use crate::compare::{CompareEvent, EvalData, EvalProgress, EvalResult, VariantSpec};
use crate::prompt::Template;
use crate::ui::reply::{Reply, ReplyState};
use crate::ui::text_input::new_input;

/// Background work of the compare view.
#[derive(Debug, Clone, PartialEq)]
pub enum CompareJob {
    /// Every variant on one input: label scoring, then one batched generation.
    Run {
        run: u64,
        template: Box<Template>,
        vars: BTreeMap<String, String>,
        variants: Vec<VariantSpec>,
        /// Each variant's own model (`None`: the loaded one).
        models: Vec<Option<PathBuf>>,
    },
    /// Evaluate the variants on a data file (label scoring).
    Eval {
        run: u64,
        template: Box<Template>,
        path: PathBuf,
        variants: Vec<VariantSpec>,
    },
    /// Stop run `run` (or its evaluation) at its next token or row.
    Stop { run: u64 },
    /// Write the per-row predictions as CSV (`Action::Saved`).
    SavePredictions {
        path: PathBuf,
        result: Arc<EvalResult>,
        data: Arc<EvalData>,
    },
}

/// What the worker reports back, tagged with the run it belongs to.
#[derive(Debug, Clone)]
pub enum CompareMsg {
    Event {
        run: u64,
        event: CompareEvent,
    },
    /// `run_compare` returned: `Err` when nothing could run (engine stopped, missing variable).
    Finished {
        run: u64,
        error: Option<String>,
    },
    EvalProgress {
        run: u64,
        progress: EvalProgress,
    },
    EvalDone {
        run: u64,
        result: Result<(Arc<EvalResult>, Arc<EvalData>), String>,
    },
    /// Something to say on screen (how several models are loaded).
    Note {
        run: u64,
        text: String,
    },
}

impl CompareState {
    /// The column a worker event is about, if it belongs to the current run.
    fn column_mut(&mut self, run: u64, variant: usize) -> Option<&mut Column> {
        if run != self.run {
            return None;
        }
        self.columns.get_mut(variant)
    }

    /// Applies one `run_compare` event to its column.
    pub fn apply(&mut self, run: u64, event: CompareEvent) {
        match event {
            CompareEvent::Rendered { variant, rendered } => {
                if let Some(c) = self.column_mut(run, variant) {
                    // Example texts come from template files: untrusted for the terminal.
                    c.prompt = Some(crate::text::sanitize(&rendered.display()));
                    c.rendered = Some(Box::new(rendered));
                }
            }
            CompareEvent::Scored { variant, labels } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.labels = Some(labels);
                }
            }
            CompareEvent::Token { variant, token } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.reply.token(token);
                }
            }
            CompareEvent::Done { variant, stats } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.reply.finish(&stats);
                    c.stats = Some(stats);
                }
            }
            CompareEvent::Failed { variant, error } => {
                if let Some(c) = self.column_mut(run, variant) {
                    c.reply.fail(&error);
                }
            }
        }
    }

    /// Applies a worker message; messages of older runs are ignored. Returns whether it ended
    /// the current run or evaluation (then it is saved as a session).
    pub fn on_msg(&mut self, msg: CompareMsg) -> bool {
        match msg {
            CompareMsg::Event { run, event } => self.apply(run, event),
            CompareMsg::Finished { run, error } => {
                if run != self.run {
                    return false;
                }
                for c in &mut self.columns {
                    if c.reply.running() {
                        // Ended without its own Done: stopped before it got a turn (a failed
                        // run says why in the view's own error line).
                        if error.is_none() {
                            c.reply.fail("stopped");
                        } else {
                            c.reply.state = ReplyState::Stopped;
                        }
                    }
                }
                let ran = error.is_none();
                self.error = error.map(|e| crate::text::sanitize(&e));
                return ran;
            }
            CompareMsg::EvalProgress { run, progress } => {
                if run != self.run {
                    return false;
                }
                if let Some(e) = &mut self.eval {
                    e.progress = Some(progress);
                }
            }
            CompareMsg::Note { .. } => {}
            CompareMsg::EvalDone { run, result } => {
                if run != self.run {
                    return false;
                }
                if let Some(e) = &mut self.eval {
                    e.running = false;
                    match result {
                        Ok(r) => {
                            e.result = Some(r);
                            return true;
                        }
                        Err(err) => e.error = Some(crate::text::sanitize(&err)),
                    }
                }
            }
        }
        false
    }
}

impl CompareState {
    /// Starts a run of every column on `input`: clears the columns, records the input in the
    /// history and returns the job for the worker. None when no template is picked.
    pub fn start_run(&mut self, input: &str) -> Option<CompareJob> {
        let t = self.template.clone()?;
        let vars = self.vars_for(input);
        self.run += 1;
        self.stopped = false;
        for c in &mut self.columns {
            c.clear();
            c.reply = Reply::streaming();
        }
        self.error = None;
        self.scroll = 0;
        self.arena = self.arena_mode.then(ArenaRound::draw);
        self.shown_input = Some(input.to_string());
        self.show_eval = false;
        if self.history.last().map(String::as_str) != Some(input) {
            self.history.push(input.to_string());
        }
        self.history_pos = None;
        // As in the chat: the input empties, ↑ brings it back.
        self.input = new_input(Vec::new());
        Some(CompareJob::Run {
            run: self.run,
            template: t,
            vars,
            variants: self.columns.iter().map(|c| c.spec.clone()).collect(),
            models: self
                .columns
                .iter()
                .map(|c| c.model.as_ref().map(|m| m.path.clone()))
                .collect(),
        })
    }

    /// Starts an evaluation of every column's variant on the data file at `path`.
    pub fn start_eval(&mut self, path: PathBuf) -> Option<CompareJob> {
        let t = self.template.clone()?;
        self.run += 1;
        self.stopped = false;
        self.eval = Some(EvalView {
            path: path.clone(),
            progress: None,
            running: true,
            result: None,
            error: None,
        });
        self.show_eval = true;
        Some(CompareJob::Eval {
            run: self.run,
            template: t,
            path,
            variants: self.columns.iter().map(|c| c.spec.clone()).collect(),
        })
    }

    /// Esc: stops whatever runs (the columns keep their partial text, the evaluation its
    /// partial figures). Returns the job that tells the worker.
    pub fn stop(&mut self) -> Option<CompareJob> {
        if !self.running() {
            return None;
        }
        self.stopped = true;
        Some(CompareJob::Stop { run: self.run })
    }
}
