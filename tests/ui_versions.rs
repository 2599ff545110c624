//! Issue 13, bug 11 in the TUI, through `update` with the scripted fake engine: regenerating a
//! reply keeps the earlier ones and editing a message keeps what followed, each browsable with
//! ←/→ on the selected message under a "‹ 2/3 ›" mark (as the llama.cpp web UI does); the
//! versions are saved in the session, come back when it is reopened and stay browsable there.
//! `ui_replay_model` replays such a session on the real model.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::Role;
use howdah::session::SessionFile;
use howdah::ui::action::Action;
use howdah::ui::effect::Effect;
use howdah::ui::sessions::state::{SessionEvent, SessionOp};
use session_support::*;
use support::Harness;

/// Regenerates the last reply, streaming `text` as the new one.
fn regenerate(h: &mut Harness, store: &howdah::session::Store, text: &str) {
    h.ctrl('r');
    answer(h, store, text);
}

fn contents(h: &Harness) -> Vec<String> {
    h.app.chat.convs[h.app.chat.current]
        .messages
        .iter()
        .map(|m| m.body.text.clone())
        .collect()
}

fn joke_with_three_replies() -> (Harness, howdah::session::Store, tempfile::TempDir) {
    let (mut h, store, d) = harness(80, 16);
    exchange(&mut h, &store, "Tell me a joke", "Knock knock.");
    regenerate(&mut h, &store, "Why did the chicken");
    regenerate(&mut h, &store, "A pun.");
    (h, store, d)
}

#[test]
fn regenerated_replies_are_kept_and_browsed_with_left_and_right() {
    let (mut h, store, _d) = joke_with_three_replies();
    assert_eq!(contents(&h), ["Tell me a joke", "A pun."]);
    assert_eq!(h.app.chat.convs[0].messages[1].versions, Some((3, 3)));
    let s = only_session(&store);
    assert_eq!(s.versions_at(1), Some((3, 3)));
    assert_eq!(
        s.messages[1].rejected,
        ["Knock knock.", "Why did the chicken"]
    );

    // tab to the transcript selects the last reply; ← shows the one before.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs[0].selected, Some(1));
    h.effects.clear();
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(contents(&h), ["Tell me a joke", "Why did the chicken"]);
    assert_eq!(h.app.chat.convs[0].messages[1].versions, Some((2, 3)));
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::Session(SessionOp::Save(_)))),
        "the choice is saved: {:?}",
        h.effects
    );
    assert!(
        !h.effects
            .iter()
            .any(|e| matches!(e, Effect::Generate { .. })),
        "browsing generates nothing"
    );
    insta::assert_snapshot!("reply_versions", h.screen());
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(s.messages[1].content, "Why did the chicken");
    assert_eq!(s.versions_at(1), Some((2, 3)));

    // h goes on to the first; at either end a note says so and nothing changes.
    h.key(KeyCode::Char('h'), KeyModifiers::NONE);
    assert_eq!(contents(&h)[1], "Knock knock.");
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(contents(&h)[1], "Knock knock.");
    assert!(
        h.app
            .notices
            .iter()
            .any(|n| n.text.contains("first version (1/3)")),
        "{:?}",
        h.app.notices
    );
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.key(KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(contents(&h)[1], "A pun.");
    assert!(h.screen().contains("‹ 3/3 ›"));

    // Regenerating from an earlier version adds a fourth, the others kept.
    h.key(KeyCode::Left, KeyModifiers::NONE);
    run_sessions(&mut h, &store);
    regenerate(&mut h, &store, "Puns again.");
    let s = only_session(&store);
    assert_eq!(s.versions_at(1), Some((4, 4)));
    assert!(h.screen().contains("‹ 4/4 ›"));
}

#[test]
fn editing_a_message_branches_and_keeps_what_followed() {
    let (mut h, store, _d) = harness(100, 30);
    ask_first_and_second(&mut h);
    edit_last_question(&mut h, "second", "better");
    answer(&mut h, &store, "answer to better");
    let s = only_session(&store);
    assert_eq!(
        texts(&s),
        vec![
            (Role::User, "first".into()),
            (Role::Assistant, "answer to first".into()),
            (Role::User, "better".into()),
            (Role::Assistant, "answer to better".into()),
        ]
    );
    assert_eq!(s.versions_at(2), Some((2, 2)), "the edited question");
    assert_eq!(h.app.chat.convs[0].messages[2].versions, Some((2, 2)));
    assert!(h.screen().contains("You ‹ 2/2 ›"), "{}", h.screen());

    // Select the edited question and go back to the old branch: question and reply return.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs[0].selected, Some(2));
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(
        contents(&h),
        ["first", "answer to first", "second", "answer to second"]
    );
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(s.messages[3].content, "answer to second");
    assert_eq!(s.versions_at(2), Some((1, 2)));
    // ← on a message without versions says how to make one.
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert!(
        h.app
            .notices
            .iter()
            .any(|n| n.text.contains("no other versions")),
        "{:?}",
        h.app.notices
    );
}

#[test]
fn a_reopened_session_keeps_its_versions_and_browses_them() {
    let (h, store, _d) = joke_with_three_replies();
    drop(h);
    let id = store.list().unwrap()[0].id.clone();
    let file = store.open(&id).unwrap();
    // A session file is what it was: the round trip keeps every version.
    assert_eq!(file.session.versions_at(1), Some((3, 3)));
    let (mut h, _store2, _d2) = harness(80, 16);
    h.app.sessions.store = store.clone();
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(SessionFile::new(file.path.clone(), file.session))),
        replay: false,
    }));
    assert_eq!(contents(&h), ["Tell me a joke", "A pun."]);
    assert_eq!(
        h.app.chat.convs[h.app.chat.current].messages[1].versions,
        Some((3, 3))
    );
    assert!(h.screen().contains("‹ 3/3 ›"), "{}", h.screen());
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(contents(&h), ["Tell me a joke", "Why did the chicken"]);
    run_sessions(&mut h, &store);
    let s = only_session(&store);
    assert_eq!(s.messages[1].content, "Why did the chicken");
    assert_eq!(s.versions_at(1), Some((2, 3)));
}

#[test]
fn a_failed_regeneration_loses_no_version() {
    let (mut h, store, _d) = harness(80, 16);
    exchange(&mut h, &store, "q", "kept");
    h.ctrl('r');
    let g = h.last_gen().unwrap();
    h.engine(
        howdah::ui::action::Tag::Gen(g),
        howdah::engine::EventKind::Error {
            seq: None,
            error: howdah::engine::EngineError::Backend("decoding failed".into()),
        },
    );
    run_sessions(&mut h, &store);
    // The next question branches where the failed reply was: "kept" is its other version.
    exchange(&mut h, &store, "again", "new");
    let s = only_session(&store);
    assert_eq!(s.versions_at(1), Some((2, 2)), "{s:?}");
    let others = &s.messages[1].versions.as_ref().unwrap().others;
    assert_eq!(others[0][0].content, "kept");
}
