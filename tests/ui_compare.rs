//! The compare view driven by scripted worker messages (the fake engine of the UI tests):
//! streaming columns with label bars, a failure isolated in its column, Esc stopping all, the
//! input history, the prompt overlay and the evaluation bar chart.

mod support;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::compare::{CompareEvent, VariantEval};
use howdah::engine::{DoneStats, Prompt, StopReason, TokenEvent};
use howdah::prompt::{Mode, Rendered, Selection};
use howdah::ui::action::Action;
use howdah::ui::app::{Modal, Screen};
use howdah::ui::compare::job::{CompareJob, CompareMsg};
use howdah::ui::compare::state::CompareModal;
use howdah::ui::effect::Effect;
use support::Harness;

/// A harness on the compare view with the built-in `sentiment` template picked.
fn compare_view(w: u16, h: u16) -> Harness {
    // Built-in templates only: a user's prompts folder must not change what the test sees.
    let cfg = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_CONFIG_DIR", cfg.path());
    let mut h = Harness::new(w, h);
    support::compare::open_with_template(&mut h, "sentiment");
    h
}

fn ev(h: &mut Harness, run: u64, event: CompareEvent) {
    h.act(Action::Compare(CompareMsg::Event { run, event }));
}

fn token(h: &mut Harness, run: u64, variant: usize, text: &str) {
    ev(
        h,
        run,
        CompareEvent::Token {
            variant,
            token: TokenEvent {
                seq: variant,
                token_id: 7,
                text: text.into(),
                piece: text.into(),
                logprob: -0.1,
                top: vec![],
                context_used: 0,
            },
        },
    );
}

use support::compare::{done, eval_done, eval_result, run};

/// Variant 0 of run `run` sends `prompt` (a completion prompt, no examples).
fn rendered(h: &mut Harness, run: u64, prompt: &str) {
    let rendered = Rendered {
        prompt: Prompt::Raw(prompt.into()),
        mode: Mode::Completion,
        examples: vec![],
        sections: Default::default(),
    };
    ev(
        h,
        run,
        CompareEvent::Rendered {
            variant: 0,
            rendered,
        },
    );
}

fn scored(h: &mut Harness, run: u64, variant: usize, positive: f64) {
    let mut labels = support::compare::labels(positive);
    labels.sort_by(|a, b| b.prob.total_cmp(&a.prob));
    ev(h, run, CompareEvent::Scored { variant, labels });
}

#[test]
fn columns_stream_with_label_bars_and_a_failure_stays_in_its_column() {
    let mut h = compare_view(120, 26);
    let st = h.app.compare.as_ref().unwrap();
    let names: Vec<String> = st.columns.iter().map(|c| c.spec.name()).collect();
    assert_eq!(names, ["0-shot", "1-shot balanced", "4-shot balanced"]);
    let r = run(&mut h, "An absolute joy from start to finish");
    scored(&mut h, r, 0, 0.55);
    scored(&mut h, r, 1, 0.30);
    scored(&mut h, r, 2, 0.91);
    token(&mut h, r, 0, " positive");
    token(&mut h, r, 2, " positive");
    done(&mut h, r, 2, " positive");
    ev(
        &mut h,
        r,
        CompareEvent::Failed {
            variant: 1,
            error: "the prompt (2100 tokens) does not fit the context (2048)".into(),
        },
    );
    h.draw();
    insta::assert_snapshot!("compare_streaming", h.screen());
    let st = h.app.compare.as_ref().unwrap();
    assert!(st.columns[0].reply.running(), "variant 0 still streams");
    assert!(st.columns[1].reply.failure().is_some() && !st.columns[1].reply.running());
    assert!(st.columns[2].stats.is_some() && st.columns[2].reply.failure().is_none());
    // The others go on after the failure.
    done(&mut h, r, 0, " positive");
    h.act(Action::Compare(CompareMsg::Finished {
        run: r,
        error: None,
    }));
    let st = h.app.compare.as_ref().unwrap();
    assert!(!st.running());
    assert_eq!(st.columns[0].reply.text, " positive");
    assert!(st.columns[0].stats.is_some());
    assert!(st.columns[1]
        .reply
        .failure()
        .unwrap()
        .contains("2100 tokens"));
    assert_eq!(st.columns[2].predicted(), Some("positive"));
}

