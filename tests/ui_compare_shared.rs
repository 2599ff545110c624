//! The compare view on the app's shared parts (issue 13), through `update` and its effects with
//! the scripted fake engine of `support`: its keys come from the keymap (`[keys.compare]`
//! rebinds them and help lists them), its dialogs are the app's modals, its input is the app's
//! text area, and its worker runs the way the runtime's other workers do. Its sessions are in
//! `ui_compare_sessions`.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::ui::action::Action;
use howdah::ui::app::{Ask, Modal, Screen};
use howdah::ui::compare::job::{CompareJob, CompareMsg};
use howdah::ui::compare::state::{CompareModal, PathFor};
use howdah::ui::effect::Effect;
use howdah::ui::keymap::Ctx;
use support::compare::run_job;
use support::Harness;

/// Built-in templates only: a user's prompts folder must not change what the test sees.
fn builtin_templates_only() -> tempfile::TempDir {
    let cfg = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_CONFIG_DIR", cfg.path());
    cfg
}

fn input(h: &Harness) -> String {
    h.app.compare.as_ref().unwrap().input_text()
}

#[test]
fn a_rebound_compare_key_runs_and_help_lists_it() {
    let _cfg = builtin_templates_only();
    let mut h = Harness::with_config(110, 70, "[keys.compare]\nrun = \"f6\"\n");
    assert!(
        h.app.notices.iter().all(|n| !n.text.contains("keys")),
        "{:?}",
        h.app.notices
    );
    support::compare::open_with_template(&mut h, "sentiment");
    h.type_str("great film");
    h.effects.clear();
    // Enter no longer runs, and never puts a newline into the one-line input.
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(run_job(&h), None, "{:?}", h.effects);
    assert_eq!(input(&h), "great film");
    h.key(KeyCode::F(6), KeyModifiers::NONE);
    assert_eq!(run_job(&h).map(|r| r.1).as_deref(), Some("great film"));
    // Help lists the binding as configured, with the picker's and the prompt viewer's keys.
    h.key(KeyCode::F(1), KeyModifiers::NONE);
    assert!(matches!(
        h.app.modals.last(),
        Some(Modal::Help {
            ctx: Some(Ctx::Compare),
            ..
        })
    ));
    let screen = h.screen();
    let run_row = screen
        .lines()
        .find(|l| l.contains("Run every variant"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        run_row.contains("f6") && !run_row.contains("enter"),
        "{run_row}"
    );
    assert!(screen.contains("Compare view: template picker"), "{screen}");
}

#[test]
fn the_view_s_dialogs_are_the_app_s_modals() {
    let _cfg = builtin_templates_only();
    let mut h = Harness::new(110, 30);
    h.effects.clear();
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    // Templates come from the app's library, loaded by the runtime (an effect), never read here.
    assert!(
        h.effects
            .iter()
            .any(|e| matches!(e, Effect::LoadTemplates { .. })),
        "{:?}",
        h.effects
    );
    h.answer_template_load();
    assert!(matches!(
        h.app.modals.as_slice(),
        [Modal::Compare(CompareModal::Templates { templates, .. })] if !templates.is_empty()
    ));
    assert_eq!(howdah::ui::screen::ctx(&h.app), Ctx::ComparePicker);
    // The picker's keys are the keymap's: `j` moves, enter picks and closes the modal.
    h.key(KeyCode::Char('j'), KeyModifiers::NONE);
    assert!(matches!(
        h.app.modals.last(),
        Some(Modal::Compare(CompareModal::Templates { selected: 1, .. }))
    ));
    h.key(KeyCode::Char('k'), KeyModifiers::NONE);
    let idx = match h.app.modals.last() {
        Some(Modal::Compare(CompareModal::Templates { templates, .. })) => templates
            .iter()
            .position(|t| t.name == "sentiment")
            .unwrap(),
        other => panic!("{other:?}"),
    };
    for _ in 0..idx {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.app.modals.is_empty(), "{:?}", h.app.modals.len());
    assert_eq!(howdah::ui::screen::ctx(&h.app), Ctx::Compare);
    // The variant editor is a modal with its own key context.
    h.ctrl('e');
    assert!(matches!(
        h.app.modals.as_slice(),
        [Modal::Compare(CompareModal::Variant { field: 0 })]
    ));
    assert_eq!(howdah::ui::screen::ctx(&h.app), Ctx::CompareEdit);
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert!(matches!(
        h.app.modals.last(),
        Some(Modal::Compare(CompareModal::Variant { field: 1 }))
    ));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.modals.is_empty());
    // A data file is asked for in the app's text dialog: ctrl+u clears the prefilled text
    // there as in every other question.
    h.ctrl('l');
    h.type_str("first.csv");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.ctrl('l');
    assert!(matches!(
        h.app.modals.last(),
        Some(Modal::Ask {
            ask: Ask::ComparePath(PathFor::EvalData),
            ..
        })
    ));
    assert_eq!(howdah::ui::screen::ctx(&h.app), Ctx::Prompt);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    match h.app.modals.last() {
        Some(Modal::Ask { error: Some(e), .. }) => assert!(e.contains("path"), "{e}"),
        other => panic!("an empty path is refused in the dialog: {other:?}"),
    }
    h.type_str("rows.csv");
    h.ctrl('u');
    h.type_str("tests/data/sentiment/sentiment-12.csv");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.app.modals.is_empty());
    let path = h.effects.iter().find_map(|e| match e {
        Effect::Compare(CompareJob::Eval { path, .. }) => Some(path.clone()),
        _ => None,
    });
    assert_eq!(
        path.as_deref(),
        Some(std::path::Path::new(
            "tests/data/sentiment/sentiment-12.csv"
        ))
    );
    let run = h.app.compare.as_ref().unwrap().run;
    h.act(Action::Compare(CompareMsg::EvalDone {
        run,
        result: Err("stopped".into()),
    }));
    // Leaving from a dialog closes the view's dialogs with it.
    h.ctrl('e');
    assert_eq!(h.app.modals.len(), 1);
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    assert!(h.app.modals.is_empty());
}

