//! The model picker's "pull from Hugging Face…" row: asking, progress in the picker and the
//! status bar while the chat stays usable, the pulled model offered when done, stopping a
//! download; and the UI's download thread against the local hub (tests/hub_support).

mod common;
mod hub_support;
mod support;

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::model::discover::Found;
use howdah::ui::action::Action;
use howdah::ui::app::Modal;
use howdah::ui::effect::Effect;
use howdah::ui::pull_task::{control, PullCtl, PullEvent};
use hub_support::{FakeHub, HubFile, Source};
use support::{info, Harness};

fn key(h: &mut Harness, code: KeyCode) {
    h.key(code, KeyModifiers::NONE);
}

fn smol_found() -> Found {
    Found {
        path: PathBuf::from("/models/smol.gguf"),
        info: Ok(info("SmolLM2 135M Instruct", "smol.gguf", 0)),
    }
}

#[test]
fn the_picker_pulls_in_the_background_and_offers_the_new_model() {
    let mut h = Harness::new(120, 30);
    h.ctrl('o');
    h.act(Action::ModelsFound(vec![smol_found()]));
    key(&mut h, KeyCode::Down);
    assert!(
        h.screen().contains("› + pull from Hugging Face…"),
        "{}",
        h.screen()
    );
    key(&mut h, KeyCode::Enter);
    assert!(h.screen().contains("OWNER/NAME[:QUANT]"));
    // A typo is caught in the dialog, before any download.
    h.type_str("not a repo");
    h.effects.clear();
    key(&mut h, KeyCode::Enter);
    assert!(h.effects.is_empty(), "{:?}", h.effects);
    assert!(matches!(
        h.app.modals.last(),
        Some(Modal::Ask { error: Some(_), .. })
    ));
    for _ in 0.."not a repo".len() {
        key(&mut h, KeyCode::Backspace);
    }
    h.type_str("test-org/Smol-GGUF:Q4_1");
    key(&mut h, KeyCode::Enter);
    assert_eq!(
        h.effects,
        [Effect::Pull(PullCtl::Start {
            spec: "test-org/Smol-GGUF:Q4_1".into()
        })]
    );
    h.act(Action::Pull(PullEvent::Progress {
        file: "Smol-Q4_1.gguf".into(),
        done: 49_000_000,
        total: 98_000_000,
    }));
    let screen = h.screen();
    assert!(
        screen.contains("pulling test-org/Smol-GGUF:Q4_1"),
        "{screen}"
    );
    assert!(
        screen.contains("50%") && screen.contains("Smol-Q4_1.gguf"),
        "{screen}"
    );
    // The picker with a download in it draws at any size.
    for (w, hh) in [(1, 1), (20, 6), (45, 12)] {
        h.term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, hh)).unwrap();
        h.screen();
    }
    h.term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    // The chat goes on meanwhile, the status bar showing the download.
    key(&mut h, KeyCode::Esc);
    assert!(h.screen().contains("pulling ▕"), "{}", h.screen());
    let g = h.send("still here?");
    h.stream(g, &[("Yes.", 0.9)]);
    h.done(g, howdah::engine::StopReason::Eos);
    // Done: a notice, and the picker selects the new model.
    let pulled = PathBuf::from("/hf/models--test-org--Smol-GGUF/snapshots/c/Smol-Q4_1.gguf");
    h.act(Action::Pull(PullEvent::Done(Ok(pulled.clone()))));
    assert!(
        h.screen().contains("pulled test-org/Smol-GGUF:Q4_1"),
        "{}",
        h.screen()
    );
    h.ctrl('o');
    let mut new = smol_found();
    new.path = pulled.clone();
    h.act(Action::ModelsFound(vec![smol_found(), new]));
    h.effects.clear();
    key(&mut h, KeyCode::Enter);
    assert!(
        matches!(&h.effects[..], [Effect::Load { path, .. }] if path == &pulled),
        "{:?}",
        h.effects
    );
}

#[test]
fn a_running_pull_can_be_stopped_and_failures_are_shown() {
    let mut h = Harness::new(120, 30);
    h.ctrl('o');
    h.act(Action::ModelsFound(vec![]));
    key(&mut h, KeyCode::Enter);
    h.type_str("o/m");
    key(&mut h, KeyCode::Enter);
    h.effects.clear();
    key(&mut h, KeyCode::Enter);
    assert!(h.screen().contains("Stop pulling o/m?"), "{}", h.screen());
    key(&mut h, KeyCode::Char('y'));
    assert_eq!(h.effects, [Effect::Pull(PullCtl::Cancel)]);
    assert!(h.app.pull.running.is_none());
    // A late event of the stopped download changes nothing.
    h.act(Action::Pull(PullEvent::Done(Err("interrupted".into()))));
    assert!(h.app.pull.error.is_none());
    key(&mut h, KeyCode::Enter);
    h.type_str("o/m");
    key(&mut h, KeyCode::Enter);
    h.act(Action::Pull(PullEvent::Done(Err(
        "'o/m' is gated or private and the hub refused access (401)".into(),
    ))));
    assert!(
        h.screen().contains("last pull failed: 'o/m' is gated"),
        "{}",
        h.screen()
    );
}

/// The UI's download thread, for real, against the local hub: done with the file in place;
/// stopped part-way with a partial file left.
#[test]
fn the_download_thread_reports_progress_and_stops_when_asked() {
    let hub = FakeHub::start();
    let smol = Source::file(common::smollm2());
    hub.add(
        "test-org/Smol-GGUF",
        vec![HubFile::lfs("Smol-Q4_1.gguf", smol.clone())],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    // This test binary's only test that reads the environment.
    std::env::set_var("HF_ENDPOINT", &hub.url);
    std::env::set_var("HF_HOME", dir.path());
    std::env::remove_var("HF_HUB_CACHE");
    std::env::remove_var("HF_TOKEN");
    let run = |slot: &mut Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
               cancel_after_first: bool| {
        let (tx, rx) = std::sync::mpsc::channel();
        control(
            slot,
            PullCtl::Start {
                spec: "test-org/Smol-GGUF:Q4_1".into(),
            },
            move |e| {
                let _ = tx.send(e);
            },
        );
        let mut progress = 0;
        loop {
            match rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the thread reports")
            {
                PullEvent::Progress { total, .. } => {
                    assert_eq!(total, smol.len());
                    progress += 1;
                    if cancel_after_first {
                        control(slot, PullCtl::Cancel, |_| {});
                    }
                }
                PullEvent::Done(r) => return (progress, r),
            }
        }
    };
    let mut slot = None;
    hub.state.faults.lock().unwrap().chunk_delay = Some(Duration::from_millis(2));
    let (_, stopped) = run(&mut slot, true);
    let e = stopped.unwrap_err();
    assert!(e.contains("interrupted") && e.contains("resume"), "{e}");
    hub.state.faults.lock().unwrap().chunk_delay = None;
    let (progress, done) = run(&mut slot, false);
    let path = done.unwrap();
    assert!(progress >= 1);
    assert!(path.starts_with(dir.path().join("hub/models--test-org--Smol-GGUF/snapshots")));
    assert_eq!(Source::file(path).sha256(), smol.sha256());
    assert!(hub.served() < smol.len() * 3 / 2, "the second try resumed");
}
