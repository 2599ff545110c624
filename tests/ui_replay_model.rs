//! The TUI's session path end to end with the real SmolLM2 model: a greedy two-turn chat driven
//! through `update` is autosaved with real reply records, then opened from the browser and
//! replayed by the replay worker the runtime uses (`replay::task::control`); every turn must be
//! identical, and the chat's model is loaded again afterwards.

mod common;

use std::sync::mpsc;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use howdah::engine::{Engine, EngineSettings, EventKind, Sampling};
use howdah::session::replay::Outcome;
use howdah::session::Store;
use howdah::ui::action::{Action, Tag};
use howdah::ui::app::{App, Screen, Setup};
use howdah::ui::effect::Effect;
use howdah::ui::replay::task::{control, ReplayEvent, ReplayHandle};
use howdah::ui::sessions::io::run_op;
use howdah::ui::templates::state::Reloaded;
use howdah::ui::text_input::new_input;
use howdah::ui::update::update;
use howdah::ui::view::render;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

struct Driver {
    app: App,
    engine: Arc<Engine>,
    store: Store,
    replay: Option<ReplayHandle>,
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
                prompt,
                sampling,
                ..
            } => {
                let mut out = Vec::new();
                let done = self
                    .engine
                    .generate_one(prompt, sampling, |t| {
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
            Effect::LoadTemplates { dir } => vec![Action::TemplatesLoaded(Box::new(Reloaded {
                lib: howdah::ui::templates::jobs::load(&dir),
                edited: None,
                error: None,
            }))],
            Effect::TemplatePreview(req) => {
                let info = self.app.model.clone().expect("a model for the preview");
                let id = req.id;
                let result =
                    howdah::ui::templates::jobs::preview(&self.engine, &info, *req).map(Box::new);
                vec![Action::TemplatePreview { id, result }]
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

/// A driver on SmolLM2 with its model loaded, saving sessions under `data`.
fn driver(data: &std::path::Path) -> Driver {
    // Found before any test points the data folder elsewhere (tests share the process).
    static MODEL: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let model = MODEL.get_or_init(common::smollm2).clone();
    std::env::set_var("HOWDAH_DATA_DIR", data);
    let settings = EngineSettings {
        threads: Some(2),
        n_ctx: Some(2048),
        ..EngineSettings::default()
    };
    let engine = Engine::spawn().expect("engine starts");
    let mut app = App::new(Setup {
        config: Default::default(),
        config_text: String::new(),
        config_dir: data.to_path_buf(),
        warnings: vec![],
        engine: settings,
        models_dirs: vec![],
        model: Ok(model),
    });
    let store = Store::new(data.join("sessions"));
    app.sessions.store = store.clone();
    app.chat.convs[0].sampling = Sampling {
        max_tokens: 40,
        ..Sampling::greedy()
    };
    let mut d = Driver {
        app,
        engine: Arc::new(engine),
        store,
        replay: None,
        loads: 0,
    };
    d.act(Action::EngineStarted(Ok(())));
    assert!(
        d.app.model.is_some(),
        "the model loaded: {:?}",
        d.app.notices
    );
    d
}

#[test]
fn a_greedy_chat_saved_by_the_tui_replays_identically_in_the_replay_view() {
    let data = tempfile::tempdir().unwrap();
    let mut d = driver(data.path());
    let store = d.store.clone();
    for q in ["What is the capital of France?", "And of Italy?"] {
        d.app.chat.input = new_input(vec![q.to_string()]);
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
    template_sends_in_either_layout_are_recorded_and_replay_only_their_real_turn(&mut d);
    a_chat_with_versions_replays_the_line_it_shows(&mut d);
}

/// Sends template `name` from the browser on `input`, in completion layout when `raw`.
fn template_send(d: &mut Driver, name: &str, input: &str, raw: bool) {
    d.act(key(KeyCode::Char('g'), KeyModifiers::CONTROL));
    assert_eq!(d.app.screen, Screen::Templates);
    for _ in 0..40 {
        if d.app.templates.template().map(|t| t.name.as_str()) == Some(name) {
            break;
        }
        d.act(key(KeyCode::Down, KeyModifiers::NONE));
    }
    d.act(key(KeyCode::Tab, KeyModifiers::NONE));
    for c in input.chars() {
        d.act(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
    d.act(key(KeyCode::Esc, KeyModifiers::NONE));
    if raw != (d.app.templates.mode(d.app.model.as_ref()) == howdah::prompt::Mode::Completion) {
        d.act(key(KeyCode::Char('m'), KeyModifiers::NONE));
    }
    d.act(key(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(d.app.screen, Screen::Chat, "{:?}", d.app.notices);
}

/// Issue 13, step 1 and bug 2: replies sent from the template browser are recorded in both
/// layouts (a completion used to get no record, and replay failed on it), and a chat started
/// from a few-shot template replays its one real turn: the worked examples are context, on the
/// recorded model and on the loaded one alike.
// Run from the test above: one engine per test binary (llama.cpp's backend is process-wide).
fn template_sends_in_either_layout_are_recorded_and_replay_only_their_real_turn(d: &mut Driver) {
    use howdah::session::replay::{plan, replay, ReplayOptions};
    use howdah::session::PromptMode;
    let before: Vec<String> = d.store.list().unwrap().into_iter().map(|s| s.id).collect();
    d.app.screen = Screen::Chat;
    template_send(d, "sentiment", "A warm, funny film.", false);
    template_send(d, "sentiment", "A dull, endless film.", true);
    let mut sessions: Vec<_> = d
        .store
        .list()
        .unwrap()
        .iter()
        .filter(|s| !before.contains(&s.id))
        .map(|s| d.store.open(&s.id).unwrap().session)
        .collect();
    assert_eq!(sessions.len(), 2);
    sessions.sort_by_key(|s| s.messages.len());
    let (raw, chat) = (&sessions[0], &sessions[1]);

    // Completion layout: the raw text and its reply, recorded as a raw prompt.
    assert_eq!(raw.messages.len(), 2, "{raw:?}");
    let rec = raw.messages[1]
        .reply
        .as_deref()
        .expect("the completion's record");
    assert_eq!(rec.mode, PromptMode::Raw);
    assert!(rec.setup.is_some(), "the template is named");
    // Chat layout: system, worked examples and the input; the reply names its examples.
    let rec = chat
        .messages
        .last()
        .unwrap()
        .reply
        .as_deref()
        .expect("a record");
    assert_eq!(rec.mode, PromptMode::Chat);
    let shots = rec.setup.as_ref().map(|s| s.shots.len()).unwrap_or(0);
    assert!(shots > 0, "a few-shot template: {rec:?}");
    assert_eq!(chat.messages.len(), 1 + 2 * shots + 2);

    let on_loaded = ReplayOptions {
        model: Some(d.app.model.as_ref().unwrap().path.clone()),
        ..ReplayOptions::default()
    };
    for s in [raw, chat] {
        for opts in [&ReplayOptions::default(), &on_loaded] {
            let mut w = Vec::new();
            let plans = plan(s, opts, &mut w).expect("the session plans");
            assert_eq!(plans.len(), 1, "one real turn: {plans:?}");
            assert_eq!(plans[0].reply_index, s.messages.len() - 1);
        }
        let report = replay(&d.engine, s, &ReplayOptions::default(), |_| {}).unwrap();
        assert!(report.all_identical(), "{:?}", report.turns);
    }
}

/// Issue 13, bug 11: a chat whose reply was regenerated and whose question was then edited keeps
/// both branches; replay follows the line shown, and after ← on the edited question brings the
/// old branch back, replays that one.
// Run from the first test: one engine per test binary.
fn a_chat_with_versions_replays_the_line_it_shows(d: &mut Driver) {
    d.app.screen = Screen::Chat;
    d.act(key(KeyCode::Char('n'), KeyModifiers::CONTROL));
    let c = d.app.chat.current;
    d.app.chat.convs[c].sampling = Sampling {
        max_tokens: 24,
        ..Sampling::greedy()
    };
    d.app.chat.input = new_input(vec!["What is 2 + 2?".into()]);
    d.act(key(KeyCode::Enter, KeyModifiers::NONE));
    d.act(key(KeyCode::Char('r'), KeyModifiers::CONTROL));
    d.act(key(KeyCode::Char('e'), KeyModifiers::CONTROL));
    d.app.chat.input = new_input(vec!["What is 3 + 3?".into()]);
    d.act(key(KeyCode::Enter, KeyModifiers::NONE));
    let path = d.app.sessions.links[&d.app.chat.convs[c].id].path.clone();
    let open = || howdah::session::read_file(&path).unwrap().session;
    let s = open();
    assert_eq!(s.messages.len(), 2, "{s:?}");
    assert_eq!(s.messages[0].content, "What is 3 + 3?");
    assert_eq!(
        s.versions_at(0),
        Some((2, 2)),
        "the edit kept the first question"
    );
    replays_the_shown_line(d, &s);

    // ← on the edited question: the first question and its (regenerated) reply come back.
    d.act(key(KeyCode::Tab, KeyModifiers::NONE));
    d.act(key(KeyCode::Up, KeyModifiers::NONE));
    d.act(key(KeyCode::Left, KeyModifiers::NONE));
    assert_eq!(d.app.chat.convs[c].messages[0].body.text, "What is 2 + 2?");
    let s = open();
    assert_eq!(s.messages[0].content, "What is 2 + 2?");
    assert_eq!(s.versions_at(0), Some((1, 2)));
    assert_eq!(
        s.versions_at(1),
        Some((2, 2)),
        "the regenerated reply's versions"
    );
    replays_the_shown_line(d, &s);
}

/// Replay runs the one turn of the line shown, against its recorded reply. (Identity is not
/// asked: these replies were recorded with part of another conversation's prompt still in the
/// KV cache, which a replay's fresh first turn decodes differently in the last bits.)
fn replays_the_shown_line(d: &Driver, s: &howdah::session::Session) {
    use howdah::session::replay::{replay, ReplayOptions};
    let report = replay(&d.engine, s, &ReplayOptions::default(), |_| {}).unwrap();
    assert_eq!(report.turns.len(), 1, "{:?}", report.turns);
    let t = &report.turns[0];
    assert_eq!(t.user, s.messages[s.messages.len() - 2].content);
    assert_eq!(t.recorded, s.messages[s.messages.len() - 1].content);
    assert!(!t.replayed.trim().is_empty(), "{t:?}");
}
