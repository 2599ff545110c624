//! Sessions in the TUI through `update`, with the scripted fake engine of `support`: autosave
//! writes a sent message before its reply starts and the reply with its record at `Done`;
//! edits replace the session's tail; renaming and deleting a conversation reach the store; the
//! browser lists sessions (a broken file with its error) and opens one to continue it; the
//! replay view shows a word diff. Session effects are run with the runtime's own `run_op`.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{Role, Sampling, StopReason};
use howdah::session::replay::{compare, TurnReplay};
use howdah::session::{diff, Message, ReplyStats, Session, SessionKind, Store};
use howdah::ui::action::Action;
use howdah::ui::app::Screen;
use howdah::ui::effect::Effect;
use howdah::ui::replay_task::{ReplayCtl, ReplayEvent};
use howdah::ui::session_io::run_op;
use howdah::ui::sessions::{SessionEvent, SessionOp};
use support::Harness;

/// Nothing in these tests may touch the user's data folder.
fn data_dir() -> &'static Path {
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
fn harness(w: u16, h: u16) -> (Harness, Store, tempfile::TempDir) {
    data_dir();
    let dir = tempfile::tempdir_in(data_dir()).unwrap();
    let mut h = Harness::new(w, h);
    let store = Store::new(dir.path().join("sessions"));
    h.app.sessions.store = store.clone();
    (h, store, dir)
}

/// Runs the pending session effects as the runtime would and feeds their results back; returns
/// the operations run, in order.
fn run_sessions(h: &mut Harness, store: &Store) -> Vec<SessionOp> {
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

fn only_session(store: &Store) -> Session {
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    store.open(&list[0].id).unwrap().session
}

fn texts(s: &Session) -> Vec<(Role, String)> {
    s.messages
        .iter()
        .map(|m| (m.role, m.content.clone()))
        .collect()
}

#[test]
fn a_sent_message_is_saved_before_the_reply_starts_and_the_reply_at_done() {
    let (mut h, store, _d) = harness(100, 30);
    let g = h.send("What is Rust?");
    let save = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Session(SessionOp::Save(_))))
        .expect("sending saves the session");
    let generate = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Generate { .. }))
        .unwrap();
    assert!(
        save < generate,
        "the save is asked for before the reply: {:?}",
        h.effects
    );
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(texts(&s), vec![(Role::User, "What is Rust?".into())]);

    h.stream(g, &[("A systems", 0.9), (" language.", 0.8)]);
    assert!(
        !h.effects.iter().any(|e| matches!(e, Effect::Session(_))),
        "streaming tokens are not saved one by one"
    );
    h.done(g, StopReason::Eos);
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(
        texts(&s),
        vec![
            (Role::User, "What is Rust?".into()),
            (Role::Assistant, "A systems language.".into())
        ]
    );
    let rec = s.messages[1]
        .reply
        .as_deref()
        .expect("the reply has its record");
    assert_eq!(rec.model.file_name, "smol.gguf");
    assert_eq!(rec.stats.generated_tokens, 42);
    assert_eq!(rec.stats.stop, StopReason::Eos);
    assert_eq!(rec.sampling, h.app.convs[0].sampling);
    assert_eq!(rec.engine.n_ctx, Some(2048));
    assert!(
        rec.prompt.is_none(),
        "the prompt was the conversation itself"
    );
}

#[test]
fn edit_and_regenerate_replace_the_session_tail() {
    let (mut h, store, _d) = harness(100, 30);
    for q in ["first", "second"] {
        let g = h.send(q);
        h.stream(g, &[("answer to ", 0.9), (q, 0.9)]);
        h.done(g, StopReason::Eos);
    }
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).messages.len(), 4);
    // Regenerate: the last reply leaves the session until the new one is done.
    h.ctrl('r');
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).messages.len(), 3);
    let g = h.last_gen().unwrap();
    h.stream(g, &[("new answer", 0.9)]);
    h.done(g, StopReason::Eos);
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(s.messages[3].content, "new answer");
    // Edit the last question: it and what followed are replaced.
    h.ctrl('e');
    for _ in 0.."second".len() {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.type_str("better");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(
        texts(&s),
        vec![
            (Role::User, "first".into()),
            (Role::Assistant, "answer to first".into()),
            (Role::User, "better".into())
        ]
    );
}

