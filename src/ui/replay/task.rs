//! The replay worker: replays a session's turns on the engine, on its own thread, turn by turn
//! (`Step::Next`) or to the end (`Step::All`), and reports each token and turn as it comes.
//! The UI thread never waits on it; cancelling stops the current reply within a token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use crate::engine::Engine;
use crate::session::replay::{plan, ReplayOptions, Replayer, TurnReplay};
use crate::session::Session;

/// What the view asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One more turn, then wait.
    Next,
    /// Every remaining turn.
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayJob {
    pub id: u64,
    pub session: Session,
    pub opts: ReplayOptions,
    pub first: Step,
}

/// What the worker reports, tagged with the replay's id.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayEvent {
    Planned {
        id: u64,
        turns: usize,
        warnings: Vec<String>,
    },
    /// Text of the reply being replayed.
    Token {
        id: u64,
        text: String,
    },
    Turn {
        id: u64,
        turn: Box<TurnReplay>,
    },
    /// The worker stopped: all turns done, cancelled, or an error.
    Finished {
        id: u64,
        cancelled: bool,
        error: Option<String>,
    },
}

/// Runs a replay to its end (blocking). `steps` brings further `Step`s; when it closes, or
/// `cancel` is set, the worker stops after (or, through the engine, during) the current turn.
pub fn run(
    engine: &Engine,
    job: ReplayJob,
    steps: Receiver<Step>,
    cancel: &AtomicBool,
    mut emit: impl FnMut(ReplayEvent),
) {
    let id = job.id;
    let mut warnings = Vec::new();
    let plans = match plan(&job.session, &job.opts, &mut warnings) {
        Ok(p) => p,
        Err(e) => {
            return emit(ReplayEvent::Finished {
                id,
                cancelled: false,
                error: Some(e.to_string()),
            })
        }
    };
    emit(ReplayEvent::Planned {
        id,
        turns: plans.len(),
        warnings,
    });
    let mut replayer = Replayer::new(engine);
    let mut mode = job.first;
    let mut error = None;
    for (i, p) in plans.iter().enumerate() {
        if i > 0 && mode == Step::Next {
            match steps.recv() {
                Ok(s) => mode = s,
                Err(_) => break,
            }
        }
        if cancel.load(Ordering::Acquire) {
            break;
        }
        let r = replayer.run_turn(p, |t| {
            emit(ReplayEvent::Token {
                id,
                text: t.text.clone(),
            })
        });
        if cancel.load(Ordering::Acquire) {
            break;
        }
        match r {
            Ok(t) => emit(ReplayEvent::Turn {
                id,
                turn: Box::new(t),
            }),
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    emit(ReplayEvent::Finished {
        id,
        cancelled: cancel.load(Ordering::Acquire),
        error,
    });
}

/// The replay effects the runtime carries out.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayCtl {
    Start(Box<ReplayJob>),
    Step(Step),
    Cancel,
}

/// The handle of the running replay, kept by the runtime: its step channel, its stop flag and
/// the engine it runs on.
pub struct ReplayHandle {
    steps: std::sync::mpsc::Sender<Step>,
    cancel: std::sync::Arc<AtomicBool>,
    engine: std::sync::Arc<Engine>,
}

/// Carries out a replay effect: starts the worker thread, passes a step on, or cancels (the
/// current reply stops within a token). Without an engine, the replay's end comes back as the
/// error.
pub fn control(
    slot: &mut Option<ReplayHandle>,
    engine: Option<std::sync::Arc<Engine>>,
    ctl: ReplayCtl,
    send: impl Fn(ReplayEvent) + Send + 'static,
) -> Result<(), ReplayEvent> {
    match ctl {
        ReplayCtl::Start(job) => {
            let Some(engine) = engine else {
                return Err(ReplayEvent::Finished {
                    id: job.id,
                    cancelled: false,
                    error: Some("the engine is not running".into()),
                });
            };
            if let Some(old) = slot.take() {
                old.stop();
            }
            let (tx, rx) = std::sync::mpsc::channel();
            let id = job.id;
            let cancel = std::sync::Arc::new(AtomicBool::new(false));
            let (e, c) = (engine.clone(), cancel.clone());
            std::thread::Builder::new()
                .name("howdah-replay".into())
                .spawn(move || run(&e, *job, rx, &c, send))
                .map_err(|err| ReplayEvent::Finished {
                    // The view's own id, so the view stops saying "running".
                    id,
                    cancelled: false,
                    error: Some(format!("cannot start the replay thread: {err}")),
                })?;
            *slot = Some(ReplayHandle {
                steps: tx,
                cancel,
                engine,
            });
        }
        ReplayCtl::Step(s) => {
            if let Some(c) = slot {
                let _ = c.steps.send(s);
            }
        }
        ReplayCtl::Cancel => {
            if let Some(c) = slot.take() {
                c.stop();
            }
        }
    }
    Ok(())
}

impl ReplayHandle {
    fn stop(self) {
        self.cancel.store(true, Ordering::Release);
        // The chat is not generating while a replay runs: everything running is the replay's.
        self.engine.cancel_all();
    }
}
