//! The template browser through `update` and `render`, with the scripted fake engine of
//! `support`: snapshots of the list and preview, shots/selection/variables changing the
//! preview, refusing to send with a blank variable, the requests a send makes, broken user
//! templates with file/line/field, reload after an edit, and the help and hints.

mod support;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{ChatMessage, Prompt, Role};
use howdah::prompt::{Library, Mode, RenderOptions, Rendered, SectionTokens};
use howdah::ui::action::Action;
use howdah::ui::app::{Level, Screen};
use howdah::ui::effect::Effect;
use howdah::ui::templates::{Exact, Preview, PreviewRequest, Reloaded, TplFocus};
use support::Harness;

/// Opens the browser and answers its library load from the harness's config folder.
fn open(h: &mut Harness) {
    h.effects.clear();
    h.ctrl('g');
    let dir = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadTemplates { dir } => Some(dir.clone()),
            _ => None,
        })
        .expect("opening the browser loads the library");
    let lib = howdah::ui::template_jobs::load(&dir);
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib,
        edited: None,
        error: None,
    })));
    h.draw();
}

/// Moves down the list to template `name`.
fn pick(h: &mut Harness, name: &str) {
    for _ in 0..40 {
        if h.app.templates.template().map(|t| t.name.as_str()) == Some(name) {
            return;
        }
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    panic!("template {name} not in the list");
}

fn fill(h: &mut Harness, text: &str) {
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(h.app.templates.focus, TplFocus::Vars);
    h.type_str(text);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.templates.focus, TplFocus::List);
}

fn rendered(h: &Harness) -> Rendered {
    match &h.app.templates.preview {
        Preview::Ready { rendered, .. } => rendered.clone(),
        other => panic!("no rendered preview: {other:?}"),
    }
}

/// The request for the current preview: older ones still in flight are answered (as failed)
/// so the browser sends the newest, as the runtime would.
fn last_request(h: &mut Harness) -> PreviewRequest {
    loop {
        let sent = h.effects.iter().rev().find_map(|e| match e {
            Effect::TemplatePreview(r) => Some((**r).clone()),
            _ => None,
        });
        h.effects.clear();
        if let Some(req) = &sent {
            if req.id == h.app.templates.preview_id {
                return req.clone();
            }
        }
        assert!(
            h.app.templates.in_flight,
            "no preview request for the engine"
        );
        // Id 0 is never a preview's: this only ends the job in flight.
        let id = sent.map(|r| r.id).unwrap_or(0);
        h.act(Action::TemplatePreview {
            id,
            result: Err("superseded".into()),
        });
    }
}

/// What the engine would answer, with SmolLM2's chat markup written out by hand.
fn answer(h: &mut Harness, req: &PreviewRequest) {
    let r = req.rendered.clone().expect("rendered in update");
    let text = match &r.prompt {
        Prompt::Chat(msgs) => {
            let mut s = String::new();
            for m in msgs {
                s.push_str(&format!(
                    "<|im_start|>{}\n{}<|im_end|>\n",
                    m.role.as_str(),
                    m.content
                ));
            }
            s + "<|im_start|>assistant\n"
        }
        Prompt::Raw(t) => t.clone(),
    };
    let tokens = SectionTokens {
        system: 12,
        examples: 96,
        input: 17,
        total: 151,
        n_ctx: 2048,
    };
    let exact = Exact {
        text,
        tokens,
        model: "SmolLM2 135M Instruct".into(),
    };
    h.act(Action::TemplatePreview {
        id: req.id,
        result: Ok(Box::new((r, exact))),
    });
    h.draw();
}

const REVIEW: &str = "The plot dragged but the acting was superb.";

#[test]
fn browser_with_sentiment_preview_snapshot() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    assert_eq!(h.app.screen, Screen::Templates);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let req = last_request(&mut h);
    assert_eq!(req.vars.get("text").map(String::as_str), Some(REVIEW));
    answer(&mut h, &req);
    let screen = h.screen();
    assert!(screen.contains("151"), "{screen}");
    assert!(
        screen.contains("7.4% of the 2048-token context"),
        "{screen}"
    );
    insta::assert_snapshot!("template_browser_sentiment", screen);
}

