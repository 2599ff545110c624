//! The full-screen chat UI, built the Elm way: terminal and engine events become `Action`s,
//! `update` changes the `App` and returns `Effect`s, `view::render` draws `&App`, and `runtime`
//! runs the loop and executes effects.
//!
//! Adding a screen (template browser, compare view, session browser): add a variant to
//! `app::Screen` and its state to `App`; a `keymap::Ctx` with its rows in `keymap::defaults`
//! (help and config then know them); a folder `ui/<screen>/` with the screen's files (`state`,
//! `update` for its keys, `view` for its drawing, and whatever else is its own), and a
//! `screen::ScreenHandler` for it that `screen::of` returns: `update` and `view::render`
//! dispatch through that. Background work is a new `Effect` variant executed in
//! `runtime::Runner::execute`, whose result comes back as an `Action` (see `DiscoverModels` →
//! `ModelsFound`). Dialogs that can open over any screen are `app::Modal`s, with their keys in
//! `update/` and their drawing in `view/`; drawing pieces every screen shares are in `render/`.

pub mod abort_guard;
pub mod action;
pub mod app;
pub mod chat;
pub mod compare;
pub mod effect;
pub mod engine_rows;
pub mod keymap;
pub mod model_label;
pub mod picker_backends;
pub mod presets;
pub mod pull_task;
pub mod render;
pub mod replay;
pub mod reply;
pub mod runtime;
pub mod screen;
pub mod sessions;
pub mod settings;
pub mod templates;
pub mod terminal;
pub mod text_input;
pub mod theme;
pub mod theme_switch;
pub mod update;
pub mod view;

use anyhow::Result;

use crate::engine::remote::Backend;
use app::{App, Setup};

/// Starts the chat UI and runs it until the user quits. `backend` is the model server the
/// engine runs on (`None`: in process), or why the one asked for cannot be used.
pub fn run(setup: Setup, backend: Result<Option<Backend>, String>) -> Result<()> {
    let app = App::new(setup);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut engine = None;
    // llama.cpp writes some errors straight to stderr: send them to the log, not over the UI.
    let stderr_guard = crate::logging::StderrToLog::start();
    let result = {
        let mut guard = terminal::TerminalGuard::new(app.config.mouse)?;
        rt.block_on(runtime::run(&mut guard.terminal, app, &mut engine, backend))
        // The guard drops here: the terminal is restored before the engine is waited for.
    };
    drop(engine);
    drop(stderr_guard);
    result
}
