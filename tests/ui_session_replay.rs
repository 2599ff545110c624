//! The replay view through `update`: the word diff beside the recording (snapshot and colours),
//! recorded or current settings, cancelling, and rendering the new screens at any size. The
//! replay worker is played by hand-made events; `ui_replay_model` runs the real one.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::ui::action::Action;
use howdah::ui::app::Screen;
use howdah::ui::effect::Effect;
use howdah::ui::replay::task::{ReplayCtl, ReplayEvent};
use howdah::ui::sessions::state::SessionEvent;
use session_support::*;
use std::path::PathBuf;

#[test]
fn the_replay_view_shows_each_reply_beside_the_recording_with_a_diff() {
    let (mut h, store, _d) = harness(100, 24);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile::new(
            store.path_of(&s.id),
            s,
        ))),
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
fn esc_cancels_a_running_replay_and_then_goes_back() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.app.screen = Screen::Sessions;
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile::new(
            store.path_of(&s.id),
            s,
        ))),
        replay: true,
    }));
    h.key(KeyCode::Char('n'), KeyModifiers::NONE);
    let id = h.app.sessions.replay.as_ref().unwrap().id;
    h.act(Action::Replay(ReplayEvent::Token {
        id,
        text: "The mo".into(),
    }));
    let screen = h.screen();
    assert!(
        screen.contains("│ The mo"),
        "the reply streams in the view: {screen}"
    );
    assert!(
        screen.contains("The moon pulls the sea."),
        "beside the recording: {screen}"
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
    h.key(KeyCode::F(2), KeyModifiers::NONE);
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
        file: Ok(Box::new(howdah::session::SessionFile::new(
            store.path_of(&s.id),
            s,
        ))),
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
fn replay_against_the_current_model_and_sampling() {
    let (mut h, store, _d) = harness(100, 30);
    let s = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    h.act(Action::Session(SessionEvent::Opened {
        file: Ok(Box::new(howdah::session::SessionFile::new(
            store.path_of(&s.id),
            s,
        ))),
        replay: true,
    }));
    h.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(h.screen().contains("against current model (smol)"));
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
        howdah::session::replay::SamplingFrom::Current(h.app.chat.convs[0].sampling.clone())
    );
    assert_eq!(job.first, howdah::ui::replay::task::Step::Next);
    // Once started, the settings stay.
    h.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(h.app.sessions.replay.as_ref().unwrap().current);
}
