//! Compare runs and evaluations of the TUI saved as sessions like the CLI's (issue 13), through
//! `update` and its effects with the scripted fake engine of `support`; session effects run with
//! the runtime's own `run_op`. The session browser filters chats from compare/eval runs.

mod session_support;
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::compare::CompareEvent;
use howdah::session::SessionKind;
use howdah::ui::action::Action;
use howdah::ui::app::Screen;
use howdah::ui::compare::job::CompareMsg;
use howdah::ui::effect::Effect;
use howdah::ui::sessions::state::KindFilter;
use session_support::{harness, run_sessions, saved_chat};
use support::compare::{eval_done, eval_result, variant_eval};
use support::Harness;

#[test]
fn a_tui_compare_run_is_saved_as_a_session_and_the_browser_filters_it() {
    let (mut h, store, _d) = harness(120, 24);
    let chat = saved_chat(&store, "How do tides work?", "The moon pulls the sea.", 5);
    support::compare::open_with_template(&mut h, "sentiment");
    let run = support::compare::run(&mut h, "A fine film.");
    for v in 0..3 {
        h.act(Action::Compare(CompareMsg::Event {
            run,
            event: CompareEvent::Scored {
                variant: v,
                labels: support::compare::labels(0.8),
            },
        }));
        support::compare::done(&mut h, run, v, " positive");
    }
    assert!(
        !h.effects.iter().any(|e| matches!(
            e,
            Effect::Session(howdah::ui::sessions::state::SessionOp::Save(_))
        )),
        "saved once the run ends, not per column"
    );
    h.act(Action::Compare(CompareMsg::Finished { run, error: None }));
    run_sessions(&mut h, &store);
    let list = store.list().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let cmp = list
        .iter()
        .find(|s| {
            s.entry
                .as_ref()
                .is_ok_and(|e| e.kind == SessionKind::Compare)
        })
        .expect("the run is saved as a compare session");
    let s = store.open(&cmp.id).unwrap().session;
    assert_eq!(s.title.as_deref(), Some("compare sentiment: A fine film."));
    let names: Vec<&str> = s.runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(names, ["0-shot", "1-shot balanced", "4-shot balanced"]);
    for r in &s.runs {
        assert_eq!(r.output.as_deref(), Some(" positive"));
        assert_eq!(r.model.as_ref().unwrap().file_name, "smol.gguf");
        assert_eq!(r.engine.as_ref().unwrap().n_ctx, Some(2048));
        assert_eq!(r.figures.get("p(positive)"), Some(&0.8));
        let setup = r.setup.as_ref().expect("the template setup is recorded");
        assert_eq!(setup.template.as_deref(), Some("sentiment"));
        assert_eq!(
            setup.variables.get("text").map(String::as_str),
            Some("A fine film.")
        );
        assert!(r.stats.is_some());
    }
    // The browser lists both; its filter shows chats only, runs only, then all again.
    h.key(KeyCode::Char('s'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Sessions);
    run_sessions(&mut h, &store);
    let shown = |h: &Harness| -> Vec<String> {
        h.app
            .sessions
            .browser
            .visible()
            .iter()
            .map(|r| r.id.clone())
            .collect()
    };
    assert_eq!(shown(&h).len(), 2);
    assert!(!h.screen().contains("showing"), "{}", h.screen());
    h.key(KeyCode::Char('f'), KeyModifiers::NONE);
    assert_eq!(h.app.sessions.browser.filter, KindFilter::Chats);
    assert_eq!(shown(&h), vec![chat.id.clone()]);
    assert!(h.screen().contains("showing chats only"), "{}", h.screen());
    h.key(KeyCode::Char('f'), KeyModifiers::NONE);
    assert_eq!(shown(&h), vec![cmp.id.clone()]);
    let screen = h.screen();
    assert!(
        screen.contains("showing compare/eval runs only"),
        "{screen}"
    );
    assert!(screen.contains("[compare] compare sentiment"), "{screen}");
    h.key(KeyCode::Char('f'), KeyModifiers::NONE);
    assert_eq!(shown(&h).len(), 2);
    assert!(!h.screen().contains("showing"), "{}", h.screen());
}

#[test]
fn an_arena_round_is_saved_with_its_vote_only() {
    let (mut h, store, _d) = harness(110, 30);
    support::compare::open_with_template(&mut h, "sentiment");
    h.ctrl('d');
    h.key(KeyCode::F(4), KeyModifiers::NONE);
    let run = support::compare::run(&mut h, "A fine film.");
    support::compare::done(&mut h, run, 0, "yes");
    support::compare::done(&mut h, run, 1, "no");
    h.act(Action::Compare(CompareMsg::Finished { run, error: None }));
    run_sessions(&mut h, &store);
    assert!(
        store.list().unwrap().is_empty(),
        "the round is not saved before the vote"
    );
}

#[test]
fn a_tui_evaluation_is_saved_as_an_eval_session() {
    let (mut h, store, _d) = harness(120, 30);
    support::compare::open_with_template(&mut h, "sentiment");
    h.ctrl('l');
    h.type_str("tests/data/sentiment/sentiment-12.csv");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let run = h.app.compare.as_ref().unwrap().run;
    h.act(Action::Compare(CompareMsg::EvalProgress {
        run,
        progress: howdah::compare::EvalProgress {
            variant: 0,
            variants: 3,
            done: 6,
            total: 12,
            correct: 5,
        },
    }));
    run_sessions(&mut h, &store);
    assert!(store.list().unwrap().is_empty(), "nothing saved mid-way");
    let variants = vec![
        variant_eval("0-shot", 0, 0.5, 12),
        variant_eval("1-shot balanced", 1, 0.75, 12),
        variant_eval("4-shot balanced", 4, 0.9166, 12),
    ];
    eval_done(&mut h, run, eval_result(12, variants, false));
    run_sessions(&mut h, &store);
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let s = store.open(&list[0].id).unwrap().session;
    assert_eq!(s.kind, SessionKind::Eval);
    assert_eq!(
        s.title.as_deref(),
        Some("eval sentiment on tests/data/sentiment/sentiment-12.csv")
    );
    let acc: Vec<f64> = s.runs.iter().map(|r| r.figures["accuracy"]).collect();
    assert_eq!(acc, [0.5, 0.75, 0.9166]);
    for r in &s.runs {
        assert_eq!(r.model.as_ref().unwrap().file_name, "smol.gguf");
        assert_eq!(r.data["data"], "tests/data/sentiment/sentiment-12.csv");
    }
    // The runs filter of the browser lists it.
    h.key(KeyCode::Char('s'), KeyModifiers::ALT);
    run_sessions(&mut h, &store);
    h.key(KeyCode::Char('f'), KeyModifiers::NONE);
    h.key(KeyCode::Char('f'), KeyModifiers::NONE);
    assert_eq!(h.app.sessions.browser.filter, KindFilter::Runs);
    assert_eq!(h.app.sessions.browser.visible().len(), 1);
    assert!(
        h.screen().contains("[eval] eval sentiment"),
        "{}",
        h.screen()
    );
}