#[test]
fn shots_and_selection_change_the_preview() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let lib = Library::load_from(None);
    let t = lib.get("sentiment").unwrap();
    assert_eq!(
        h.app.templates.shots, t.shots,
        "starts at the template's shots"
    );
    let before = rendered(&h);
    assert_eq!(before.examples.len(), t.shots);
    h.key(KeyCode::Right, KeyModifiers::NONE);
    let more = rendered(&h);
    assert_eq!(more.examples.len(), t.shots + 1);
    assert!(more.display().len() > before.display().len());
    for _ in 0..10 {
        h.key(KeyCode::Left, KeyModifiers::NONE);
    }
    let zero = rendered(&h);
    assert!(zero.examples.is_empty(), "left goes down to zero-shot");
    assert!(h.screen().contains("shots 0/"));
    // Back to 4 shots; balanced (the default) alternates labels, first takes file order.
    for _ in 0..4 {
        h.key(KeyCode::Right, KeyModifiers::NONE);
    }
    let balanced = rendered(&h);
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // balanced -> similar
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // similar -> first
    assert_eq!(h.app.templates.selection.as_str(), "first");
    let first = rendered(&h);
    assert_eq!(first.examples, vec![0, 1, 2, 3]);
    let expected = t
        .render(
            &BTreeMap::from([("text".to_string(), REVIEW.to_string())]),
            &RenderOptions {
                shots: 4,
                selection: howdah::prompt::Selection::Balanced,
                seed: 0,
                mode: Mode::Chat,
                exclude: vec![],
                embedder: None,
            },
        )
        .unwrap();
    assert_eq!(balanced, expected, "the preview is the library's rendering");
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // first -> random
    let random = rendered(&h);
    h.key(KeyCode::Char('r'), KeyModifiers::NONE); // new seed
    assert_eq!(h.app.templates.seed, 1);
    let reseeded = rendered(&h);
    assert_eq!(random.examples.len(), 4);
    assert_eq!(reseeded.examples.len(), 4);
    assert_ne!(
        random.examples, reseeded.examples,
        "another seed draws others"
    );
}

#[test]
fn similar_selection_asks_the_engine_and_waits() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    h.effects.clear();
    h.key(KeyCode::Char('s'), KeyModifiers::NONE); // balanced -> similar
    assert_eq!(h.app.templates.preview, Preview::Choosing);
    let req = last_request(&mut h);
    assert!(
        req.rendered.is_none(),
        "similar is rendered by the engine job"
    );
    assert!(h.screen().contains("choosing the most similar examples"));
    // Sending while the examples are being chosen waits instead of sending something else.
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(!h
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Generate { .. })));
    assert_eq!(h.app.screen, Screen::Templates);
}

#[test]
fn blank_variable_is_an_error_not_a_send() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    // The preview shows where the input goes.
    assert!(rendered(&h).display().contains("Review: {{text}}"));
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        !h.effects
            .iter()
            .any(|e| matches!(e, Effect::Generate { .. } | Effect::Complete { .. })),
        "{:?}",
        h.effects
    );
    assert_eq!(h.app.screen, Screen::Templates);
    let n = h.app.notices.last().expect("a notice");
    assert_eq!(n.level, Level::Error);
    assert!(n.text.contains("fill the variable text"), "{}", n.text);
    assert_eq!(
        h.app.templates.focus,
        TplFocus::Vars,
        "the field gets focus"
    );
}

