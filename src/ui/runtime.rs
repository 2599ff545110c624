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
use crate::engine::{Engine, Event, Prompt, Request, RequestId, Variant};

const FRAME: Duration = Duration::from_millis(16);

/// Results of background work, back on the UI thread.
enum Internal {
    Spawned(Result<Engine, String>),
    Action(Action),
}

struct Runner {
    /// Owned by the caller so that it is dropped after the terminal is restored.
    engine: Option<Arc<Engine>>,
    gens: HashMap<u64, RequestId>,
    engine_tx: UnboundedSender<(Tag, Event)>,
    internal_tx: UnboundedSender<Internal>,
    mouse: bool,
}

/// Runs the UI until the user quits or a signal ends it. The engine handle is left in
/// `engine_slot` for the caller to drop once the terminal is back.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut app: App,
    engine_slot: &mut Option<Arc<Engine>>,
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
                    Internal::Action(a) => r.apply(&mut app, a),
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
    };
    if let Some(e) = &r.engine {
        e.cancel_all();
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
            Effect::StartEngine { .. } => {
                let tx = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let r = Engine::spawn().map_err(|e| e.to_string());
                    let _ = tx.send(Internal::Spawned(r));
                });
            }
            Effect::Load { path, settings } => {
                self.submit(app, Tag::Load, Request::Load { path, settings });
            }
            Effect::Generate {
                gen,
                messages,
                sampling,
            } => {
                let req = Request::Generate {
                    variants: vec![Variant {
                        prompt: Prompt::Chat(messages),
                        sampling,
                    }],
                };
                if let Some(id) = self.submit(app, Tag::Gen(gen), req) {
                    self.gens.retain(|g, _| *g + 8 > gen);
                    self.gens.insert(gen, id);
                }
            }
            Effect::Cancel { gen } => {
                if let (Some(e), Some(id)) = (&self.engine, self.gens.get(&gen)) {
                    e.cancel(*id);
                }
            }
            Effect::DiscoverModels { extra } => {
                let tx = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let found = crate::model::discover::discover(&extra);
                    let _ = tx.send(Internal::Action(Action::ModelsFound(found)));
                });
            }
            Effect::Compare(job) => {
                let tx = self.internal_tx.clone();
                super::compare_run::execute(
                    job,
                    self.engine.clone(),
                    app.model.clone(),
                    move |a| {
                        let _ = tx.send(Internal::Action(a));
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
                    let _ = tx.send(Internal::Action(Action::Saved(r)));
                });
            }
        }
    }

    /// Sends a request with a sink that tags its events; without an engine, answers with an error.
    fn submit(&mut self, app: &mut App, tag: Tag, req: Request) -> Option<RequestId> {
        let Some(engine) = &self.engine else {
            let kind = crate::engine::EventKind::Error {
                seq: None,
                error: crate::engine::EngineError::Stopped,
            };
            for fx in update(app, Action::Engine { tag, kind }) {
                self.execute(fx, app);
            }
            return None;
        };
        let tx = self.engine_tx.clone();
        Some(engine.submit(req, move |e: Event| tx.send((tag, e)).is_ok()))
    }
}
