//! The replay view's keys and the replay worker's reports: starting against the recorded or the
//! current model and sampling, stepping turn by turn or running to the end, cancelling, and
//! loading the chat's model again when the replay is over.

use crossterm::event::KeyEvent;

use super::state::ReplayView;
use super::task::{ReplayCtl, ReplayEvent, ReplayJob, Step};
use crate::session::replay::{ReplayOptions, SamplingFrom};
use crate::session::Session;
use crate::ui::app::{App, EngineState, Level, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::reply::Reply;

/// Shows the replay view of `session`, not started yet.
pub fn open(app: &mut App, session: Session) {
    let id = app.sessions.next_replay;
    app.sessions.next_replay += 1;
    app.sessions.replay = Some(ReplayView::new(id, session));
    app.screen = Screen::Replay;
}

/// Keys on the replay view (no dialog open): its bindings, then quitting, ctrl+c (cancels the
/// replay, as its close key does) and help.
pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    if let Some(cmd) = app.keymap.get(Ctx::Replay, &spec) {
        return command(app, cmd, fx);
    }
    match app.keymap.get(Ctx::Global, &spec) {
        Some(Cmd::Quit) => app.quit = true,
        Some(Cmd::Interrupt) => command(app, Cmd::ReplayClose, fx),
        Some(Cmd::Help) => app.modals.push(Modal::Help {
            ctx: Some(Ctx::Replay),
            scroll: 0,
            names: false,
        }),
        _ => {}
    }
}

/// The mouse wheel: scrolls the view a row per step.
pub fn scroll(app: &mut App, delta: isize) {
    let cmd = if delta < 0 {
        Cmd::ReplayUp
    } else {
        Cmd::ReplayDown
    };
    for _ in 0..delta.unsigned_abs() {
        command(app, cmd, &mut Vec::new());
    }
}

pub fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    let Some(v) = app.sessions.replay.as_mut() else {
        app.screen = Screen::Sessions;
        return;
    };
    match cmd {
        Cmd::ReplayUp | Cmd::ReplayPageUp | Cmd::ReplayDown | Cmd::ReplayPageDown => {
            let (top, max) = v.shown.get();
            let n = if matches!(cmd, Cmd::ReplayUp | Cmd::ReplayDown) {
                1
            } else {
                10
            };
            if matches!(cmd, Cmd::ReplayUp | Cmd::ReplayPageUp) {
                v.scroll = top.saturating_sub(n);
                v.follow = false;
            } else {
                v.scroll = top.saturating_add(n).min(max);
                v.follow = v.scroll >= max;
            }
        }
        Cmd::ReplaySource => {
            if v.started {
                app.notify(
                    Level::Info,
                    "the settings are chosen before the replay starts",
                );
            } else {
                v.current = !v.current;
            }
        }
        Cmd::ReplayNext | Cmd::ReplayAll => {
            let step = if cmd == Cmd::ReplayAll {
                Step::All
            } else {
                Step::Next
            };
            if v.finished {
                app.notify(
                    Level::Info,
                    "the replay is over: esc goes back to the sessions",
                );
            } else if !v.started {
                start(app, step, fx);
            } else if !v.running {
                v.running = true;
                v.step = step == Step::Next;
                fx.push(Effect::Replay(ReplayCtl::Step(step)));
            } else if step == Step::All && v.step {
                // Running one turn: carry on through the rest after it.
                v.step = false;
                fx.push(Effect::Replay(ReplayCtl::Step(Step::All)));
            }
        }
        Cmd::ReplayClose => {
            if v.started && !v.finished {
                if !v.cancelled {
                    v.cancelled = true;
                    fx.push(Effect::Replay(ReplayCtl::Cancel));
                }
            } else {
                app.sessions.replay = None;
                app.screen = Screen::Sessions;
            }
        }
        _ => {}
    }
}

fn start(app: &mut App, step: Step, fx: &mut Vec<Effect>) {
    if app.generating() {
        app.notify(Level::Warn, "a reply is being generated: stop it first");
        return;
    }
    let sampling = app.conv().sampling.clone();
    let Some(v) = app.sessions.replay.as_mut() else {
        return;
    };
    let opts = if v.current {
        let Some(m) = &app.model else {
            app.notify(
                Level::Warn,
                "no model is loaded: replay against the recorded one (s)",
            );
            return;
        };
        ReplayOptions {
            model: Some(m.path.clone()),
            sampling: SamplingFrom::Current(sampling),
            threads: Some(m.threads),
            n_ctx: Some(m.n_ctx),
        }
    } else {
        ReplayOptions {
            model: None,
            sampling: SamplingFrom::Recorded { fallback: sampling },
            threads: None,
            n_ctx: None,
        }
    };
    v.started = true;
    v.running = true;
    v.step = step == Step::Next;
    fx.push(Effect::Replay(ReplayCtl::Start(Box::new(ReplayJob {
        id: v.id,
        session: v.session.clone(),
        opts,
        first: step,
    }))));
    if app.model.is_some() {
        app.engine = EngineState::Generating;
    }
}

pub fn event(app: &mut App, ev: ReplayEvent, fx: &mut Vec<Effect>) {
    let id = match &ev {
        ReplayEvent::Planned { id, .. }
        | ReplayEvent::Token { id, .. }
        | ReplayEvent::Turn { id, .. }
        | ReplayEvent::Finished { id, .. } => *id,
    };
    let Some(v) = app.sessions.replay.as_mut().filter(|v| v.id == id) else {
        // A replay the user left: only its end matters (the chat's model comes back).
        if let ReplayEvent::Finished { .. } = ev {
            reload(app, fx);
        }
        return;
    };
    match ev {
        ReplayEvent::Planned {
            turns, warnings, ..
        } => {
            v.total = Some(turns);
            v.warnings = warnings;
        }
        ReplayEvent::Token { text, .. } => v.reply.push_text(&text),
        ReplayEvent::Turn { turn, .. } => {
            v.reply = Reply::default();
            v.turns.push(*turn);
            let more = v.total.is_some_and(|t| v.turns.len() < t);
            v.running = more && !v.step;
        }
        ReplayEvent::Finished {
            cancelled,
            mut error,
            ..
        } => {
            v.running = false;
            v.finished = true;
            v.reply = Reply::default();
            v.cancelled = cancelled;
            let same = v
                .turns
                .iter()
                .filter(|t| t.outcome == crate::session::replay::Outcome::Identical)
                .count();
            let hint = app.env.keymap.hint(Cmd::ReplaySource);
            if let (Some(e), false, true) = (&mut error, v.current, v.turns.is_empty()) {
                // Nothing ran on the recorded models: the loaded one may still do.
                e.push_str(&format!(" ({hint}: replay on the loaded model instead)"));
            }
            let note = match (&error, cancelled) {
                (Some(e), _) => Some((Level::Error, format!("replay failed: {e}"))),
                (None, true) => Some((Level::Info, "replay cancelled".to_string())),
                (None, false) => Some((
                    Level::Info,
                    format!("replay done: {same} of {} replies identical", v.turns.len()),
                )),
            };
            v.error = error;
            if let Some((level, text)) = note {
                app.notify(level, text);
            }
            reload(app, fx);
        }
    }
}

/// The replay may have loaded another model or other settings: the chat's comes back. (With
/// no chat model, the engine state was left as it was.)
fn reload(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(m) = &app.model {
        app.engine = EngineState::Loading {
            name: m.file_name.clone(),
            progress: 0.0,
        };
        fx.push(Effect::Load {
            path: m.path.clone(),
            settings: app.engine_settings.clone(),
        });
    }
}
