//! The event loop: waits (never polls) on terminal input, engine events, background results,
//! signals and — only while something changed — a frame timer; feeds everything through
//! `update` and executes the effects it returns. Frames are coalesced to at most ~60 a second.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use base64::Engine as _;
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::time::Instant;

use super::action::{Action, Tag};
use super::app::App;
use super::effect::Effect;
use super::update::{init, update};
use super::view::render;
use crate::engine::remote::Backend;
use crate::engine::{Engine, Event, Request, RequestId, Variant};

const FRAME: Duration = Duration::from_millis(16);

/// Results of background work, back on the UI thread.
enum Internal {
    Spawned(Result<Engine, String>),
    /// Boxed: most actions are small, a few (a session, a template preview) are not.
    Action(Box<Action>),
}

impl Internal {
    fn action(a: Action) -> Internal {
        Internal::Action(Box::new(a))
    }
}

struct Runner {
    /// Owned by the caller so that it is dropped after the terminal is restored.
    engine: Option<Arc<Engine>>,
    gens: HashMap<u64, RequestId>,
    engine_tx: UnboundedSender<(Tag, Event)>,
    internal_tx: UnboundedSender<Internal>,
    mouse: bool,
    /// A template to edit: the loop hands the terminal to `$EDITOR` between events.
    edit: Option<(super::templates::jobs::EditSource, std::path::PathBuf)>,
    /// The session thread, started with the first session effect.
    sessions: Option<super::sessions::io::Worker>,
    /// The running replay's step channel and cancel flag.
    replay: Option<super::replay::task::ReplayHandle>,
    /// The running model download's cancel flag.
    pull: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The running compare run or evaluation.
    compare: Option<super::compare::run::CompareHandle>,
    /// The engine the model picker switched to (`Some(None)`: in-process); `None`: as started.
    switched: Option<Option<String>>,
    /// The model server the engine was started on (`None`: in process), or why it cannot be used.
    backend: Result<Option<Backend>, String>,
}

/// Runs the UI until the user quits or a signal ends it. The engine handle is left in
/// `engine_slot` for the caller to drop once the terminal is back.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut app: App,
    engine_slot: &mut Option<Arc<Engine>>,
    backend: Result<Option<Backend>, String>,
) -> Result<()> {
    let (engine_tx, mut engine_rx) = unbounded_channel::<(Tag, Event)>();
    let (internal_tx, mut internal_rx) = unbounded_channel::<Internal>();
    let mut term_events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut r = Runner {
        engine: None,
        gens: HashMap::new(),
        engine_tx,
        internal_tx,
        mouse: app.config.mouse,
        edit: None,
        sessions: None,
        replay: None,
        pull: None,
        compare: None,
        switched: None,
        backend,
    };
    // The first frame goes up before the engine starts, so "loading" shows at once.
    terminal.draw(|f| render(&app, f))?;
    let mut last_draw = Instant::now();
    let mut dirty = false;
    for fx in init(&app) {
        r.execute(fx, &mut app);
    }
    let result = loop {
        if app.quit {
            break Ok(());
        }
        tokio::select! {
            ev = term_events.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(a) = r.translate(ev) {
                        r.apply(&mut app, a);
                        dirty = true;
                    }
                }
                Some(Err(e)) => break Err(anyhow::anyhow!("cannot read the terminal: {e}")),
                None => break Ok(()),
            },
            Some((tag, ev)) = engine_rx.recv() => {
                r.apply(&mut app, Action::Engine { tag, kind: ev.kind });
                // Drain what else has arrived: one frame for a burst of tokens.
                while let Ok((tag, ev)) = engine_rx.try_recv() {
                    r.apply(&mut app, Action::Engine { tag, kind: ev.kind });
                }
                dirty = true;
            },
            Some(msg) = internal_rx.recv() => {
                match msg {
                    Internal::Spawned(Ok(engine)) => {
                        let e = Arc::new(engine);
                        *engine_slot = Some(e.clone());
                        r.engine = Some(e);
                        r.apply(&mut app, Action::EngineStarted(Ok(())));
                    }
                    Internal::Spawned(Err(e)) => r.apply(&mut app, Action::EngineStarted(Err(e))),
                    Internal::Action(a) => r.apply(&mut app, *a),
                }
                dirty = true;
            },
            _ = sigterm.recv() => { r.apply(&mut app, Action::Terminate); }
            _ = sighup.recv() => { r.apply(&mut app, Action::Terminate); }
            _ = sigint.recv() => { r.apply(&mut app, Action::Interrupt); dirty = true; }
            _ = tokio::time::sleep_until(last_draw + FRAME), if dirty => {
                terminal.draw(|f| render(&app, f))?;
                last_draw = Instant::now();
                dirty = false;
            }
        }
        if let Some((source, dir)) = r.edit.take() {
            // The key reader must stop first, or it would take the editor's keystrokes.
            drop(term_events);
            let reloaded = super::templates::jobs::edit(terminal, source, &dir, r.mouse);
            term_events = EventStream::new();
            r.apply(&mut app, Action::TemplatesLoaded(Box::new(reloaded)));
            dirty = true;
        }
    };
    if let Some(e) = &r.engine {
        e.cancel_all();
    }
    if let Some(c) = r.compare.take() {
        c.stop();
    }
    result
}

