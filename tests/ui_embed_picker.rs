//! The model picker marks embedding models and does not load them for chat (scripted engine).

mod support;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyModifiers};
use howdah::engine::Pooling;
use howdah::model::discover::Found;
use howdah::ui::action::Action;
use howdah::ui::effect::Effect;
use support::{info, Harness};

#[test]
fn embedding_models_are_marked_and_not_offered_for_chat() {
    let mut h = Harness::new(120, 24);
    h.ctrl('o');
    let mut minilm = info("all-MiniLM-L6-v2", "all-MiniLM-L6-v2.gguf", 0);
    minilm.architecture = "bert".into();
    minilm.has_chat_template = false;
    minilm.pooling = Some(Pooling::Mean);
    h.act(Action::ModelsFound(vec![
        Found {
            path: minilm.path.clone(),
            info: Ok(minilm.clone()),
        },
        Found {
            path: PathBuf::from("/models/smol.gguf"),
            info: Ok(info("SmolLM2 135M Instruct", "smol.gguf", 0)),
        },
    ]));
    let screen = h.screen();
    let line = screen
        .lines()
        .find(|l| l.contains("all-MiniLM-L6-v2"))
        .expect("listed");
    assert!(line.contains("embedding (mean), no chat"), "{screen}");
    // Choosing it loads nothing and says why.
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.key(KeyCode::Up, KeyModifiers::NONE);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        !h.effects.iter().any(|e| matches!(e, Effect::Load { .. })),
        "{:?}",
        h.effects
    );
    let notice = h.app.notices.last().expect("a notice");
    assert!(
        notice.text.contains("is an embedding model") && notice.text.contains("--embed-model"),
        "{}",
        notice.text
    );
    // The chat model below it still loads.
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.effects.iter().any(
        |e| matches!(e, Effect::Load { path, .. } if path == &PathBuf::from("/models/smol.gguf"))
    ));
}

#[test]
fn a_configured_backends_model_switches_the_engine_and_a_file_switches_back() {
    let mut h = Harness::new(120, 24);
    h.ctrl('o');
    let mut remote = info("qwen2.5-7b · gpu-box", "qwen2.5-7b", 0);
    remote.path = PathBuf::from("http://gpu-box.lan:8080");
    remote.backend = Some(howdah::engine::remote::BackendRef {
        name: Some("gpu-box".into()),
        kind: howdah::engine::remote::Kind::LlamaServer,
        url: "http://gpu-box.lan:8080".into(),
        model: "qwen2.5-7b".into(),
        build: None,
        slots: Some(4),
    });
    h.act(Action::ModelsFound(vec![
        Found {
            path: PathBuf::from("/models/smol.gguf"),
            info: Ok(info("SmolLM2 135M Instruct", "smol.gguf", 0)),
        },
        Found {
            path: PathBuf::from("qwen2.5-7b"),
            info: Ok(remote.clone()),
        },
    ]));
    assert!(h.screen().contains("qwen2.5-7b · gpu-box"), "listed");
    // Picking the server's model replaces the engine, then loads that model.
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        h.effects,
        vec![Effect::SwitchEngine {
            backend: Some("gpu-box".into())
        }]
    );
    assert_eq!(h.app.startup_model, Some(PathBuf::from("qwen2.5-7b")));
    h.act(Action::EngineStarted(Ok(())));
    assert!(h
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Load { path, .. } if path == &PathBuf::from("qwen2.5-7b"))));
    h.engine(
        howdah::ui::action::Tag::Load,
        howdah::engine::EventKind::Loaded(remote),
    );
    // Back to a file: the in-process engine again.
    h.ctrl('o');
    h.act(Action::ModelsFound(vec![Found {
        path: PathBuf::from("/models/smol.gguf"),
        info: Ok(info("SmolLM2 135M Instruct", "smol.gguf", 0)),
    }]));
    h.effects.clear();
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.effects, vec![Effect::SwitchEngine { backend: None }]);
}
