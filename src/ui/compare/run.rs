//! The compare view's worker, run the way the runtime runs the replay and the model download: a
//! `CompareJob` starts one named thread for the run or evaluation, its stop flag kept in the
//! runtime's slot (`control`); a new run stops the old one, `Stop` sets the flag. What happens
//! comes back to the UI as `Action::Compare` messages; the UI thread never waits on the engine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::job::{CompareJob, CompareMsg};
use crate::compare::{run_compare, run_eval, EvalData, EvalOptions, Method};
use crate::engine::{Engine, ModelInfo};
use crate::prompt::Embedder;
use crate::ui::action::Action;

/// The handle of the running compare run or evaluation, kept by the runtime: its stop flag and
/// run number.
#[derive(Debug)]
pub struct CompareHandle {
    run: u64,
    cancel: Arc<AtomicBool>,
}

impl CompareHandle {
    /// Stops the run at its next token or row.
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::Release);
    }
}

/// Carries out `job`: starts the worker thread of a run or an evaluation (stopping the one in
/// `slot`), stops it, or writes predictions. `send` delivers each resulting action.
pub fn control(
    slot: &mut Option<CompareHandle>,
    engine: Option<Arc<Engine>>,
    model: Option<ModelInfo>,
    job: CompareJob,
    send: impl Fn(Action) + Send + Sync + 'static,
) {
    let (run, eval) = match &job {
        CompareJob::Stop { run } => {
            // Only the run asked about: a late stop must not end a newer run.
            if let Some(c) = slot.take_if(|c| c.run == *run) {
                c.stop();
            }
            return;
        }
        CompareJob::Run { run, .. } => (*run, false),
        CompareJob::Eval { run, .. } => (*run, true),
        CompareJob::SavePredictions { .. } => (0, false),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    if run > 0 {
        if let Some(old) = slot.replace(CompareHandle {
            run,
            cancel: cancel.clone(),
        }) {
            old.stop();
        }
    }
    let send = Arc::new(send);
    let to_ui = send.clone();
    let spawned = std::thread::Builder::new()
        .name("howdah-compare".into())
        .spawn(move || match engine {
            Some(e) => run_blocking(job, &e, model.as_ref(), &cancel, &mut |a| to_ui(a)),
            None => run_without_engine(job, &mut |a| to_ui(a)),
        });
    if let Err(e) = spawned {
        // Said with the run's own number, so the view stops saying "running".
        let error = format!("cannot start the compare thread: {e}");
        send(match (run, eval) {
            (0, _) => Action::Saved(Err(error)),
            (run, false) => Action::Compare(CompareMsg::Finished {
                run,
                error: Some(error),
            }),
            (run, true) => Action::Compare(CompareMsg::EvalDone {
                run,
                result: Err(error),
            }),
        });
    }
}

/// What the view shows when no engine is running yet.
fn run_without_engine(job: CompareJob, send: &mut dyn FnMut(Action)) {
    let why = "no model is loaded: pick one with the model picker first".to_string();
    match job {
        CompareJob::Run { run, .. } => send(Action::Compare(CompareMsg::Finished {
            run,
            error: Some(why),
        })),
        CompareJob::Eval { run, .. } => send(Action::Compare(CompareMsg::EvalDone {
            run,
            result: Err(why),
        })),
        other => run_io(other, send),
    }
}

/// Runs `job` on the calling thread (the worker, or a test), reporting through `send`; `cancel`
/// stops it at the next token or row.
pub fn run_blocking(
    job: CompareJob,
    engine: &Engine,
    model: Option<&ModelInfo>,
    cancel: &AtomicBool,
    send: &mut dyn FnMut(Action),
) {
    let embedder = model.map(|m| Embedder::engine(engine, m));
    match job {
        CompareJob::Run {
            run,
            template,
            vars,
            variants,
            models,
        } if models.iter().any(Option::is_some) => {
            // The models run on threads of their own; what they report is handed on from here.
            let (tx, rx) = std::sync::mpsc::channel::<CompareMsg>();
            std::thread::scope(|s| {
                s.spawn(move || {
                    let r = super::models::run_columns(
                        engine,
                        model,
                        &template,
                        &vars,
                        &variants,
                        &models,
                        cancel,
                        &|text| {
                            let _ = tx.send(CompareMsg::Note { run, text });
                        },
                        &|event| {
                            let _ = tx.send(CompareMsg::Event { run, event });
                        },
                    );
                    let _ = tx.send(CompareMsg::Finished {
                        run,
                        error: r.err(),
                    });
                });
                for m in rx {
                    send(Action::Compare(m));
                }
            });
        }
        CompareJob::Run {
            run,
            template,
            vars,
            variants,
            ..
        } => {
            let r = run_compare(
                engine,
                &template,
                &vars,
                &variants,
                embedder.as_ref(),
                cancel,
                |ev| {
                    send(Action::Compare(CompareMsg::Event {
                        run,
                        event: ev.clone(),
                    }))
                },
            );
            send(Action::Compare(CompareMsg::Finished {
                run,
                error: r.err().map(|e| e.to_string()),
            }));
        }
        CompareJob::Eval {
            run,
            template,
            path,
            variants,
        } => {
            let result = EvalData::load(&path, &template, "text", "label", None)
                .map_err(|e| e.to_string())
                .and_then(|data| {
                    let opts = EvalOptions {
                        method: Method::Score,
                        reuse_cache: true,
                        embedder: embedder.as_ref(),
                        calibrate: false,
                    };
                    run_eval(engine, &template, &data, &variants, &opts, cancel, |p| {
                        send(Action::Compare(CompareMsg::EvalProgress {
                            run,
                            progress: *p,
                        }))
                    })
                    .map(|r| (Arc::new(r), Arc::new(data)))
                    .map_err(|e| e.to_string())
                });
            send(Action::Compare(CompareMsg::EvalDone { run, result }));
        }
        other => run_io(other, send),
    }
}

/// Jobs that need no engine.
fn run_io(job: CompareJob, send: &mut dyn FnMut(Action)) {
    match job {
        CompareJob::SavePredictions { path, result, data } => {
            // The full path, so the file can be found from anywhere.
            let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
            let r = crate::compare::report::write_predictions(&path, &result, &data)
                .map(|()| format!("predictions to {}", shown.display()))
                .map_err(|e| format!("cannot write {}: {e}", shown.display()));
            send(Action::Saved(r));
        }
        CompareJob::Run { .. } | CompareJob::Eval { .. } | CompareJob::Stop { .. } => {}
    }
}
