//! Engine events into state: start-up, load progress and errors, streamed tokens and the end of
//! a reply.

use crate::engine::{DoneStats, EventKind, StopReason};
use crate::ui::action::Tag;
use crate::ui::app::{App, EngineState, Level};
use crate::ui::conversation::{MsgState, ReplyStats, TokInfo};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// The effects to run once the first frame is on screen: the engine starts in the background.
pub fn init(app: &App) -> Vec<Effect> {
    let _ = app;
    vec![Effect::StartEngine, super::sessions::init()]
}

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
            crate::ui::input_size::counted(app, h, n);
        }
        Tag::Gen(_) if matches!(kind, EventKind::Threads(_)) => {
            if let EventKind::Threads(c) = kind {
                threads_changed(app, c);
            }
        }
        Tag::Gen(g) => {
            if app.chat.generation.map(|x| x.gen) == Some(g) {
                gen_event(app, kind);
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

fn gen_event(app: &mut App, kind: EventKind) {
    let Some(g) = app.chat.generation else { return };
    let Some(ci) = app.conv_index(g.conv) else {
        app.chat.generation = None;
        return;
    };
    let n_ctx = app.model.as_ref().map(|m| m.n_ctx).unwrap_or(0);
    let conv = &mut app.chat.convs[ci];
    let Some(msg) = conv.messages.get_mut(g.msg) else {
        app.chat.generation = None;
        return;
    };
    match kind {
        EventKind::PromptProgress { done, total } => {
            msg.reading = (done < total).then_some((done, total));
            msg.touch();
        }
        EventKind::Overflow(r) => {
            conv.mark_dropped(r.dropped_messages);
            if let Some(note) = r.note {
                app.notify(Level::Warn, note);
            }
        }
        EventKind::Token(t) => {
            if msg.reading.take().is_some() {
                msg.touch();
            }
            msg.content.push_str(&t.text);
            // token_id -1 is text released at the end (stop-string look-ahead), not a token.
            if t.token_id != -1 {
                msg.tokens.push(TokInfo {
                    piece: t.piece,
                    logprob: t.logprob,
                    top: t.top,
                });
                // The status bar's context gauge follows the reply as it streams.
                conv.context_used = Some(t.context_used);
            }
            msg.touch();
        }
        EventKind::Done(d) => {
            finish(msg, &d);
            let stats = msg.stats;
            conv.context_used = Some(d.context_used);
            conv.mark_dropped(d.dropped_messages);
            app.chat.last_stats = stats;
            app.chat.generation = None;
            app.engine = EngineState::Ready;
            if let Some(why) = &d.template_fallback {
                // Said with every reply it concerns: this conversation is not formatted as
                // the model expects, so its replies may be off.
                app.notify(
                    Level::Warn,
                    crate::text::sanitize(&format!(
                        "chat template failed for this conversation: {why}"
                    )),
                );
            }
            if d.stop == StopReason::ContextFull {
                app.notify(
                    Level::Warn,
                    format!("the context ({n_ctx} tokens) is full: the reply was cut off; clear the conversation or start with a larger -c"),
                );
            }
            if d.dropped_messages > 0 {
                // Said once, when the context first overflows; the transcript marks the rest.
                if !app.chat.convs[ci].overflowed {
                    app.chat.convs[ci].overflowed = true;
                    app.notify(
                        Level::Info,
                        format!(
                            "the conversation outgrew the context: the oldest {} messages are no longer in the model's context (marked in the transcript, kept in the session)",
                            d.dropped_messages
                        ),
                    );
                }
            }
        }
        EventKind::Error { error, .. } => {
            msg.reading = None;
            msg.state = MsgState::Failed(error.to_string());
            msg.touch();
            app.chat.generation = None;
            app.engine = EngineState::Ready;
            app.notify(Level::Error, format!("the reply failed: {error}"));
        }
        _ => {}
    }
}

fn finish(msg: &mut crate::ui::conversation::Message, d: &DoneStats) {
    msg.content = d.final_text(&msg.content);
    msg.state = if d.stop == StopReason::Cancelled {
        MsgState::Stopped
    } else {
        MsgState::Done
    };
    msg.reading = None;
    msg.stats = Some(ReplyStats {
        tokens: d.generated_tokens,
        limit: (d.stop == StopReason::MaxTokens).then_some(d.generated_tokens),
        tps: d.gen_tps,
        ttft_ms: d.ttft_ms,
    });
    msg.touch();
}