impl Runner {
    fn translate(&self, ev: TermEvent) -> Option<Action> {
        match ev {
            TermEvent::Key(k) => Some(Action::Key(k)),
            TermEvent::Mouse(m) if self.mouse => Some(Action::Mouse(m)),
            TermEvent::Paste(s) => Some(Action::Paste(s)),
            TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
            _ => None,
        }
    }

    fn apply(&mut self, app: &mut App, action: Action) {
        for fx in update(app, action) {
            self.execute(fx, app);
        }
    }

    fn execute(&mut self, fx: Effect, app: &mut App) {
        match fx {
            Effect::StartEngine => {
                let tx = self.internal_tx.clone();
                let backend = self.backend.clone();
                tokio::task::spawn_blocking(move || {
                    // `--backend`: the same engine interface, served by a model server.
                    let r = match backend {
                        Ok(Some(b)) => Engine::spawn_remote(b).map_err(|e| e.to_string()),
                        Ok(None) => Engine::spawn().map_err(|e| e.to_string()),
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Internal::Spawned(r));
                });
            }
            Effect::SwitchEngine { backend } => {
                self.switched = Some(backend.clone());
                let tx = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let r = match backend {
                        Some(spec) => crate::backends::by_spec(&spec)
                            .map_err(|e| format!("{e:#}"))
                            .and_then(|b| Engine::spawn_remote(b).map_err(|e| e.to_string())),
                        None => Engine::spawn().map_err(|e| e.to_string()),
                    };
                    let _ = tx.send(Internal::Spawned(r));
                });
            }
            Effect::Load { path, mut settings } => {
                if settings.chat_template.is_none() {
                    settings.chat_template = crate::chat_template::overrides::configured(
                        &app.config.chat_templates,
                        &path,
                        &app.config_dir,
                    );
                }
                self.submit(Tag::Load, Request::Load { path, settings });
            }
            Effect::Generate {
                gen,
                prompt,
                sampling,
                ..
            } => {
                let req = Request::Generate {
                    variants: vec![Variant { prompt, sampling }],
                };
                if let Some(id) = self.submit(Tag::Gen(gen), req) {
                    self.gens.retain(|g, _| *g + 8 > gen);
                    self.gens.insert(gen, id);
                }
            }
            Effect::CountInput { hash, text } => {
                self.submit(Tag::Count(hash), Request::CountTokens { texts: vec![text] });
            }
            Effect::Cancel { gen } => {
                if let (Some(e), Some(id)) = (&self.engine, self.gens.get(&gen)) {
                    e.cancel(*id);
                }
            }
            Effect::DiscoverModels { extra } => {
                let tx = self.internal_tx.clone();
                let switched = self.switched.clone();
                let started = self.backend.clone().ok().flatten();
                tokio::task::spawn_blocking(move || {
                    let found = super::picker_backends::discover(switched, started, &extra);
                    let _ = tx.send(Internal::action(Action::ModelsFound(found)));
                });
            }
            Effect::Compare(job) => {
                let tx = self.internal_tx.clone();
                super::compare::run::control(
                    &mut self.compare,
                    self.engine.clone(),
                    app.model.clone(),
                    job,
                    move |a| {
                        let _ = tx.send(Internal::action(a));
                    },
                );
            }
            Effect::Copy(text) => {
                // OSC 52: the terminal (or tmux with set-clipboard on) puts it on the clipboard.
                let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                let mut out = std::io::stdout();
                let _ = write!(out, "\x1b]52;c;{b64}\x07");
                let _ = out.flush();
            }
            Effect::SavePresets {
                presets,
                config_dir,
            } => {
                let tx = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let r = presets.save(&config_dir).map(|()| {
                        format!("presets to {}", super::presets::path(&config_dir).display())
                    });
                    let _ = tx.send(Internal::action(Action::Saved(r)));
                });
            }
            Effect::LoadTemplates { dir } => {
                let tx = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let lib = super::templates::jobs::load(&dir);
                    let r = super::templates::state::Reloaded {
                        lib,
                        edited: None,
                        error: None,
                    };
                    let _ = tx.send(Internal::action(Action::TemplatesLoaded(Box::new(r))));
                });
            }
            Effect::TemplatePreview(req) => {
                let id = req.id;
                let result = match (&self.engine, &app.model) {
                    (Some(e), Some(info)) => {
                        let (e, info, tx) = (e.clone(), info.clone(), self.internal_tx.clone());
                        tokio::task::spawn_blocking(move || {
                            let result =
                                super::templates::jobs::preview(&e, &info, *req).map(Box::new);
                            let _ =
                                tx.send(Internal::action(Action::TemplatePreview { id, result }));
                        });
                        return;
                    }
                    _ => Err("no model is loaded".to_string()),
                };
                self.queue(Action::TemplatePreview { id, result });
            }
            Effect::EditTemplate { source, dir } => self.edit = Some((source, dir)),
            Effect::Session(op) => self.session(op, app),
            Effect::Replay(ctl) => self.replay(ctl),
            Effect::Pull(ctl) => {
                let tx = self.internal_tx.clone();
                super::pull_task::control(&mut self.pull, ctl, move |ev| {
                    let _ = tx.send(Internal::action(Action::Pull(ev)));
                });
            }
        }
    }

    fn session(&mut self, op: super::sessions::state::SessionOp, app: &App) {
        let tx = self.internal_tx.clone();
        if let super::sessions::state::SessionOp::HashModel(_) = &op {
            // Hashing a large model takes seconds: never in the way of the ordered saves.
            let store = app.sessions.store.clone();
            tokio::task::spawn_blocking(move || {
                if let Some(ev) = super::sessions::io::run_op(&store, op) {
                    let _ = tx.send(Internal::action(Action::Session(ev)));
                }
            });
            return;
        }
        self.sessions
            .get_or_insert_with(|| {
                super::sessions::io::Worker::spawn(app.sessions.store.clone(), move |a| {
                    let _ = tx.send(Internal::action(a));
                })
            })
            .submit(op);
    }

    fn replay(&mut self, ctl: super::replay::task::ReplayCtl) {
        let tx = self.internal_tx.clone();
        let send = move |ev| {
            let _ = tx.send(Internal::action(Action::Replay(ev)));
        };
        if let Err(ev) =
            super::replay::task::control(&mut self.replay, self.engine.clone(), ctl, send)
        {
            self.queue(Action::Replay(ev));
        }
    }

    /// An answer known at once still goes through the loop, after the effects of the action
    /// that asked: `execute` never calls `update` itself.
    fn queue(&self, action: Action) {
        let _ = self.internal_tx.send(Internal::action(action));
    }

    /// Sends a request with a sink that tags its events; without an engine, answers with an error.
    fn submit(&mut self, tag: Tag, req: Request) -> Option<RequestId> {
        let Some(engine) = &self.engine else {
            let kind = crate::engine::EventKind::Error {
                seq: None,
                error: crate::engine::EngineError::Stopped,
            };
            self.queue(Action::Engine { tag, kind });
            return None;
        };
        let tx = self.engine_tx.clone();
        Some(engine.submit(req, move |e: Event| tx.send((tag, e)).is_ok()))
    }
}
