//! The template browser's ways out, with the scripted fake engine of `support`: refusing to
//! send with a blank variable, the requests a send makes in chat and completion mode, broken
//! user templates with file/line/field, reload after an edit, and the help and hints.

mod support;
mod template_support;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::{ChatMessage, Prompt, Role};
use howdah::prompt::{Library, Mode};
use howdah::ui::action::Action;
use howdah::ui::app::{Level, Screen};
use howdah::ui::effect::Effect;
use howdah::ui::templates::state::{Reloaded, TplFocus};
use support::Harness;
use template_support::{fill, open, pick, rendered, REVIEW};

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
            .any(|e| matches!(e, Effect::Generate { .. })),
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
                prompt: Prompt::Chat(messages),
                sampling,
                ..
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
    assert_eq!(h.app.chat.convs.len(), 2);
    let conv = &h.app.chat.convs[h.app.chat.current];
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
        Effect::Generate {
            prompt: Prompt::Raw(prompt),
            sampling,
            ..
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
        Effect::EditTemplate { source: howdah::ui::templates::jobs::EditSource::File(p), .. } if *p == bad)));
    // Fixed in the editor: the reload says so and picks the template.
    std::fs::write(
        &bad,
        std::fs::read_to_string(&bad)
            .unwrap()
            .replace("output = \"c\"", "output = \"a\""),
    )
    .unwrap();
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib: howdah::ui::templates::jobs::load(&dir),
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
    let howdah::ui::templates::jobs::EditSource::Template(t) = source else {
        panic!("a template")
    };
    // What the runtime does before the editor runs: copy the built-in to the user folder.
    let path = t.ensure_user_file(&dir).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("shots = 4", "shots = 99", 1)).unwrap();
    h.act(Action::TemplatesLoaded(Box::new(Reloaded {
        lib: howdah::ui::templates::jobs::load(&dir),
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
    assert!(screen.contains("Template variables"), "{screen}");
    assert!(
        screen.contains("Compare zero-, one- and k-shot side by side"),
        "the hand-over to the compare view is listed: {screen}"
    );
    // The names config.toml rebinds by, on request.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen.contains("Template browser  [keys.templates]"),
        "{screen}"
    );
    assert!(screen.contains("more_shots = "), "{screen}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Chat);
    assert!(h.screen().contains("ctrl+g"));
}
