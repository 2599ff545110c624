//! A reply's engine events, into its message: the prompt being read, each token (with its
//! probabilities for the token view), the context overflowing, and the end (figures, stop
//! reason, notes) or the failure.

use super::conversation::{ChatEntry, ReplyFigures};
use crate::engine::{DoneStats, EventKind, StopReason};
use crate::ui::app::{App, EngineState, Level};

/// An event of the reply being generated (`app.chat.generation`).
pub fn event(app: &mut App, kind: EventKind) {
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
        EventKind::PromptProgress { done, total } if msg.body.progress(done, total) => {
            msg.touch();
        }
        EventKind::Overflow(r) => {
            conv.mark_dropped(r.dropped_messages);
            if let Some(note) = r.note {
                app.notify(Level::Warn, note);
            }
        }
        EventKind::Token(t) => {
            // The status bar's context gauge follows the reply as it streams (text released
            // at the end, token_id -1, fills no cell).
            if t.token_id != -1 {
                conv.context_used = Some(t.context_used);
            }
            msg.body.token(t);
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
            msg.body.fail(&error.to_string());
            msg.touch();
            app.chat.generation = None;
            app.engine = EngineState::Ready;
            app.notify(Level::Error, format!("the reply failed: {error}"));
        }
        _ => {}
    }
}

fn finish(msg: &mut ChatEntry, d: &DoneStats) {
    msg.body.finish(d);
    msg.stats = Some(ReplyFigures {
        tokens: d.generated_tokens,
        limit: (d.stop == StopReason::MaxTokens).then_some(d.generated_tokens),
        tps: d.gen_tps,
        ttft_ms: d.ttft_ms,
    });
    msg.touch();
}
