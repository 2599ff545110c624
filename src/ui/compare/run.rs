//! The compare view's background work: runs `CompareJob`s with the blocking compare API on a
//! worker thread and sends what happens back to the UI as `Action::Compare` messages. The UI
//! thread never waits on the engine here.

use std::sync::Arc;

use super::action::Action;
use super::compare::{CompareJob, CompareMsg};
use crate::compare::{run_compare, run_eval, EvalData, EvalOptions, Method};
use crate::engine::{Engine, ModelInfo};
use crate::prompt::Embedder;

/// Runs `job` off the UI thread; `send` delivers each resulting action.
pub fn execute(
    job: CompareJob,
    engine: Option<Arc<Engine>>,
    model: Option<ModelInfo>,
    send: impl Fn(Action) + Send + 'static,
) {
    if let CompareJob::Stop(flag) = &job {
        flag.set();
        return;
    }
    std::thread::spawn(move || match engine {
        Some(e) => run_blocking(job, &e, model.as_ref(), &mut |a| send(a)),
        None => run_without_engine(job, &mut |a| send(a)),
    });
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

/// Runs `job` on the calling thread (the worker, or a test), reporting through `send`.
pub fn run_blocking(
    job: CompareJob,
    engine: &Engine,
    model: Option<&ModelInfo>,
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
            cancel,
        } if models.iter().any(Option::is_some) => {
            // The models run on threads of their own; what they report is handed on from here.
            let (tx, rx) = std::sync::mpsc::channel::<CompareMsg>();
            std::thread::scope(|s| {
                s.spawn(move || {
                    let r = super::compare_models::run_columns(
                        engine,
                        model,
                        &template,
                        &vars,
                        &variants,
                        &models,
                        &cancel.0,
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
            cancel,
            ..
        } => {
            let r = run_compare(
                engine,
                &template,
                &vars,
                &variants,
                embedder.as_ref(),
                &cancel.0,
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
            cancel,
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
                    run_eval(engine, &template, &data, &variants, &opts, &cancel.0, |p| {
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
        CompareJob::Stop(flag) => flag.set(),
        CompareJob::SavePredictions { path, result, data } => {
            // The full path, so the file can be found from anywhere.
            let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
            let r = crate::compare::report::write_predictions(&path, &result, &data)
                .map(|()| format!("predictions to {}", shown.display()))
                .map_err(|e| format!("cannot write {}: {e}", shown.display()));
            send(Action::Saved(r));
        }
        CompareJob::Run { .. } | CompareJob::Eval { .. } => {}
    }
}
