//! A scripted fake engine for the UI tests ONLY: tests feed `Action`s (keys and engine `Event`s)
//! into `update` and render to ratatui's TestBackend. Every other test uses the real engine.
#![allow(dead_code)]

pub mod compare;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use howdah::engine::{DoneStats, EventKind, ModelInfo, StopReason, TokenAlt, TokenEvent};
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{App, Setup};
use howdah::ui::effect::Effect;
use howdah::ui::update::{init, update};
use howdah::ui::view::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

pub struct Harness {
    pub app: App,
    pub term: Terminal<TestBackend>,
    pub effects: Vec<Effect>,
    _dir: tempfile::TempDir,
}

pub fn info(name: &str, file: &str, n_ctx: u32) -> ModelInfo {
    ModelInfo {
        path: PathBuf::from(format!("/models/{file}")),
        file_name: file.into(),
        name: name.into(),
        architecture: "llama".into(),
        parameters: 134_515_008,
        file_size: 98_365_000,
        quantization: "Q4_1".into(),
        context_trained: 8192,
        has_chat_template: true,
        chat_format: Box::new(howdah::chat_template::ChatFormat {
            kind: howdah::chat_template::FormatKind::Jinja,
            ..Default::default()
        }),
        pooling: None,
        n_ctx,
        threads: 2,
        n_batch: 512,
        ctx_reason: String::new(),
        notes: Vec::new(),
        threads_reason: None,
        backend: None,
        offload: None,
    }
}

impl Harness {
    /// A started app with a fake model loaded, at `w`×`h`.
    pub fn new(w: u16, h: u16) -> Harness {
        Self::with_config(w, h, "")
    }

    pub fn with_config(w: u16, h: u16, config: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let loaded_cfg = howdah::config::parse(config);
        let (cfg, warnings) = match loaded_cfg {
            Ok(c) => (c, vec![]),
            Err(e) => (
                Default::default(),
                vec![format!("config.toml: {e}; using the default settings")],
            ),
        };
        let app = App::new(Setup {
            config: cfg,
            config_text: config.into(),
            config_dir: dir.path().to_path_buf(),
            warnings,
            engine: Default::default(),
            models_dirs: vec![],
            model: Ok(PathBuf::from("/models/smol.gguf")),
        });
        let mut h = Harness {
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            effects: Vec::new(),
            _dir: dir,
        };
        let fx = init(&h.app);
        h.effects.extend(fx);
        h.draw();
        h.act(Action::EngineStarted(Ok(())));
        h.load_progress(0.5);
        h.engine(
            Tag::Load,
            EventKind::Loaded(info("SmolLM2 135M Instruct", "smol.gguf", 2048)),
        );
        // The "loaded" note is transient (gone at the next key); start from a clean screen.
        h.app
            .notices
            .retain(|n| n.level != howdah::ui::app::Level::Info);
        h.effects.clear();
        h
    }

    pub fn act(&mut self, a: Action) {
        let fx = update(&mut self.app, a);
        self.effects.extend(fx);
    }

    /// Answers a template library load asked for since the effects were last cleared, as the
    /// runtime would (the built-ins plus the harness's empty config folder).
    pub fn answer_template_load(&mut self) {
        let dir = self.effects.iter().find_map(|e| match e {
            Effect::LoadTemplates { dir } => Some(dir.clone()),
            _ => None,
        });
        if let Some(dir) = dir {
            let lib = howdah::ui::templates::jobs::load(&dir);
            self.act(Action::TemplatesLoaded(Box::new(
                howdah::ui::templates::state::Reloaded {
                    lib,
                    edited: None,
                    error: None,
                },
            )));
        }
    }

    pub fn engine(&mut self, tag: Tag, kind: EventKind) {
        self.act(Action::Engine { tag, kind });
    }

    pub fn load_progress(&mut self, p: f32) {
        self.engine(Tag::Load, EventKind::LoadProgress(p));
    }

    pub fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        self.act(Action::Key(KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }));
        self.draw();
    }

    /// One notch of the mouse wheel (`ScrollUp` or `ScrollDown`) over the middle of the screen.
    pub fn wheel(&mut self, kind: crossterm::event::MouseEventKind) {
        let area = self.term.backend().buffer().area;
        self.act(Action::Mouse(crossterm::event::MouseEvent {
            kind,
            column: area.width / 2,
            row: area.height / 2,
            modifiers: KeyModifiers::NONE,
        }));
        self.draw();
    }

    pub fn ctrl(&mut self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    pub fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// Types and sends a message; returns the generation number the app asked for.
    pub fn send(&mut self, s: &str) -> u64 {
        self.type_str(s);
        self.effects.clear();
        self.key(KeyCode::Enter, KeyModifiers::NONE);
        self.last_gen().expect("sending should start a generation")
    }

    pub fn last_gen(&self) -> Option<u64> {
        self.effects.iter().rev().find_map(|e| match e {
            Effect::Generate { gen, .. } => Some(*gen),
            _ => None,
        })
    }

    /// Streams `pieces` as tokens of generation `gen`, each with a probability.
    pub fn stream(&mut self, gen: u64, pieces: &[(&str, f32)]) {
        for (i, (p, prob)) in pieces.iter().enumerate() {
            self.engine(
                Tag::Gen(gen),
                EventKind::Token(TokenEvent {
                    seq: 0,
                    token_id: i as i32 + 100,
                    text: p.to_string(),
                    piece: p.to_string(),
                    logprob: prob.ln(),
                    top: vec![
                        TokenAlt {
                            token_id: 1,
                            text: p.to_string(),
                            prob: *prob,
                        },
                        TokenAlt {
                            token_id: 2,
                            text: " maybe".into(),
                            prob: (1.0 - prob) * 0.6,
                        },
                    ],
                    context_used: 40 + i as u32,
                }),
            );
        }
        self.draw();
    }

    pub fn done(&mut self, gen: u64, stop: StopReason) {
        let text = match self.app.chat.convs[self.app.chat.current].messages.last() {
            Some(m) => m.body.text.clone(),
            None => String::new(),
        };
        self.engine(
            Tag::Gen(gen),
            EventKind::Done(DoneStats {
                seq: 0,
                stop,
                text,
                prompt_tokens: 30,
                prompt_tokens_decoded: 30,
                generated_tokens: 42,
                ttft_ms: 85.0,
                prompt_tps: 900.0,
                gen_tps: 61.5,
                mean_logprob: -0.4,
                dropped_messages: 0,
                context_used: 312,
                template_fallback: None,
            }),
        );
        self.draw();
    }

    pub fn draw(&mut self) {
        let app = &self.app;
        self.term.draw(|f| render(app, f)).unwrap();
    }

    pub fn screen(&mut self) -> String {
        self.draw();
        let buf = self.term.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            for x in 0..buf.area.width {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A markdown reply with every construct the renderer knows.
pub const ANSWER: &[(&str, f32)] = &[
    ("## Adding", 0.9),
    (" numbers\n\n", 0.8),
    ("Here is **one** way", 0.7),
    (" (see [docs](https://docs.python.org)):\n\n", 0.5),
    ("```python\n", 0.95),
    ("def add(a, b):\n", 0.9),
    ("    return a + b\n", 0.85),
    ("```\n\n", 0.99),
    ("- fast\n- *simple*\n\n", 0.6),
    ("> quoted note\n\n", 0.3),
    ("| op | result |\n|---|---:|\n| 1+2 | 3 |\n", 0.4),
];