#[test]
fn esc_stops_all_then_leaves_and_old_runs_are_ignored() {
    let mut h = compare_view(100, 24);
    let r = run(&mut h, "meh");
    token(&mut h, r, 0, " neg");
    h.effects.clear();
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let stopped = match h.effects.as_slice() {
        [Effect::Compare(CompareJob::Stop { run })] => *run,
        other => panic!("esc should stop the run, got {other:?}"),
    };
    // The view's own run is the one the worker is told to stop.
    assert_eq!(stopped, h.app.compare.as_ref().unwrap().run);
    assert_eq!(
        h.app.screen,
        Screen::Compare,
        "esc while running only stops"
    );
    // The worker ends: variant 0 with its partial text, the others never started.
    ev(
        &mut h,
        r,
        CompareEvent::Done {
            variant: 0,
            stats: DoneStats {
                seq: 0,
                stop: StopReason::Cancelled,
                text: " neg".into(),
                prompt_tokens: 10,
                prompt_tokens_decoded: 10,
                generated_tokens: 1,
                ttft_ms: 5.0,
                prompt_tps: 1.0,
                gen_tps: 1.0,
                mean_logprob: -1.0,
                dropped_messages: 0,
                template_fallback: None,
                context_used: 11,
            },
        },
    );
    h.act(Action::Compare(CompareMsg::Finished {
        run: r,
        error: None,
    }));
    let st = h.app.compare.as_ref().unwrap();
    assert!(!st.running());
    assert_eq!(st.columns[0].reply.text, " neg");
    assert_eq!(st.columns[1].reply.failure(), Some("stopped"));
    // A second run; late tokens of the first one change nothing.
    let r2 = run(&mut h, "great");
    assert!(r2 > r);
    token(&mut h, r, 1, "LATE");
    assert_eq!(h.app.compare.as_ref().unwrap().columns[1].reply.text, "");
    h.act(Action::Compare(CompareMsg::Finished {
        run: r2,
        error: None,
    }));
    // Idle: esc goes back to the chat, and f3 comes back to the same view.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    h.effects.clear();
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Compare);
    h.answer_template_load();
    assert_eq!(h.app.compare.as_ref().unwrap().history.len(), 2);
}

#[test]
fn history_recalls_inputs_with_up_and_down() {
    let mut h = compare_view(100, 24);
    for input in ["first review", "second review"] {
        let r = run(&mut h, input);
        h.act(Action::Compare(CompareMsg::Finished {
            run: r,
            error: None,
        }));
    }
    let input = |h: &Harness| h.app.compare.as_ref().unwrap().input_text();
    assert_eq!(input(&h), "");
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(input(&h), "second review");
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(input(&h), "first review");
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(input(&h), "first review", "stays at the oldest");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(input(&h), "second review");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(input(&h), "", "past the newest: an empty input");
    // Running the recalled input again does not duplicate it.
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.app.compare.as_ref().unwrap().history.len(), 2);
}

#[test]
fn variants_are_edited_added_removed_and_the_prompt_overlay_shows_what_was_sent() {
    let mut h = compare_view(100, 24);
    // Edit column 1: one more shot, next selection, completion mode.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.ctrl('e');
    h.key(KeyCode::Right, KeyModifiers::NONE); // shots 1 -> 2
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.key(KeyCode::Right, KeyModifiers::NONE); // balanced -> similar
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.key(KeyCode::Right, KeyModifiers::NONE); // chat -> completion
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let st = h.app.compare.as_ref().unwrap();
    let c = &st.columns[1].spec;
    assert_eq!(
        (c.shots, c.selection, c.mode),
        (2, Selection::Similar, Mode::Completion)
    );
    // Add a fourth (a copy, opened in the editor), then no fifth.
    h.ctrl('a');
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.compare.as_ref().unwrap().columns.len(), 4);
    h.ctrl('a');
    let st = h.app.compare.as_ref().unwrap();
    assert_eq!(st.columns.len(), 4);
    assert!(st.error.as_deref().unwrap().contains("at most 4"));
    h.ctrl('d');
    assert_eq!(h.app.compare.as_ref().unwrap().columns.len(), 3);
    // The prompt overlay shows the rendered prompt of the selected column.
    let r = run(&mut h, "fine");
    rendered(
        &mut h,
        r,
        "Classify the sentiment.\n\nReview: fine\nSentiment:",
    );
    assert_eq!(h.app.compare.as_ref().unwrap().selected, 2);
    h.key(KeyCode::Tab, KeyModifiers::NONE); // wraps to column 0 of 3
    h.ctrl('p');
    let screen = h.screen();
    assert!(screen.contains("Prompt sent by 0-shot"), "{screen}");
    assert!(screen.contains("Review: fine"), "{screen}");
}

