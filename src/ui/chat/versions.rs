//! Versions of a conversation in the chat (bug 11): a regenerated reply or an edited message
//! keeps what was there before as an earlier version, browsed with ←/→ on the selected message
//! ("‹ 2/3 ›" in its header), as the llama.cpp web UI does. The versions live in the linked
//! session (`session::alternatives`); the conversation shows its selected line, and autosave
//! (`autosave::sync`) marks each message with where it stands among them.

use crate::engine::{Role, StopReason};
use crate::session::{Message as SMsg, Session};
use crate::ui::app::{App, Level};
use crate::ui::chat::conversation::{ChatEntry, Conversation, ReplyFigures};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;
use crate::ui::render::transcript;
use crate::ui::reply::ReplyState;
use crate::ui::sessions::state::SessionOp;

/// A saved message as the conversation shows it, with its reply figures.
pub fn chat_entry(m: &SMsg) -> ChatEntry {
    let mut msg = ChatEntry::new(m.role, m.content.clone());
    if let Some(r) = &m.reply {
        msg.stats = Some(ReplyFigures {
            tokens: r.stats.generated_tokens,
            limit: (r.stats.stop == StopReason::MaxTokens).then_some(r.sampling.max_tokens),
            tps: r.stats.gen_tps,
            ttft_ms: r.stats.ttft_ms,
        });
    }
    msg
}

/// The messages of a conversation that belong in its session: everything up to a reply still
/// streaming, less failed or empty replies; with their indexes in the conversation.
pub fn finished(conv: &Conversation) -> Vec<(usize, &ChatEntry)> {
    let mut out = Vec::new();
    for (i, m) in conv.messages.iter().enumerate() {
        match (&m.role, &m.body.state) {
            (_, ReplyState::Streaming) => break,
            (Role::Assistant, ReplyState::Failed(_)) => {}
            (Role::Assistant, _) if m.body.text.is_empty() => {}
            _ => out.push((i, m)),
        }
    }
    out
}

/// The session index of each message of `conv` that is saved (autosave's `finished`), as
/// `(conversation index, session index)`.
fn saved_indexes(conv: &Conversation, session: &Session) -> Vec<(usize, usize)> {
    let base = session
        .messages
        .iter()
        .take_while(|m| m.role == Role::System)
        .count();
    finished(conv)
        .iter()
        .enumerate()
        .map(|(k, (i, _))| (*i, base + k))
        .collect()
}

/// Sets each message's "selected of total" from the session; a change redraws the message.
pub fn mark(conv: &mut Conversation, session: &Session) {
    for (i, s) in saved_indexes(conv, session) {
        let v = session.versions_at(s);
        let m = &mut conv.messages[i];
        if m.versions != v {
            m.versions = v;
            m.touch();
        }
    }
}

/// Shows the previous (`step` < 0) or next version of the selected message: the conversation
/// from that message on becomes the chosen version, and the session selects it too.
pub fn browse(app: &mut App, step: isize, fx: &mut Vec<Effect>) {
    let conv = app.conv();
    let Some(i) = conv.selected.filter(|i| *i < conv.messages.len()) else {
        app.notify(Level::Info, "select a message (↑/↓) to see its versions");
        return;
    };
    if app.chat.generation.is_some_and(|g| g.conv == conv.id) {
        app.notify(
            Level::Warn,
            format!("stop the reply first ({})", app.keymap.hint(Cmd::Stop)),
        );
        return;
    }
    let id = conv.id;
    let Some(file) = app.sessions.links.get_mut(&id) else {
        app.notify(Level::Info, NONE);
        return;
    };
    // What a failed regeneration took out goes back first: the session is then the line the
    // versions hang on (autosave takes the shown failure's place out again if it stays).
    if let Some((p, v)) = app.sessions.pending.remove(&id) {
        file.session.restore_at(p, v);
    }
    let Some(at) = saved_indexes(&app.chat.convs[app.chat.current], &file.session)
        .into_iter()
        .find(|(c, _)| *c == i)
        .map(|(_, s)| s)
    else {
        app.notify(Level::Info, NONE);
        return;
    };
    let Some((shown, total)) = file.session.versions_at(at) else {
        app.notify(Level::Info, NONE);
        return;
    };
    if !file.session.select_version(at, step) {
        let end = if step < 0 { "first" } else { "last" };
        app.notify(
            Level::Info,
            format!("this is the {end} version ({shown}/{total})"),
        );
        return;
    }
    let tail: Vec<ChatEntry> = file.session.messages[at..].iter().map(chat_entry).collect();
    fx.push(Effect::Session(SessionOp::Save(Box::new(file.clone()))));
    let conv = app.conv_mut();
    conv.messages.truncate(i);
    conv.messages.extend(tail);
    conv.selected = Some(i);
    conv.token_cursor = 0;
    // The context figure belonged to the line shown before.
    conv.context_used = None;
    transcript::reveal(app, i);
}

const NONE: &str = "this message has no other versions: regenerating a reply or editing a message keeps the earlier one as a version";
