//! Whole-screen snapshots of the chat UI on ratatui's TestBackend, driven by the scripted fake
//! engine in `support` (used only by the UI tests).

mod support;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{EngineError, EventKind, StopReason};
use howdah::model::discover::Found;
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{App, Setup};
use howdah::ui::effect::Effect;
use howdah::ui::update::update;
use howdah::ui::view::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use support::{info, Harness, ANSWER};

#[test]
fn empty_start() {
    let mut h = Harness::new(80, 24);
    insta::assert_snapshot!("empty_start", h.screen());
}

#[test]
fn loading_shows_progress() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(Setup {
        config: Default::default(),
        config_text: String::new(),
        config_dir: dir.path().to_path_buf(),
        warnings: vec![],
        engine: Default::default(),
        models_dirs: vec![],
        model: Ok(PathBuf::from("/models/smol.gguf")),
    });
    update(&mut app, Action::EngineStarted(Ok(())));
    update(
        &mut app,
        Action::Engine {
            tag: Tag::Load,
            kind: EventKind::LoadProgress(0.4),
        },
    );
    let mut term = Terminal::new(TestBackend::new(80, 12)).unwrap();
    term.draw(|f| render(&app, f)).unwrap();
    let text = format!("{}", term.backend());
    assert!(text.contains("loading ▕████░░░░░░▏  40%"), "{text}");
    assert!(text.contains("loading smol"), "{text}");
}

#[test]
fn conversation_with_markdown_and_code() {
    let mut h = Harness::new(90, 40);
    let g = h.send("How do I add numbers in Python?");
    h.stream(g, ANSWER);
    h.done(g, StopReason::Eos);
    insta::assert_snapshot!("markdown_and_code", h.screen());
}

#[test]
fn streaming_in_progress() {
    let mut h = Harness::new(80, 20);
    let g = h.send("Count to five");
    h.stream(g, &[("One,", 0.9), (" two,", 0.9), (" three", 0.8)]);
    insta::assert_snapshot!("streaming", h.screen());
    // Still streaming: ctrl+c stops instead of quitting.
    h.effects.clear();
    h.ctrl('c');
    assert_eq!(h.effects, vec![Effect::Cancel { gen: g }]);
    assert!(!h.app.quit);
}

#[test]
fn settings_panel_validates_as_typed() {
    let mut h = Harness::new(100, 30);
    h.ctrl('s');
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.key(KeyCode::Down, KeyModifiers::NONE); // top_p
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    h.type_str("1.5");
    insta::assert_snapshot!("settings_panel", h.screen());
    // Nothing typed on the way ("", "1", "1.") was applied, and "1.5" is said to be bad.
    let before = h.app.chat.convs[0].sampling.top_p;
    assert_ne!(before, 1.0);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        h.app.chat.convs[0].sampling.top_p, before,
        "a bad value is not applied"
    );
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.ctrl('u');
    h.type_str("0.5");
    assert_eq!(
        h.app.chat.convs[0].sampling.top_p, before,
        "applied only on enter"
    );
    assert!(h.screen().contains("not applied yet"), "{}", h.screen());
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs[0].sampling.top_p, 0.5);
    assert_eq!(h.app.chat.convs[0].preset, "custom");
    // Presets apply every field at once.
    h.key(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs[0].preset, "precise");
    assert_eq!(h.app.chat.convs[0].sampling.temperature, 0.2);
}

#[test]
fn settings_apply_on_enter_or_leaving_the_field_not_per_keystroke() {
    let mut h = Harness::new(100, 30);
    let start = h.app.chat.convs[0].sampling.max_tokens;
    h.ctrl('s');
    while h.app.modals.last().is_some_and(
        |m| matches!(m, howdah::ui::app::Modal::Settings(f) if f.field(f.row) != "max_tokens"),
    ) {
        h.key(KeyCode::Down, KeyModifiers::NONE);
    }
    // Backspacing the old value and typing a new one passes through other numbers: none applies.
    for _ in 0..6 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(h.app.chat.convs[0].sampling.max_tokens, start);
    }
    h.type_str("300");
    assert_eq!(h.app.chat.convs[0].sampling.max_tokens, start);
    // Leaving the field applies it.
    h.key(KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(h.app.chat.convs[0].sampling.max_tokens, 300);
    // Invalid text is said and not applied, on leaving and on closing.
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.ctrl('u');
    h.type_str("12x");
    assert!(h
        .screen()
        .contains("max_tokens: '12x' is not a whole number"));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.modals.is_empty());
    assert_eq!(h.app.chat.convs[0].sampling.max_tokens, 300);
    assert!(
        h.app
            .notices
            .iter()
            .any(|n| n.text.contains("'12x'") && n.text.contains("not applied")),
        "{:?}",
        h.app.notices
    );
}