fn variant_eval(name: &str, shots: usize, acc: f64, rps: f64, f1: f64) -> VariantEval {
    VariantEval {
        mode: Some(Mode::Completion),
        macro_f1: f1,
        macro_f1_ci: [f1 - 0.05, f1 + 0.05],
        rows_per_sec: rps,
        elapsed_s: 120.0 / rps,
        tokens_decoded: 1000,
        ..support::compare::variant_eval(name, shots, acc, 120)
    }
}

#[test]
fn evaluation_shows_progress_then_accuracy_bars_and_saves_predictions() {
    let mut h = compare_view(100, 30);
    h.ctrl('l');
    h.type_str("tests/data/sentiment/reviews.csv");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let (r, path) = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Compare(CompareJob::Eval {
                run,
                path,
                variants,
                ..
            }) => {
                assert_eq!(variants.len(), 3);
                Some((*run, path.clone()))
            }
            _ => None,
        })
        .expect("enter should start an evaluation");
    assert_eq!(path, PathBuf::from("tests/data/sentiment/reviews.csv"));
    h.act(Action::Compare(CompareMsg::EvalProgress {
        run: r,
        progress: howdah::compare::EvalProgress {
            variant: 1,
            variants: 3,
            done: 60,
            total: 120,
            correct: 50,
        },
    }));
    let screen = h.screen();
    assert!(
        screen.contains("variant 2/3 · row 60/120 · 50 correct"),
        "{screen}"
    );
    let variants = vec![
        variant_eval("0-shot", 0, 0.6, 41.0, 0.52),
        variant_eval("1-shot balanced", 1, 0.7, 35.5, 0.69),
        variant_eval("4-shot balanced", 4, 0.85, 30.2, 0.849),
    ];
    eval_done(&mut h, r, eval_result(120, variants, false));
    insta::assert_snapshot!("compare_eval_chart", h.screen());
    // ctrl+s asks for a file name (in the data folder's exports/, like other exports) and hands
    // the results to the export writer.
    let data_dir = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_DATA_DIR", data_dir.path());
    h.ctrl('s');
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let want = data_dir
        .path()
        .join("exports")
        .join("predictions-sentiment.csv");
    match h.effects.as_slice() {
        [Effect::Compare(CompareJob::SavePredictions { path, result, data })] => {
            assert_eq!(path, &want);
            assert_eq!(result.variants.len(), 3);
            howdah::compare::report::write_predictions(path, result, data).unwrap();
        }
        other => panic!("expected a save, got {other:?}"),
    }
    std::env::remove_var("HOWDAH_DATA_DIR");
    let csv = std::fs::read_to_string(&want).unwrap();
    assert!(csv.starts_with("line,variant,method"), "{csv}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&want).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "exports are private");
    }
    h.act(Action::Saved(Ok(format!(
        "predictions to {}",
        want.display()
    ))));
    let screen = h.screen();
    assert!(screen.contains("saved predictions to"), "{screen}");
}

#[test]
fn any_size_renders_without_panic() {
    let mut h = compare_view(120, 30);
    let r = run(&mut h, "fine");
    scored(&mut h, r, 0, 0.7);
    token(&mut h, r, 0, " positive and a long tail of text");
    for (w, ht) in [(1, 1), (5, 3), (20, 8), (40, 12), (200, 60)] {
        h.term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, ht)).unwrap();
        h.draw();
        h.ctrl('e');
        h.draw();
        h.key(KeyCode::Esc, KeyModifiers::NONE);
    }
    h.key(KeyCode::Char('?'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen.contains("Compare view") || screen.contains("compare"),
        "{screen}"
    );
}