#[test]
fn renaming_and_deleting_a_conversation_reach_the_store() {
    let (mut h, store, _d) = harness(100, 30);
    let g = h.send("hello there");
    h.stream(g, &[("hi", 0.9)]);
    h.done(g, StopReason::Eos);
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).title, None);
    // The conversation list: r renames.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Char('r'), KeyModifiers::NONE);
    for _ in 0.."hello there".len() {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.type_str("Greetings");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).title.as_deref(), Some("Greetings"));
    // d asks first; y deletes the conversation and its file.
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(
        store.list().unwrap().len(),
        1,
        "nothing goes before the answer"
    );
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    let ran = run_sessions(&mut h, &store);
    assert!(ran.iter().any(|op| matches!(op, SessionOp::Delete(_))));
    assert!(store.list().unwrap().is_empty());
}

fn saved_chat(store: &Store, user: &str, reply: &str, minute: u32) -> Session {
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

#[test]
fn the_browser_lists_sessions_with_a_broken_file_and_searches_them() {
    let (mut h, store, d) = harness(100, 16);
    saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    saved_chat(&store, "Name a prime number", "Seven.", 7);
    let broken = store.dir().join("20260301-120000-beef.json");
    std::fs::write(&broken, b"{\"schema_version\": 1, \"id\": \"x\"").unwrap();
    h.ctrl('g');
    assert_eq!(h.app.screen, Screen::Sessions);
    run_sessions(&mut h, &store);
    let screen = h.screen().replace(&d.path().display().to_string(), "$DATA");
    insta::assert_snapshot!("session_browser", screen);
    assert_eq!(
        std::fs::read(&broken).unwrap(),
        b"{\"schema_version\": 1, \"id\": \"x\"",
        "a broken file is left untouched"
    );
    // Search by text inside the messages.
    h.key(KeyCode::Char('/'), KeyModifiers::NONE);
    h.type_str("moon");
    run_sessions(&mut h, &store);
    let shown: Vec<String> = h
        .app
        .sessions
        .browser
        .visible()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(shown, ["20260314-090500-abcd"]);
}

#[test]
fn opening_a_session_restores_its_messages_and_continues_it() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.ctrl('g');
    run_sessions(&mut h, &store);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(h.app.screen, Screen::Chat);
    let conv = h.app.conv();
    assert_eq!(conv.system_prompt, "Be brief.");
    let got: Vec<(Role, String)> = conv
        .messages
        .iter()
        .map(|m| (m.role, m.content.clone()))
        .collect();
    assert_eq!(got, texts(&s)[1..].to_vec());
    assert_eq!(conv.title, "How do tides work?");
    // What follows is added to the same file.
    let g = h.send("And the sun?");
    h.stream(g, &[("It helps.", 0.9)]);
    h.done(g, StopReason::Eos);
    run_sessions(&mut h, &store);
    let again = only_session(&store);
    assert_eq!(again.id, s.id);
    assert_eq!(again.messages.len(), 5);
    assert_eq!(again.messages[4].content, "It helps.");
}

#[test]
fn recent_chats_come_back_at_start() {
    let (mut h, store, _d) = harness(100, 30);
    saved_chat(&store, "older question", "a", 1);
    saved_chat(&store, "newer question", "b", 2);
    h.effects
        .push(howdah::ui::update::init(&h.app).pop().unwrap());
    run_sessions(&mut h, &store);
    let titles: Vec<&str> = h.app.convs.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Chat 1", "newer question", "older question"]);
}

