//! Sessions in the TUI through `update`, with the scripted fake engine of `support`: autosave
//! writes a sent message before its reply starts and the reply with its record at `Done`;
//! edits replace the session's tail; renaming and deleting a conversation reach the store; the
//! browser lists sessions (a broken file with its error), searches, opens one to continue it,
//! deletes after asking and exports. Session effects run with the runtime's own `run_op`.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{Role, StopReason};
use howdah::ui::action::Action;
use howdah::ui::app::Screen;
use howdah::ui::effect::Effect;
use howdah::ui::sessions::state::{SessionEvent, SessionOp};
use session_support::*;

/// Nothing in these tests may touch the user's data folder.
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
    assert_eq!(rec.sampling, h.app.chat.convs[0].sampling);
    assert_eq!(rec.engine.n_ctx, Some(2048));
    assert!(
        rec.prompt.is_none(),
        "the prompt was the conversation itself"
    );
}

#[test]
fn edit_and_regenerate_replace_the_session_tail() {
    let (mut h, store, _d) = harness(100, 30);
    ask_first_and_second(&mut h);
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).messages.len(), 4);
    // Regenerate: the last reply leaves the session until the new one is done.
    h.ctrl('r');
    run_sessions(&mut h, &store);
    assert_eq!(only_session(&store).messages.len(), 3);
    answer(&mut h, &store, "new answer");
    let s = only_session(&store);
    assert_eq!(s.messages[3].content, "new answer");
    // Edit the last question: it and what followed are replaced.
    edit_last_question(&mut h, "second", "better");
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
    exchange(&mut h, &store, "hello there", "hi");
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

#[test]
fn the_browser_lists_sessions_with_a_broken_file_and_searches_them() {
    let (mut h, store, d) = harness(100, 16);
    saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    saved_chat(&store, "Name a prime number", "Seven.", 7);
    let broken = store.dir().join("20260301-120000-beef.json");
    std::fs::write(&broken, b"{\"schema_version\": 1, \"id\": \"x\"").unwrap();
    h.key(KeyCode::F(2), KeyModifiers::NONE);
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
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(h.app.screen, Screen::Chat);
    let conv = h.app.conv();
    assert_eq!(conv.system_prompt, "Be brief.");
    let got: Vec<(Role, String)> = conv
        .messages
        .iter()
        .map(|m| (m.role, m.body.text.clone()))
        .collect();
    assert_eq!(got, texts(&s)[1..].to_vec());
    assert_eq!(conv.title, "How do tides work?");
    // What follows is added to the same file.
    exchange(&mut h, &store, "And the sun?", "It helps.");
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
    let titles: Vec<&str> = h.app.chat.convs.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Chat 1", "newer question", "older question"]);
}

#[test]
fn exporting_writes_the_file_and_says_where() {
    let (mut h, store, d) = harness(100, 30);
    saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.key(KeyCode::F(2), KeyModifiers::NONE);
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

#[test]
fn help_on_the_browser_lists_its_bindings() {
    let (mut h, store, _d) = harness(100, 40);
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('?'), KeyModifiers::NONE);
    let screen = h.screen();
    for want in ["Session browser", "Export as Markdown", "Replay", "Search"] {
        assert!(screen.contains(want), "{want}: {screen}");
    }
    // No internal names unless asked for; then as config.toml spells them.
    assert!(!screen.contains("export_md"), "{screen}");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    let screen = h.screen();
    assert!(screen.contains("export_md = \"e\""), "{screen}");
}

#[test]
fn the_browser_deletes_after_asking_and_closes_the_open_conversation() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    let broken = store.dir().join("20260301-120000-beef.json");
    std::fs::write(&broken, b"").unwrap();
    // Open it as a conversation first.
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert_eq!(h.app.chat.convs.len(), 2);
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(store.path_of(&s.id).is_file(), "no keeps the file");
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(!store.path_of(&s.id).exists());
    assert_eq!(h.app.chat.convs.len(), 1, "its conversation closed with it");
    // The broken file is next; it can be deleted too, after the same question.
    let rows = h.app.sessions.browser.visible().len();
    assert_eq!(rows, 1);
    h.key(KeyCode::Char('d'), KeyModifiers::NONE);
    h.key(KeyCode::Char('y'), KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    assert!(!broken.exists());
}

#[test]
fn a_reply_finished_before_the_model_hash_gets_it_when_it_arrives() {
    let (mut h, store, _d) = harness(100, 30);
    exchange(&mut h, &store, "hi", "hello");
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
