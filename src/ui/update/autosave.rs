//! Autosave: after every action, each conversation's finished messages are compared with its
//! session and the difference is written (a sent message at once, a reply at its `Done`, with
//! its reply record, whatever the layout: every reply starts as one `Effect::Generate`). Edits
//! and regenerations branch: what followed stays in the session as an earlier version
//! (`session::alternatives`, browsed in `versions`). Renaming and deleting a conversation rename
//! and delete its session; clearing one leaves its session on disk and starts a new one with the
//! next message.

use std::collections::HashMap;

use crate::engine::{DoneStats, EventKind, ModelInfo, Role};
use crate::session::record::{reply_record, ReplyInput};
use crate::session::replay::prompt_for;
use crate::session::{Message as SMsg, ModelRef, PromptMode, Session, SessionFile, SessionKind};
use crate::text::sanitize;
use crate::ui::action::Tag;
use crate::ui::app::App;
use crate::ui::chat::conversation::{ChatEntry, Conversation};
use crate::ui::chat::state::Generation;
use crate::ui::effect::Effect;
use crate::ui::sessions::state::{Sent, SessionOp};

/// What an engine event carries that autosave needs after `update` consumed it.
pub enum Seen {
    Nothing,
    Loaded(Box<ModelInfo>),
    Done(Box<DoneStats>),
}

pub fn seen(kind: &EventKind) -> Seen {
    match kind {
        EventKind::Loaded(i) => Seen::Loaded(Box::new(i.clone())),
        EventKind::Done(d) => Seen::Done(Box::new(d.clone())),
        _ => Seen::Nothing,
    }
}

/// After an engine event: a new model is hashed for reply records (off the UI thread); a
/// finished reply gets its record, written with the message by `sync`.
pub fn engine_event(
    app: &mut App,
    tag: Tag,
    before: Option<Generation>,
    seen: Seen,
    fx: &mut Vec<Effect>,
) {
    match (tag, seen) {
        (Tag::Load, Seen::Loaded(info)) => {
            app.sessions.model_ref = None;
            fx.push(Effect::Session(SessionOp::HashModel(info)));
        }
        (Tag::Gen(g), Seen::Done(d)) => {
            let Some(gen) = before.filter(|b| b.gen == g) else {
                return;
            };
            let Some(sent) = app.sessions.sent.remove(&g) else {
                return;
            };
            let Some(info) = app.model.clone() else {
                return;
            };
            let model = app
                .sessions
                .model_ref
                .clone()
                .unwrap_or_else(|| ModelRef::from_info(&info, None));
            let mode = match sent.prompt {
                crate::engine::Prompt::Chat(_) => PromptMode::Chat,
                crate::engine::Prompt::Raw(_) => PromptMode::Raw,
            };
            // The session holds the conversation up to this reply (synced when it was sent);
            // when the prompt was something else (a changed system prompt), record it exactly.
            let expected = app
                .sessions
                .links
                .get(&sent.conv)
                .map(|f| prompt_for(&f.session.messages, mode));
            let prompt = (expected.as_ref() != Some(&sent.prompt)).then_some(sent.prompt);
            let record = reply_record(ReplyInput {
                model: &model,
                info: &info,
                asked: &app.engine_settings,
                sampling: &sent.sampling,
                mode,
                setup: sent.setup.map(|s| *s),
                prompt,
                done: &d,
            });
            app.sessions.records.insert(gen.conv, (gen.msg, record));
        }
        _ => {}
    }
}

/// Runs after every action: notes what new replies were sent with, then brings every session
/// in line with its conversation.
pub fn after(app: &mut App, fx: &mut Vec<Effect>) {
    // Replies that ended without a `Done` (errors, cancelled conversations) are forgotten.
    let running = app.chat.generation.map(|g| g.gen);
    app.sessions.sent.retain(|g, _| Some(*g) == running);
    for e in fx.iter() {
        if let Effect::Generate {
            gen,
            prompt,
            sampling,
            setup,
        } = e
        {
            if let Some(g) = app.chat.generation.filter(|g| g.gen == *gen) {
                app.sessions.sent.insert(
                    *gen,
                    Sent {
                        conv: g.conv,
                        prompt: prompt.clone(),
                        sampling: sampling.clone(),
                        setup: setup.clone(),
                    },
                );
            }
        }
    }
    // Saves go before a new reply is asked for: the runtime queues them first, so the message
    // is written before the reply's own save can follow.
    let mut saves = Vec::new();
    sync(app, &mut saves);
    // A record not written now belongs to a reply that is not kept (empty or failed).
    app.sessions.records.clear();
    let at = fx
        .iter()
        .position(|e| matches!(e, Effect::Generate { .. }))
        .unwrap_or(fx.len());
    fx.splice(at..at, saves);
}

fn same(s: &SMsg, m: &ChatEntry) -> bool {
    s.role == m.role && (s.content == m.body.text || s.content == sanitize(&m.body.text))
}

/// The title a conversation gives its session: `None` while it is the automatic one.
fn wanted_title(conv: &Conversation) -> Option<String> {
    if !conv.titled {
        return None;
    }
    let mut auto = Conversation::new(0, "", crate::engine::Sampling::default(), "");
    if let Some(first) = conv.messages.iter().find(|m| m.role == Role::User) {
        auto.auto_title(&first.body.text);
    }
    (auto.title != conv.title).then(|| conv.title.clone())
}