#[test]
fn exporting_writes_the_file_and_says_where() {
    let (mut h, store, d) = harness(100, 30);
    saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.ctrl('g');
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('e'), KeyModifiers::NONE);
    // The suggested file is in the data folder; type another.
    h.ctrl('u');
    let dest = d.path().join("out").join("tides.md");
    for _ in 0..300 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.type_str(&dest.display().to_string());
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    let md = std::fs::read_to_string(&dest).unwrap();
    assert!(md.contains("The moon pulls the sea."), "{md}");
    let note = &h.app.notices.last().unwrap().text;
    assert!(note.contains(&dest.display().to_string()), "{note}");
}

fn turn(n: usize, user: &str, recorded: &str, replayed: &str, pieces: &[usize]) -> TurnReplay {
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
        diff: diff::word_diff(recorded, replayed),
    }
}

#[test]
fn the_replay_view_shows_each_reply_beside_the_recording_with_a_diff() {
    let (mut h, store, _d) = harness(100, 24);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile {
            path: store.path_of(&s.id),
            session: s,
        })),
        replay: true,
    }));
    assert_eq!(h.app.screen, Screen::Replay);
    h.effects.clear();
    h.key(KeyCode::Char('a'), KeyModifiers::NONE);
    let id = match h.effects.iter().find_map(|e| match e {
        Effect::Replay(ReplayCtl::Start(job)) => Some(job.id),
        _ => None,
    }) {
        Some(id) => id,
        None => panic!("a starts the replay: {:?}", h.effects),
    };
    for ev in [
        ReplayEvent::Planned {
            id,
            turns: 2,
            warnings: vec![],
        },
        ReplayEvent::Turn {
            id,
            turn: Box::new(turn(
                1,
                "How do tides work?",
                "The moon pulls the sea.",
                "The moon pulls the sea.",
                &[3, 5, 6, 4, 5],
            )),
        },
        ReplayEvent::Turn {
            id,
            turn: Box::new(turn(
                2,
                "And the sun?",
                "The sun helps a little.",
                "The sun pulls too, less.",
                &[3, 4, 6, 5, 6],
            )),
        },
        ReplayEvent::Finished {
            id,
            cancelled: false,
            error: None,
        },
    ] {
        h.act(Action::Replay(ev));
    }
    assert!(
        h.effects.iter().any(|e| matches!(e, Effect::Load { .. })),
        "the chat's model is loaded again after a replay"
    );
    insta::assert_snapshot!("replay_view", h.screen());
    // Colours: the recorded side marks what the replay lost, the replayed side what it added.
    let th = h.app.theme.clone();
    let buf = h.term.backend().buffer().clone();
    let style_of = |word: &str, right: bool| {
        let (w, hgt) = (buf.area.width, buf.area.height);
        for y in 0..hgt {
            let row: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            let half = row.find('│').unwrap_or(0);
            let found = if right {
                row[half..].find(word).map(|i| i + half)
            } else {
                row[..half].find(word)
            };
            if let Some(byte) = found {
                let col = row[..byte].chars().count() as u16;
                return buf[(col, y)].style();
            }
        }
        panic!("{word} not on screen");
    };
    assert_eq!(style_of("helps", false).fg, Some(th.error));
    assert_eq!(style_of("pulls too", true).fg, Some(th.success));
    assert_eq!(style_of("The sun", true).fg, Some(th.fg));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Sessions);
}

#[test]
fn help_on_the_browser_lists_its_bindings() {
    let (mut h, store, _d) = harness(100, 40);
    h.ctrl('g');
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('?'), KeyModifiers::NONE);
    let screen = h.screen();
    for want in ["Session browser", "export_md", "replay", "search"] {
        assert!(screen.contains(want), "{want}: {screen}");
    }
}

#[test]
fn the_browser_deletes_after_asking_and_closes_the_open_conversation() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    let broken = store.dir().join("20260301-120000-beef.json");
    std::fs::write(&broken, b"").unwrap();
    // Open it as a conversation first.
    h.ctrl('g');
    run_sessions(&mut h, &store);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(h.app.convs.len(), 2);
    h.ctrl('g');
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(store.path_of(&s.id).is_file(), "no keeps the file");
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(!store.path_of(&s.id).exists());
    assert_eq!(h.app.convs.len(), 1, "its conversation closed with it");
    // The broken file is next; it can be deleted too, after the same question.
    let rows = h.app.sessions.browser.visible().len();
    assert_eq!(rows, 1);
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(!broken.exists());
}