#[test]
fn send_in_chat_mode_makes_the_conversation_and_generates() {
    let mut h = Harness::new(110, 40);
    let g = h.send("an earlier question");
    h.done(g, howdah::engine::StopReason::Eos);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let expected = rendered(&h);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let (messages, sampling) = h
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Generate {
                messages, sampling, ..
            } => Some((messages.clone(), sampling.clone())),
            _ => None,
        })
        .expect("sending starts a generation");
    let Prompt::Chat(want) = expected.prompt else {
        panic!("chat mode")
    };
    assert_eq!(messages, want);
    assert_eq!(
        messages.last(),
        Some(&ChatMessage::user(format!("Review: {REVIEW}")))
    );
    assert_eq!(
        messages.len(),
        1 + 2 * 4 + 1,
        "system, 4 example turns, input"
    );
    let t = Library::load_from(None).get("sentiment").unwrap().clone();
    assert_eq!(
        sampling,
        t.sampling_for(Mode::Chat),
        "the template's sampling"
    );
    assert_eq!(h.app.screen, Screen::Chat);
    // The earlier conversation is kept; the prompt went into a new one.
    assert_eq!(h.app.convs.len(), 2);
    let conv = &h.app.convs[h.app.current];
    assert_eq!(conv.system_prompt, want[0].content);
    assert_eq!(
        conv.messages.len(),
        2 * 4 + 2,
        "turns + the streaming reply"
    );
    assert_eq!(conv.messages[0].role, Role::User);
}

#[test]
fn send_in_completion_mode_is_a_raw_completion() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    h.key(KeyCode::Char('m'), KeyModifiers::NONE);
    let r = rendered(&h);
    assert_eq!(r.mode, Mode::Completion);
    let Prompt::Raw(text) = r.prompt.clone() else {
        panic!("completion mode renders raw text")
    };
    assert!(text.ends_with("Sentiment:"), "{text}");
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let t = Library::load_from(None).get("sentiment").unwrap().clone();
    let sent = h.effects.iter().find_map(|e| match e {
        Effect::Complete {
            prompt, sampling, ..
        } => Some((prompt.clone(), sampling.clone())),
        _ => None,
    });
    assert_eq!(sent, Some((text, t.sampling_for(Mode::Completion))));
    assert!(h.app.generating());
}

#[test]
fn broken_user_template_is_listed_with_file_line_and_field() {
    let mut h = Harness::new(110, 40);
    let dir = h.app.templates.dir.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("broken.toml");
    std::fs::write(
        &bad,
        "name = \"broken\"\ndescription = \"x\"\ntask = \"classify\"\ninstruction = \"i\"\ninput = \"T: {{text}}\"\noutput = \"L:\"\nlabels = [\"a\", \"b\"]\n\n[[examples]]\ntext = \"one\"\noutput = \"c\"\n",
    )
    .unwrap();
    open(&mut h);
    let n = h
        .app
        .notices
        .last()
        .expect("a warning about the broken file");
    assert_eq!(n.level, Level::Warn);
    for _ in 0..20 {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    let e = h
        .app
        .templates
        .broken()
        .expect("the last row is the broken file")
        .clone();
    assert_eq!(e.file, bad.display().to_string());
    let screen = h.screen();
    assert!(screen.contains("✖ broken.toml"), "{screen}");
    let line = e.line.expect("a line");
    assert!(screen.contains(&format!("line {line}")), "{screen}");
    assert!(screen.contains("failed to load"), "{screen}");
    // e opens the broken file itself (to fix it).
    h.effects.clear();
    h.key(KeyCode::Char('e'), KeyModifiers::NONE);
    assert!(h.effects.iter().any(|fx| matches!(fx,
        Effect::EditTemplate { source: howdah::ui::template_jobs::EditSource::File(p), .. } if *p == bad)));
    // Fixed in the editor: the reload says so and picks the template.
    std::fs::write(
        &bad,
        std::fs::read_to_string(&bad)
            .unwrap()
            .replace("output = \"c\"", "output = \"a\""),
    )
    .unwrap();
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib: howdah::ui::template_jobs::load(&dir),
        edited: Some(bad.clone()),
        error: None,
    })));
    assert_eq!(
        h.app.templates.template().map(|t| t.name.as_str()),
        Some("broken")
    );
    let n = h.app.notices.last().unwrap();
    assert!(n.text.contains("is valid"), "{}", n.text);
}

