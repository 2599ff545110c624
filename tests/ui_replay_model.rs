//! The TUI's session path end to end with the real SmolLM2 model: a greedy two-turn chat driven
//! through `update` is autosaved with real reply records, then opened from the browser and
//! replayed by the replay worker the runtime uses (`replay_task::control`); every turn must be
//! identical, and the chat's model is loaded again afterwards.

mod common;

use std::sync::mpsc;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use howdah::engine::{Engine, EngineSettings, EventKind, Prompt, Sampling};
use howdah::session::replay::Outcome;
use howdah::session::Store;
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{new_input, App, Screen, Setup};
use howdah::ui::effect::Effect;
use howdah::ui::replay_task::{control, Control, ReplayEvent};
use howdah::ui::session_io::run_op;
use howdah::ui::update::update;
use howdah::ui::view::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

struct Driver {
    app: App,
    engine: Arc<Engine>,
    store: Store,
    replay: Option<Control>,
    loads: usize,
}

fn key(code: KeyCode, mods: KeyModifiers) -> Action {
    Action::Key(KeyEvent {
        code,
        modifiers: mods,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

impl Driver {
    /// Applies an action and carries out every effect that follows, as the runtime would.
    fn act(&mut self, a: Action) {
        let mut queue = std::collections::VecDeque::from([a]);
        while let Some(a) = queue.pop_front() {
            let fx = update(&mut self.app, a);
            for e in fx {
                queue.extend(self.execute(e));
            }
        }
    }

    fn execute(&mut self, e: Effect) -> Vec<Action> {
        match e {
            Effect::Session(op) => run_op(&self.store, op)
                .map(Action::Session)
                .into_iter()
                .collect(),
            Effect::Generate {
                gen,
                messages,
                sampling,
            } => {
                let mut out = Vec::new();
                let done = self
                    .engine
                    .generate_one(Prompt::Chat(messages), sampling, |t| {
                        out.push(Action::Engine {
                            tag: Tag::Gen(gen),
                            kind: EventKind::Token(t.clone()),
                        })
                    })
                    .expect("the reply is generated");
                out.push(Action::Engine {
                    tag: Tag::Gen(gen),
                    kind: EventKind::Done(done),
                });
                out
            }
            Effect::Load { path, settings } => {
                self.loads += 1;
                let info = self.engine.load(path, settings).expect("the model loads");
                vec![Action::Engine {
                    tag: Tag::Load,
                    kind: EventKind::Loaded(info),
                }]
            }
            Effect::Replay(ctl) => {
                let (tx, rx) = mpsc::channel();
                let r = control(
                    &mut self.replay,
                    Some(self.engine.clone()),
                    ctl,
                    move |ev: ReplayEvent| {
                        let _ = tx.send(ev);
                    },
                );
                if let Err(ev) = r {
                    return vec![Action::Replay(ev)];
                }
                // Wait for this replay's events up to the end (a step or cancel sends none).
                let mut out = Vec::new();
                while let Ok(ev) = rx.recv() {
                    out.push(Action::Replay(ev));
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

#[test]
fn a_greedy_chat_saved_by_the_tui_replays_identically_in_the_replay_view() {
    let model = common::smollm2();
    let data = tempfile::tempdir().unwrap();
    std::env::set_var("HOWDAH_DATA_DIR", data.path());
    let settings = EngineSettings {
        threads: Some(2),
        n_ctx: Some(2048),
        ..EngineSettings::default()
    };
    let engine = Engine::spawn().expect("engine starts");
    let mut app = App::new(Setup {
        config: Default::default(),
        config_text: String::new(),
        config_dir: data.path().to_path_buf(),
        warnings: vec![],
        engine: settings,
        models_dirs: vec![],
        model: Ok(model.clone()),
    });
    let store = Store::new(data.path().join("sessions"));
    app.sessions.store = store.clone();
    app.convs[0].sampling = Sampling {
        max_tokens: 40,
        ..Sampling::greedy()
    };
    let mut d = Driver {
        app,
        engine: Arc::new(engine),
        store: store.clone(),
        replay: None,
        loads: 0,
    };
    d.act(Action::EngineStarted(Ok(())));
    assert!(
        d.app.model.is_some(),
        "the model loaded: {:?}",
        d.app.notices
    );
    for q in ["What is the capital of France?", "And of Italy?"] {
        d.app.input = new_input(vec![q.to_string()]);
        d.act(key(KeyCode::Enter, KeyModifiers::NONE));
    }
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    let saved = store.open(&list[0].id).unwrap().session;
    assert_eq!(saved.messages.len(), 4, "{saved:?}");
    let rec = saved.messages[3].reply.as_deref().expect("a reply record");
    assert_eq!(rec.model.file_name, common::SMOLLM2);
    assert!(rec.model.sha256.is_some(), "the model was hashed at load");
    assert!(
        rec.stats.prompt_tokens_decoded < rec.stats.prompt_tokens,
        "the second turn reused the KV cache"
    );

    // The browser: the saved chat, p opens the replay view, a replays every turn.
    d.act(key(KeyCode::F(2), KeyModifiers::NONE));
    assert_eq!(d.app.screen, Screen::Sessions);
    d.act(key(KeyCode::Char('p'), KeyModifiers::NONE));
    assert_eq!(d.app.screen, Screen::Replay);
    let loads = d.loads;
    d.act(key(KeyCode::Char('a'), KeyModifiers::NONE));
    let v = d.app.sessions.replay.as_ref().expect("the replay view");
    assert!(v.finished && v.error.is_none(), "{:?}", v.error);
    assert_eq!(v.turns.len(), 2);
    for t in &v.turns {
        assert_eq!(
            t.outcome,
            Outcome::Identical,
            "turn {}: {:?}",
            t.turn,
            t.diff
        );
    }
    assert_eq!(d.loads, loads + 1, "the chat's model is loaded again");
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| render(&d.app, f)).unwrap();
    let screen = format!("{}", term.backend());
    assert!(
        screen.contains("2 replayed: 2 identical, 0 differ"),
        "{screen}"
    );
}