#[test]
fn esc_cancels_a_running_replay_and_then_goes_back() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.app.screen = Screen::Sessions;
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile {
            path: store.path_of(&s.id),
            session: s,
        })),
        replay: true,
    }));
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    let id = h.app.sessions.replay.as_ref().unwrap().id;
    h.act(Action::Replay(ReplayEvent::Token {
        id,
        text: "The mo".into(),
    }));
    assert!(
        h.screen().contains("The mo"),
        "the reply streams in the view"
    );
    h.effects.clear();
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Replay(ReplayCtl::Cancel))));
    assert_eq!(
        h.app.screen,
        Screen::Replay,
        "the view waits for the worker"
    );
    h.act(Action::Replay(ReplayEvent::Finished {
        id,
        cancelled: true,
        error: None,
    }));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Sessions);
}

#[test]
fn the_new_screens_render_at_any_size() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    std::fs::write(store.dir().join("20260301-120000-beef.json"), b"{").unwrap();
    h.ctrl('g');
    run_sessions(&mut h, &store);
    let mut sizes = vec![];
    for w in [1u16, 2, 7, 19, 40, 61] {
        for hgt in [1u16, 2, 5, 9, 14] {
            sizes.push((w, hgt));
        }
    }
    for &(w, hgt) in &sizes {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, hgt)).unwrap();
        t.draw(|f| howdah::ui::view::render(&h.app, f)).unwrap();
    }
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile {
            path: store.path_of(&s.id),
            session: s,
        })),
        replay: true,
    }));
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    let id = h.app.sessions.replay.as_ref().unwrap().id;
    h.act(Action::Replay(ReplayEvent::Turn {
        id,
        turn: Box::new(turn(1, "q\nmore", "a\nb c", "a\nb d e", &[1, 2, 2, 2])),
    }));
    for &(w, hgt) in &sizes {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, hgt)).unwrap();
        t.draw(|f| howdah::ui::view::render(&h.app, f)).unwrap();
    }
}

#[test]
fn a_reply_finished_before_the_model_hash_gets_it_when_it_arrives() {
    let (mut h, store, _d) = harness(100, 30);
    let g = h.send("hi");
    h.stream(g, &[("hello", 0.9)]);
    h.done(g, StopReason::Eos);
    run_sessions(&mut h, &store);
    assert_eq!(
        only_session(&store).messages[1]
            .reply
            .as_ref()
            .unwrap()
            .model
            .sha256,
        None
    );
    let info = h.app.model.clone().unwrap();
    let m = howdah::session::ModelRef::from_info(&info, Some("ab".repeat(32)));
    h.act(Action::Session(SessionEvent::ModelRef(Box::new(m))));
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(
        s.messages[1]
            .reply
            .as_ref()
            .unwrap()
            .model
            .sha256
            .as_deref(),
        Some("ab".repeat(32).as_str())
    );
}

#[test]
fn replay_against_the_current_model_and_sampling() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile {
            path: store.path_of(&s.id),
            session: s,
        })),
        replay: true,
    }));
    h.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(h.screen().contains("against current model (smol.gguf)"));
    h.effects.clear();
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    let job = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Replay(ReplayCtl::Start(job)) => Some(job.clone()),
            _ => None,
        })
        .expect("n starts the replay");
    assert_eq!(job.opts.model, Some(PathBuf::from("/models/smol.gguf")));
    assert_eq!(
        job.opts.sampling,
        howdah::session::replay::SamplingFrom::Current(h.app.convs[0].sampling.clone())
    );
    assert_eq!(job.first, howdah::ui::replay_task::Step::Next);
    // Once started, the settings stay.
    h.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(h.app.sessions.replay.as_ref().unwrap().current);
}