#[test]
fn esc_cancels_an_evaluation_and_keeps_the_partial_figures() {
    let mut h = compare_view(100, 30);
    h.ctrl('l');
    h.type_str("rows.csv");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let r = h.app.compare.as_ref().unwrap().run;
    h.effects.clear();
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(
        matches!(
            h.effects.as_slice(),
            [Effect::Compare(CompareJob::Stop { .. })]
        ),
        "{:?}",
        h.effects
    );
    assert_eq!(h.app.screen, Screen::Compare);
    let mut partial = variant_eval("0-shot", 0, 0.5, 2.0, 0.33);
    partial.rows = 6;
    eval_done(&mut h, r, eval_result(120, vec![partial], true));
    let screen = h.screen();
    assert!(screen.contains("cancelled: partial results"), "{screen}");
    assert!(screen.contains("0-shot                  50.0%"), "{screen}");
    // Idle now: esc leaves the results for the columns, then the view.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(!h.app.compare.as_ref().unwrap().show_eval);
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    assert!(
        h.app.compare.as_ref().unwrap().show_eval,
        "f2 brings the results back"
    );
}

/// A base model (no chat template), as the engine reports it.
fn base_model() -> howdah::engine::ModelInfo {
    let mut m = support::info("Gemma 3 270m", "gemma.gguf", 2048);
    m.has_chat_template = false;
    m
}