#[test]
fn model_picker_lists_models_and_keeps_old_model_on_error() {
    let mut h = Harness::new(110, 24);
    h.ctrl('o');
    assert!(h
        .effects
        .iter()
        .any(|e| matches!(e, Effect::DiscoverModels { .. })));
    let mut gemma = info("Gemma 3 270m", "gemma-3-270m-q4_k_m.gguf", 0);
    gemma.quantization = "Q4_K_M".into();
    gemma.has_chat_template = false;
    *gemma.chat_format = howdah::chat_template::ChatFormat {
        fallback: Some("no chat template".into()),
        origin: howdah::chat_template::TemplateOrigin::None,
        ..Default::default()
    };
    gemma.context_trained = 32768;
    gemma.file_size = 253_000_000;
    gemma.parameters = 268_000_000;
    h.act(Action::ModelsFound(vec![
        Found {
            path: gemma.path.clone(),
            info: Ok(gemma.clone()),
        },
        Found {
            path: PathBuf::from("/models/smol.gguf"),
            info: Ok(info("SmolLM2 135M Instruct", "smol.gguf", 0)),
        },
        Found {
            path: PathBuf::from("/models/broken.gguf"),
            info: Err("/models/broken.gguf: not a GGUF file (bad magic)".into()),
        },
    ]));
    insta::assert_snapshot!("model_picker", h.screen());
    // Load gemma; it fails; the old model stays.
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(&h.effects[..], [Effect::Load { path, .. }] if path == &gemma.path));
    h.load_progress(0.3);
    h.engine(
        Tag::Load,
        EventKind::Error {
            seq: None,
            error: EngineError::ModelFile {
                path: gemma.path.clone(),
                reason: "the file is truncated".into(),
            },
        },
    );
    insta::assert_snapshot!("load_error", h.screen());
    assert_eq!(h.app.model.as_ref().unwrap().name, "SmolLM2 135M Instruct");
    // The old model still answers.
    let g = h.send("still there?");
    h.stream(g, &[("Yes.", 0.9)]);
    h.done(g, StopReason::Eos);
    assert_eq!(h.app.chat.convs[0].messages[1].body.text, "Yes.");
}

#[test]
fn help_overlay_lists_bindings() {
    let mut h = Harness::new(100, 48);
    h.type_str("?");
    let s = h.screen();
    insta::assert_snapshot!("help_overlay", s);
    assert!(
        s.contains("ctrl+q")
            && s.contains("Regenerate the last reply")
            && s.contains("shift+enter")
    );
}

#[test]
fn generation_error_is_shown() {
    let mut h = Harness::new(80, 16);
    let g = h.send("Tell me a story");
    h.stream(g, &[("Once", 0.9)]);
    h.engine(
        Tag::Gen(g),
        EventKind::Error {
            seq: Some(0),
            error: EngineError::PromptTooLong {
                prompt: 5000,
                n_ctx: 2048,
            },
        },
    );
    insta::assert_snapshot!("generation_error", h.screen());
    assert!(!h.app.generating());
}

#[test]
fn tiny_terminal() {
    let mut h = Harness::new(20, 6);
    let g = h.send("hi there, how are you today?");
    h.stream(g, ANSWER);
    insta::assert_snapshot!("tiny", h.screen());
}

#[test]
fn token_view_shows_alternatives() {
    let mut h = Harness::new(80, 24);
    let g = h.send("Say hi");
    h.stream(g, &[("Hello", 0.95), (" there", 0.2), ("!", 0.6)]);
    h.done(g, StopReason::Eos);
    h.ctrl('t');
    h.key(KeyCode::Tab, KeyModifiers::NONE); // focus the transcript
    h.key(KeyCode::Right, KeyModifiers::NONE); // second token
    let s = h.screen();
    insta::assert_snapshot!("token_view", s);
    assert!(s.contains("\" there\"  p = 20.0%"), "{s}");
    // The heat-map colours low and high probability differently.
    let buf = h.term.backend().buffer().clone();
    let bg_of = |needle: &str| {
        let w = buf.area.width;
        (0..buf.area.height).find_map(|y| {
            let row: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            row.find(needle)
                .map(|i| buf[(row[..i].chars().count() as u16, y)].bg)
        })
    };
    assert_ne!(bg_of("Hello"), bg_of(" there").or(bg_of("there")));
}
