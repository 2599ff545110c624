//! Engine events into state: start-up, load progress and errors, the thread count following
//! the machine's load, token counts of the typed text; a reply's events go to the chat
//! (`chat::generation`).

use crate::engine::EventKind;
use crate::ui::action::Tag;
use crate::ui::app::{App, EngineState, Level};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

pub fn started(app: &mut App, r: Result<(), String>, fx: &mut Vec<Effect>) {
    match r {
        Ok(()) => {
            if let Some(path) = app.startup_model.clone() {
                let name = crate::ui::model_label::of_path(&path);
                app.engine = EngineState::Loading {
                    name,
                    progress: 0.0,
                };
                fx.push(Effect::Load {
                    path,
                    settings: app.engine_settings.clone(),
                });
            }
        }
        Err(e) => {
            let msg = format!("the engine could not start: {e}");
            app.notify(Level::Error, msg.clone());
            app.engine = EngineState::NoModel(msg);
        }
    }
}

pub fn event(app: &mut App, tag: Tag, kind: EventKind, _fx: &mut Vec<Effect>) {
    match tag {
        Tag::Load => load_event(app, kind),
        Tag::Count(h) => {
            let n = match kind {
                EventKind::TokenCounts(v) => v.first().copied(),
                _ => None,
            };
            crate::ui::chat::input_size::counted(app, h, n);
        }
        Tag::Gen(_) if matches!(kind, EventKind::Threads(_)) => {
            if let EventKind::Threads(c) = kind {
                threads_changed(app, c);
            }
        }
        Tag::Gen(g) => {
            if app.chat.generation.map(|x| x.gen) == Some(g) {
                crate::ui::chat::generation::event(app, kind);
            }
        }
    }
}

fn load_event(app: &mut App, kind: EventKind) {
    match kind {
        EventKind::LoadProgress(p) => {
            if let EngineState::Loading { progress, .. } = &mut app.engine {
                *progress = p.clamp(0.0, 1.0);
            }
        }
        EventKind::Loaded(info) => {
            let name = crate::ui::model_label::of(&info);
            let note = if info.ctx_reason.is_empty() {
                format!("loaded {name} ({} tokens of context)", info.n_ctx)
            } else {
                format!(
                    "loaded {name} ({} tokens of context: {})",
                    info.n_ctx, info.ctx_reason
                )
            };
            // At start the status bar says it; a note only for a switch, where it confirms, or
            // when memory capped the context below what the model was trained on.
            let capped = info.context_trained > info.n_ctx && !info.ctx_reason.is_empty();
            let switched = app.model.is_some() || capped;
            let changed: Vec<String> = info.notes.clone();
            let threads_reason = info.threads_reason.clone();
            let format = &info.chat_format;
            let fallback = (format.kind != crate::chat_template::FormatKind::Jinja
                || format.fallback.is_some())
            .then(|| format!("{name}: chat template: {}", format.label()));
            if app.model.as_ref().is_some_and(|m| m.path != info.path) {
                // The speed of another model's last reply says nothing about this one.
                app.chat.last_stats = None;
            }
            app.model = Some(info);
            app.engine = if app.generating() {
                EngineState::Generating
            } else {
                EngineState::Ready
            };
            for c in app.chat.convs.iter_mut() {
                // Token counts of another model say nothing about this one.
                c.context_used = None;
            }
            app.notices.retain(|n| n.level != Level::Error);
            if switched {
                app.notify(Level::Info, note);
            }
            // Clamped settings are always said; a thread count lowered for other programs'
            // load is information.
            for n in changed {
                app.notify(Level::Warn, n);
            }
            if let Some(why) = threads_reason {
                app.notify(Level::Info, format!("threads: {why}"));
            }
            if let Some(text) = fallback {
                app.notify(Level::Warn, crate::text::sanitize(&text));
            }
        }
        EventKind::Error { error, .. } => {
            let (msg, state) = match &app.model {
                Some(m) => (
                    format!(
                        "could not load the model: {error}; still using {}",
                        crate::ui::model_label::of(m)
                    ),
                    EngineState::Ready,
                ),
                None => {
                    let m = format!(
                        "could not load the model: {error}; {} picks another",
                        app.keymap.hint(Cmd::Models)
                    );
                    (m.clone(), EngineState::NoModel(m))
                }
            };
            app.engine = state;
            app.notify(Level::Error, msg);
        }
        _ => {}
    }
}

/// The automatic thread count moved with other programs' load: the model's facts follow (so
/// replies record the count they ran with) and the change is said once.
fn threads_changed(app: &mut App, c: crate::engine::ThreadChoice) {
    if let Some(m) = app.model.as_mut() {
        m.threads = c.threads;
    }
    app.notify(Level::Info, format!("threads: {}", c.reason));
}