/// Issue 13 bug 1: the columns follow the loaded model's layout unless the user chose one; the
/// variant editor offers "the model's own".
#[test]
fn columns_follow_the_models_layout_unless_the_user_chose_one() {
    use howdah::engine::EventKind;
    use howdah::ui::action::Tag;
    let mut h = compare_view(120, 30);
    let modes = |h: &Harness| -> Vec<Mode> {
        let st = h.app.compare.as_ref().unwrap();
        st.columns.iter().map(|c| c.spec.mode).collect()
    };
    assert!(modes(&h).iter().all(|m| *m == Mode::Chat));
    // F3 back to the chat, a base model is loaded, F3 again: every column is in completion.
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    h.engine(Tag::Load, EventKind::Loaded(base_model()));
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert!(
        modes(&h).iter().all(|m| *m == Mode::Completion),
        "{:?}",
        modes(&h)
    );
    let t = howdah::prompt::Library::load_from(None)
        .get("sentiment")
        .unwrap()
        .clone();
    let st = h.app.compare.as_ref().unwrap();
    assert_eq!(
        st.columns[0].spec.sampling,
        t.sampling_for(Mode::Completion)
    );
    assert!(st.columns[0].title().contains("completion"));
    // The editor says the layout is the model's; one step sets the other one by hand.
    h.ctrl('e');
    for _ in 0..3 {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    let screen = h.screen();
    assert!(screen.contains("the model's own (completion)"), "{screen}");
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(modes(&h)[0], Mode::Chat);
    // Back on an instruct model, then the base model again: the chosen column keeps chat.
    h.engine(
        Tag::Load,
        EventKind::Loaded(support::info("SmolLM2", "smol.gguf", 2048)),
    );
    assert!(modes(&h).iter().all(|m| *m == Mode::Chat));
    h.engine(Tag::Load, EventKind::Loaded(base_model()));
    let m = modes(&h);
    assert_eq!(m[0], Mode::Chat, "chosen by the user");
    assert!(m[1..].iter().all(|m| *m == Mode::Completion), "{m:?}");
}

/// Issue 13 bug 7: the screen keys (F3 / alt+c compare, alt+s sessions, ctrl+g templates) work
/// inside the template browser and the compare view's template picker.
#[test]
fn screen_keys_work_in_the_template_browser_and_the_compare_picker() {
    let cfg = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_CONFIG_DIR", cfg.path());
    let mut h = Harness::new(110, 30);
    h.effects.clear();
    h.ctrl('g');
    h.answer_template_load();
    assert_eq!(h.app.screen, Screen::Templates);
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Compare);
    let picker = |h: &Harness| {
        matches!(
            h.app.modals.last(),
            Some(Modal::Compare(CompareModal::Templates { templates, .. })) if !templates.is_empty()
        )
    };
    assert!(picker(&h), "the picker lists the app's library");
    // From the picker: F3 back to the chat (nothing picked: the view is not kept).
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    assert!(h.app.compare.is_none());
    h.key(KeyCode::Char('c'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Compare);
    assert!(picker(&h));
    h.key(KeyCode::Char('s'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Sessions);
    h.key(KeyCode::Char('c'), KeyModifiers::ALT);
    h.ctrl('g');
    assert_eq!(h.app.screen, Screen::Templates);
    h.key(KeyCode::Char('s'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Sessions);
    h.ctrl('g');
    h.key(KeyCode::Char('c'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Compare);
}

/// The mouse wheel on the compare view leaves the chat behind it alone (it used to scroll the
/// chat's conversation, out of sight), and scrolls the prompt overlay as its up/down keys do.
/// (With text in the columns it scrolls them: `long_replies_scroll_in_their_columns`.)
#[test]
fn the_wheel_scrolls_the_prompt_overlay_not_the_hidden_chat() {
    use crossterm::event::MouseEventKind::{ScrollDown, ScrollUp};
    use howdah::ui::chat::conversation::Scroll;
    let cfg = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_CONFIG_DIR", cfg.path());
    let mut h = Harness::new(100, 24);
    // A chat reply longer than the transcript, followed at its end.
    let g = h.send("long");
    h.stream(g, support::ANSWER);
    h.stream(g, &[(&"more\n".repeat(40), 0.5)]);
    h.done(g, StopReason::Eos);
    assert_eq!(h.app.chat.convs[0].scroll, Scroll::Follow);
    support::compare::open_with_template(&mut h, "sentiment");
    let before = h.screen();
    h.wheel(ScrollUp);
    assert_eq!(
        h.app.chat.convs[0].scroll,
        Scroll::Follow,
        "the wheel on the compare view does not move the chat"
    );
    assert_eq!(
        before,
        h.screen(),
        "no column has text yet: nothing on the view moves"
    );
    // The prompt overlay scrolls with the wheel, 3 rows a notch, like its up/down keys.
    let r = run(&mut h, "fine");
    rendered(
        &mut h,
        r,
        "Classify the sentiment.\n\nReview: fine\nSentiment:",
    );
    h.ctrl('p');
    let scroll = |h: &Harness| match h.app.modals.last() {
        Some(Modal::Compare(CompareModal::Prompt { scroll, .. })) => *scroll,
        other => panic!("the prompt overlay should be open, got {other:?}"),
    };
    h.wheel(ScrollDown);
    assert_eq!(scroll(&h), 3);
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(scroll(&h), 2);
    h.wheel(ScrollUp);
    assert_eq!(scroll(&h), 0);
    assert_eq!(h.app.chat.convs[0].scroll, Scroll::Follow);
}

/// A reply longer than its column scrolls: pagedown/pageup and the wheel move every column's
/// text together, stop where the longest text ends (word-wrapped prose included), not while the
/// evaluation pane covers the columns, and a new run starts at the top.
#[test]
fn long_replies_scroll_in_their_columns() {
    use crossterm::event::MouseEventKind::{ScrollDown, ScrollUp};
    let mut h = compare_view(100, 24);
    let r = run(&mut h, "a long one");
    // Short rows, then one long paragraph that wraps over many rows, then the last row.
    let prose = "lorem ipsum dolor sit amet consectetur ".repeat(30);
    let long: String =
        (1..=40).map(|i| format!("row{i:02}\n")).collect::<String>() + &prose + "\nTHE-END";
    done(&mut h, r, 0, &long);
    for v in 1..h.app.compare.as_ref().unwrap().columns.len() {
        done(&mut h, r, v, " fine");
    }
    let s = h.screen();
    assert!(s.contains("row01") && !s.contains("row40"), "{s}");
    h.key(KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, 10);
    let s = h.screen();
    assert!(s.contains("row11") && !s.contains("row01"), "{s}");
    // Far past the end: the scroll stops with the reply's last row in view.
    for _ in 0..30 {
        h.key(KeyCode::PageDown, KeyModifiers::NONE);
        h.screen();
    }
    let s = h.screen();
    assert!(
        s.contains("THE-END"),
        "the end of the wrapped reply is reachable:\n{s}"
    );
    let at_end = h.app.compare.as_ref().unwrap().scroll;
    h.key(KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(
        h.app.compare.as_ref().unwrap().scroll,
        at_end,
        "no scrolling into nothing"
    );
    h.wheel(ScrollUp);
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, at_end - 3);
    h.wheel(ScrollDown);
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, at_end);
    h.key(KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, at_end - 10);
    // Under the evaluation pane the columns stay where they are.
    h.app.compare.as_mut().unwrap().show_eval = true;
    h.key(KeyCode::PageUp, KeyModifiers::NONE);
    h.wheel(ScrollUp);
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, at_end - 10);
    h.app.compare.as_mut().unwrap().show_eval = false;
    // A new run starts at the top.
    let _ = run(&mut h, "again");
    assert_eq!(h.app.compare.as_ref().unwrap().scroll, 0);
}