#[test]
fn edited_file_with_errors_shows_them() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "topic");
    h.effects.clear();
    h.key(KeyCode::Char('e'), KeyModifiers::NONE);
    let Some(Effect::EditTemplate { source, dir }) = h.effects.last().cloned() else {
        panic!("e asks for the editor: {:?}", h.effects)
    };
    let howdah::ui::template_jobs::EditSource::Template(t) = source else {
        panic!("a template")
    };
    // What the runtime does before the editor runs: copy the built-in to the user folder.
    let path = t.ensure_user_file(&dir).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("shots = 4", "shots = 99", 1)).unwrap();
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib: howdah::ui::template_jobs::load(&dir),
        edited: Some(path.clone()),
        error: None,
    })));
    let n = h.app.notices.last().unwrap();
    assert_eq!(n.level, Level::Error);
    assert!(
        n.text.contains("topic.toml") && n.text.contains("shots"),
        "{}",
        n.text
    );
    assert!(
        h.app.templates.broken().is_some(),
        "the broken row is picked"
    );
    // The built-in of that name stays usable.
    let lib = h.app.templates.lib.as_ref().unwrap();
    assert!(lib.get("topic").is_some());
}

#[test]
fn help_lists_the_browser_bindings_and_chat_shows_the_way_in() {
    let mut h = Harness::new(100, 40);
    assert!(h.screen().contains("ctrl+g  prompt templates"));
    open(&mut h);
    h.key(KeyCode::Char('?'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen.contains("Template browser  [keys.templates]"),
        "{screen}"
    );
    assert!(screen.contains("more_shots"), "{screen}");
    assert!(screen.contains("Template variables"), "{screen}");
    assert!(
        !screen.contains("compare"),
        "no dead key for the comparison view"
    );
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    assert!(h.screen().contains("ctrl+g"));
}

#[test]
fn typed_values_stay_with_their_template_and_carry_over_by_name() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, "great");
    pick(&mut h, "sentiment-3way");
    assert_eq!(
        h.app.templates.filled().get("text").map(String::as_str),
        Some("great")
    );
    h.key(KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(h.app.templates.template().unwrap().name, "sentiment");
    assert!(rendered(&h).display().contains("Review: great"));
}

#[test]
fn one_preview_job_at_a_time_and_the_newest_waits() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    let _ = last_request(&mut h); // the job now in flight
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.type_str("fast typing");
    let sent = |h: &Harness| {
        h.effects
            .iter()
            .filter(|e| matches!(e, Effect::TemplatePreview(_)))
            .count()
    };
    assert_eq!(sent(&h), 0, "typing while a job runs only queues");
    let req = last_request(&mut h);
    assert_eq!(
        req.vars.get("text").map(String::as_str),
        Some("fast typing")
    );
    assert_eq!(sent(&h), 0);
}

#[test]
fn browser_renders_at_every_small_size() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "qa");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.type_str("A long passage about bees.");
    h.key(KeyCode::Char('j'), KeyModifiers::CONTROL);
    h.type_str("Second line.");
    let req = last_request(&mut h);
    answer(&mut h, &req);
    for w in 1..=60 {
        for ht in 1..=20 {
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, ht)).unwrap();
            term.draw(|f| howdah::ui::view::render(&h.app, f)).unwrap();
        }
    }
}

#[test]
fn preview_colours_sections_and_dims_markup() {
    let mut h = Harness::new(110, 40);
    open(&mut h);
    pick(&mut h, "sentiment");
    fill(&mut h, REVIEW);
    let req = last_request(&mut h);
    answer(&mut h, &req);
    h.draw();
    let th = h.app.theme.clone();
    let buf = h.term.backend().buffer().clone();
    let fg_at = |needle: &str| {
        for y in 0..buf.area.height {
            let row: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            if let Some(byte) = row.find(needle) {
                let x = row[..byte].chars().count() as u16;
                return buf[(x, y)].fg;
            }
        }
        panic!("{needle} not on screen");
    };
    assert_eq!(fg_at(&format!("Review: {REVIEW}")), th.accent, "the input");
    assert_eq!(fg_at("<|im_start|>system"), th.dim, "chat markup");
    assert_eq!(fg_at("Classify the sentiment of each"), th.system);
    assert_eq!(fg_at("Review: I loved this movie"), th.fg, "an example");
}