#[test]
fn the_input_is_the_app_s_text_area() {
    let _cfg = builtin_templates_only();
    let mut h = Harness::new(110, 30);
    support::compare::open_with_template(&mut h, "sentiment");
    h.type_str("the quick brown fox");
    // ctrl+w deletes the word before the cursor, as in the chat's input.
    h.ctrl('w');
    assert_eq!(input(&h), "the quick brown ");
    // alt+b moves back a word; typing goes in at the cursor.
    h.key(KeyCode::Char('b'), KeyModifiers::ALT);
    h.type_str("very ");
    assert_eq!(input(&h), "the quick very brown ");
    // Left and backspace edit in place; a paste goes in at the cursor on one line.
    for _ in 0..5 {
        h.key(KeyCode::Left, KeyModifiers::NONE);
    }
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(input(&h), "the quickvery brown ");
    h.act(Action::Paste("\nred\n".into()));
    assert_eq!(input(&h), "the quick red very brown ");
    // ctrl+u (the compare view's `clear`) empties it.
    h.ctrl('u');
    assert_eq!(input(&h), "");
    // The history fills the same text area, and editing a recalled input works.
    h.type_str("fine");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let run = h.app.compare.as_ref().unwrap().run;
    h.act(Action::Compare(CompareMsg::Finished { run, error: None }));
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(input(&h), "fine");
    h.type_str(" indeed");
    assert_eq!(input(&h), "fine indeed");
    assert!(h.screen().contains("fine indeed"), "{}", h.screen());
}

#[test]
fn the_worker_runs_like_the_runtime_s_other_workers() {
    // Without an engine the run ends at once with the reason, under its own run number.
    let mut slot = None;
    let (tx, rx) = mpsc::channel();
    let t = howdah::prompt::Library::load_from(None)
        .get("sentiment")
        .unwrap()
        .clone();
    let job = CompareJob::Run {
        run: 7,
        template: Box::new(t),
        vars: Default::default(),
        variants: vec![],
        models: vec![],
    };
    howdah::ui::compare::run::control(&mut slot, None, None, job, move |a| {
        let _ = tx.send(a);
    });
    assert!(slot.is_some(), "the runtime keeps the run's stop flag");
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Action::Compare(CompareMsg::Finished {
            run: 7,
            error: Some(e),
        })) => assert!(e.contains("no model is loaded"), "{e}"),
        other => panic!("{other:?}"),
    }
    // A stop for an older run leaves the newer one alone; its own stop takes the flag.
    let noop = |_a: Action| {};
    howdah::ui::compare::run::control(&mut slot, None, None, CompareJob::Stop { run: 6 }, noop);
    assert!(slot.is_some());
    howdah::ui::compare::run::control(&mut slot, None, None, CompareJob::Stop { run: 7 }, noop);
    assert!(slot.is_none());
}
