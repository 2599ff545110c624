//! Helpers of the TUI session tests: a harness whose sessions live in a temp folder, running
//! session effects with the runtime's own `run_op`, chat turns typed and answered, session
//! files with fixed dates, and replayed turns built by hand.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{Role, Sampling, StopReason};
use howdah::session::replay::{compare, TurnReplay};
use howdah::session::{diff, Message, ReplyStats, Session, SessionKind, Store};
use howdah::ui::action::Action;
use howdah::ui::effect::Effect;
use howdah::ui::sessions::io::run_op;
use howdah::ui::sessions::state::SessionOp;

use crate::support::Harness;

pub fn data_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        std::env::set_var("HOWDAH_DATA_DIR", d.path());
        std::env::set_var("TZ", "UTC");
        d
    })
    .path()
}

/// A harness whose sessions live in a fresh folder of their own.
pub fn harness(w: u16, h: u16) -> (Harness, Store, tempfile::TempDir) {
    data_dir();
    let dir = tempfile::tempdir_in(data_dir()).unwrap();
    let mut h = Harness::new(w, h);
    let store = Store::new(dir.path().join("sessions"));
    h.app.sessions.store = store.clone();
    (h, store, dir)
}

/// Runs the pending session effects as the runtime would and feeds their results back; returns
/// the operations run, in order.
pub fn run_sessions(h: &mut Harness, store: &Store) -> Vec<SessionOp> {
    let mut ran = Vec::new();
    loop {
        let (ours, rest): (Vec<Effect>, Vec<Effect>) = h
            .effects
            .drain(..)
            .partition(|e| matches!(e, Effect::Session(_)));
        h.effects = rest;
        let ops: Vec<SessionOp> = ours
            .into_iter()
            .filter_map(|e| match e {
                Effect::Session(op) => Some(op),
                _ => None,
            })
            .collect();
        if ops.is_empty() {
            return ran;
        }
        for op in ops {
            ran.push(op.clone());
            if let Some(ev) = run_op(store, op) {
                h.act(Action::Session(ev));
            }
        }
    }
}

/// Sends `question`, streams `reply` as its whole answer and runs the session effects.
pub fn exchange(h: &mut Harness, store: &Store, question: &str, reply: &str) {
    h.send(question);
    answer(h, store, reply);
}

/// Streams `reply` as the whole answer of the last generation asked for (a send, a regenerate,
/// an edit) and runs the session effects.
pub fn answer(h: &mut Harness, store: &Store, reply: &str) {
    let g = h.last_gen().expect("a reply was asked for");
    h.stream(g, &[(reply, 0.9)]);
    h.done(g, StopReason::Eos);
    run_sessions(h, store);
}

/// Asks "first" then "second", each answered "answer to <question>" (session effects not run).
pub fn ask_first_and_second(h: &mut Harness) {
    for q in ["first", "second"] {
        let g = h.send(q);
        h.stream(g, &[("answer to ", 0.9), (q, 0.9)]);
        h.done(g, StopReason::Eos);
    }
}

/// Edits the last question (ctrl+e), replacing its text `old` with `new`, and sends it.
pub fn edit_last_question(h: &mut Harness, old: &str, new: &str) {
    h.ctrl('e');
    for _ in 0..old.len() {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.type_str(new);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
}

pub fn only_session(store: &Store) -> Session {
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    store.open(&list[0].id).unwrap().session
}

pub fn texts(s: &Session) -> Vec<(Role, String)> {
    s.messages
        .iter()
        .map(|m| (m.role, m.content.clone()))
        .collect()
}

pub fn saved_chat(store: &Store, user: &str, reply: &str, minute: u32) -> Session {
    let mut s = Session::new(SessionKind::Chat);
    let at = chrono::DateTime::parse_from_rfc3339(&format!("2026-03-14T09:{minute:02}:00Z"))
        .unwrap()
        .with_timezone(&chrono::Utc);
    s.id = format!("20260314-09{minute:02}00-abcd");
    s.created_at = at;
    s.updated_at = at;
    s.messages.push(Message::new(Role::System, "Be brief."));
    s.messages.push(Message::new(Role::User, user));
    let mut m = Message::new(Role::Assistant, reply);
    m.reply = None;
    s.messages.push(m);
    s.model_hint = Some("SmolLM2-135M-Instruct.Q4_1.gguf".into());
    std::fs::create_dir_all(store.dir()).unwrap();
    howdah::session::write_atomic(&store.path_of(&s.id), &howdah::session::encode(&s)).unwrap();
    s
}

pub fn turn(n: usize, user: &str, recorded: &str, replayed: &str, pieces: &[usize]) -> TurnReplay {
    TurnReplay {
        turn: n,
        reply_index: n * 2,
        user: user.into(),
        recorded: recorded.into(),
        replayed: replayed.into(),
        model: "SmolLM2-135M-Instruct.Q4_1.gguf".into(),
        sampling: Sampling::greedy(),
        stats: ReplyStats {
            stop: StopReason::Eos,
            prompt_tokens: 20,
            prompt_tokens_decoded: 20,
            generated_tokens: pieces.len() as u32,
            ttft_ms: 10.0,
            prompt_tps: 100.0,
            gen_tps: 50.0,
            mean_logprob: -0.3,
            dropped_messages: 0,
            context_used: 40,
        },
        outcome: compare(recorded, replayed, pieces),
        device_note: None,
        diff: diff::word_diff(recorded, replayed),
    }
}