pub fn sync(app: &mut App, fx: &mut Vec<Effect>) {
    let (convs, sessions) = (&mut app.chat.convs, &mut app.sessions);
    // Conversations that are gone take their sessions with them.
    let gone: Vec<u64> = sessions
        .links
        .keys()
        .filter(|id| !convs.iter().any(|c| c.id == **id))
        .copied()
        .collect();
    for id in gone {
        if let Some(f) = sessions.links.remove(&id) {
            fx.push(Effect::Session(SessionOp::Delete(f.path)));
        }
        sessions.records.remove(&id);
        sessions.pending.remove(&id);
    }
    for conv in convs.iter() {
        let want = crate::ui::chat::versions::finished(conv);
        let title = wanted_title(conv);
        let Some(file) = sessions.links.get_mut(&conv.id) else {
            if want.is_empty() {
                continue;
            }
            let mut s = Session::new(SessionKind::Chat);
            if !conv.system_prompt.trim().is_empty() {
                s.messages
                    .push(SMsg::new(Role::System, conv.system_prompt.clone()));
            }
            s.title = title;
            let path = sessions.store.path_of(&s.id);
            let mut file = SessionFile::new(path, s);
            let tail = messages(conv.id, &want, &mut sessions.records);
            file.session.messages.extend(tail);
            fx.push(Effect::Session(SessionOp::Save(Box::new(file.clone()))));
            sessions.links.insert(conv.id, file);
            continue;
        };
        let msgs = &file.session.messages;
        let base = msgs.iter().take_while(|m| m.role == Role::System).count();
        let have = &msgs[base..];
        let common = have
            .iter()
            .zip(&want)
            .take_while(|(s, (_, m))| same(s, m))
            .count();
        let tail_same = common == have.len() && common == want.len();
        if tail_same && file.session.title == title {
            continue;
        }
        if want.is_empty() && !have.is_empty() {
            // Cleared: the old session stays as it was (with what a regeneration had taken
            // out); the next message starts a new one.
            if let Some((at, v)) = sessions.pending.remove(&conv.id) {
                file.session.restore_at(at, v);
                fx.push(Effect::Session(SessionOp::Save(Box::new(file.clone()))));
            }
            sessions.links.remove(&conv.id);
            continue;
        }
        file.session.title = title;
        if !tail_same {
            let at = base + common;
            if common < have.len() {
                // Regenerated or edited: what followed waits as an earlier version until its
                // replacement is saved beside it. One taken out later first goes back in its
                // place, so the two become one line of versions.
                if let Some((p, v)) = sessions.pending.remove(&conv.id) {
                    file.session.restore_at(p, v);
                }
                let v = file.session.detach_from(at);
                sessions.pending.insert(conv.id, (at, v));
            }
            let tail = messages(conv.id, &want[common..], &mut sessions.records);
            match sessions.pending.remove(&conv.id) {
                Some((p, v)) if p == at && !tail.is_empty() => file.session.attach_at(at, v, tail),
                other => {
                    if let Some(p) = other {
                        sessions.pending.insert(conv.id, p);
                    }
                    file.session.messages.truncate(at);
                    file.session.messages.extend(tail);
                }
            }
        }
        fx.push(Effect::Session(SessionOp::Save(Box::new(file.clone()))));
    }
    for conv in convs.iter_mut() {
        if let Some(file) = sessions.links.get(&conv.id) {
            crate::ui::chat::versions::mark(conv, &file.session);
        }
    }
}

/// The session messages for `want`, a finished reply with its record.
fn messages(
    conv: u64,
    want: &[(usize, &ChatEntry)],
    records: &mut HashMap<u64, (usize, crate::session::ReplyRecord)>,
) -> Vec<SMsg> {
    let mut out = Vec::new();
    for (i, m) in want {
        let record = match records.get(&conv) {
            Some((at, _)) if at == i && m.role == Role::Assistant => {
                records.remove(&conv).map(|(_, r)| r)
            }
            _ => None,
        };
        out.push(match record {
            Some(r) => SMsg::reply(m.body.text.clone(), r),
            None => SMsg::new(m.role, m.body.text.clone()),
        });
    }
    out
}

/// A conversation holding a saved session (opened from the browser or restored at start), linked
/// to it so that what follows is saved there; returns its index.
pub fn open_conversation(app: &mut App, file: SessionFile) -> usize {
    if let Some(i) = app
        .sessions
        .conv_of(&file.path)
        .and_then(|id| app.conv_index(id))
    {
        return i;
    }
    let i = app.add_conversation();
    let s = &file.session;
    let conv = &mut app.chat.convs[i];
    let base = s
        .messages
        .iter()
        .take_while(|m| m.role == Role::System)
        .count();
    conv.system_prompt = s.messages[..base]
        .iter()
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    for m in &s.messages[base..] {
        conv.messages.push(crate::ui::chat::versions::chat_entry(m));
    }
    // The turns the last reply's context had left out stay marked after a reopen.
    if let Some(r) = s.messages.iter().rev().find_map(|m| m.reply.as_ref()) {
        conv.mark_dropped(r.stats.dropped_messages);
    }
    if let Some(r) = s.messages.iter().rev().find_map(|m| m.reply.as_ref()) {
        // Continue with the settings and layout the last reply was made with.
        conv.sampling = r.sampling.clone();
        conv.completion = r.mode == PromptMode::Raw;
        conv.preset = "custom".into();
    }
    match &s.title {
        Some(t) => {
            conv.title = t.clone();
            conv.titled = true;
        }
        None => {
            if let Some(u) = s.messages.iter().find(|m| m.role == Role::User) {
                conv.auto_title(&u.content);
            }
        }
    }
    let id = conv.id;
    app.sessions.links.insert(id, file);
    i
}
