//! `update`: the one place the UI state changes. It turns an `Action` into state changes and a
//! list of `Effect`s for the runtime; it never does I/O itself, so tests drive it directly.
//! Here: the dispatch of every action (keys go to the open dialog, else to the shown screen
//! through `screen::of`; results of background work to the feature that asked), and what is
//! shared by all screens: the app-wide commands (`global`), the dialogs (`dialogs`, `settings`,
//! `model_picker`, `pull`), engine start-up and loading (`engine`) and autosave (`autosave`).

pub mod autosave;
mod dialogs;
mod engine;
pub(crate) mod global;
mod model_picker;
mod pull;
mod settings;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEventKind};

use super::action::Action;
use super::app::{App, Level, Modal};
use super::chat::state::Focus;
use super::compare::state::CompareModal;
use super::effect::Effect;
use super::keymap::key_spec::KeySpec;
use super::keymap::{Cmd, Ctx};
use super::screen;

/// The effects to run once the first frame is on screen: the engine starts in the background,
/// and the sessions folder is read (the recent chats come back).
pub fn init(app: &App) -> Vec<Effect> {
    let _ = app;
    vec![Effect::StartEngine, crate::ui::sessions::update::init()]
}

/// Applies one action; returns what the runtime must do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(k) => {
            if k.kind == KeyEventKind::Release {
                return fx;
            }
            // Info notes ("copied") last until the next key once they are on show (one under
            // a warning waits for the warning's dismissal).
            if app.shown_notice().is_some_and(|n| n.level == Level::Info) {
                app.notices.retain(|n| n.level != Level::Info);
            }
            on_key(app, k, &mut fx);
        }
        Action::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => scroll_target(app, -3),
            MouseEventKind::ScrollDown => scroll_target(app, 3),
            _ => {}
        },
        Action::Paste(text) if app.modals.is_empty() => {
            screen::of(app.screen).paste(app, &clean_paste(&text), &mut fx)
        }
        Action::Paste(text) => dialogs::paste(app, &clean_paste(&text)),
        Action::Compare(m) => crate::ui::compare::update::msg(app, m, &mut fx),
        Action::Resize(..) => {}
        Action::EngineStarted(r) => engine::started(app, r, &mut fx),
        Action::Engine { tag, kind } => {
            let loaded = matches!(kind, crate::engine::EventKind::Loaded(_));
            // Autosave sees the event after the chat has taken it (a reply is then final).
            let (before, seen) = (app.chat.generation, autosave::seen(&kind));
            engine::event(app, tag, kind, &mut fx);
            autosave::engine_event(app, tag, before, seen, &mut fx);
            if loaded {
                crate::ui::templates::library::model_changed(app, &mut fx);
                crate::ui::compare::open::model_changed(app);
            }
        }
        Action::TemplatesLoaded(r) => {
            crate::ui::templates::library::loaded(app, *r, &mut fx);
            crate::ui::compare::open::library_loaded(app);
        }
        Action::TemplatePreview { id, result } => {
            crate::ui::templates::library::preview_done(app, id, result, &mut fx)
        }
        Action::Session(ev) => crate::ui::sessions::events::event(app, ev, &mut fx),
        Action::Replay(ev) => crate::ui::replay::update::event(app, ev, &mut fx),
        Action::ModelsFound(found) => model_picker::found(app, found),
        Action::Pull(ev) => pull::event(app, ev, &mut fx),
        Action::Saved(r) => match r {
            Ok(what) => app.notify(Level::Info, format!("saved {what}")),
            Err(e) => app.notify(Level::Error, e),
        },
        Action::Terminate => app.quit = true,
        Action::Interrupt => global::interrupt(app, &mut fx),
    }
    // Only the focused input shows a cursor.
    let focused = app.chat.focus == Focus::Input && app.modals.is_empty();
    let cursor = if focused {
        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        ratatui::style::Style::default()
    };
    if app.chat.input.cursor_style() != cursor {
        app.chat.input.set_cursor_style(cursor);
    }
    // The message input (re-created on send, switch and history) always has its hint.
    if app.chat.input.placeholder_text().is_empty() {
        app.chat.input.set_placeholder_text("Ask anything…");
        app.chat
            .input
            .set_placeholder_style(ratatui::style::Style::default().fg(app.theme.dim));
    }
    autosave::after(app, &mut fx);
    super::chat::input_size::after(app, &mut fx);
    fx
}

/// Pasted text keeps its lines and tabs; other control characters are dropped.
fn clean_paste(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Mouse wheel: the open dialog's text where it scrolls (the help, the compare view's prompt
/// overlay), else the screen's when no dialog is open.
fn scroll_target(app: &mut App, delta: isize) {
    match app.modals.last_mut() {
        Some(Modal::Help { scroll, .. } | Modal::Compare(CompareModal::Prompt { scroll, .. })) => {
            *scroll = scroll.saturating_add_signed(delta as i16)
        }
        Some(_) => {}
        None => screen::of(app.screen).scroll(app, delta),
    }
}

fn on_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    if let Some(Modal::Compare(_)) = app.modals.last() {
        return crate::ui::compare::modal::key(app, k, fx);
    }
    if !app.modals.is_empty() {
        let ctx = screen::ctx(app);
        if let Some(cmd) = app.keymap.get(ctx, &spec) {
            return dialogs::command(app, cmd, fx);
        }
        // Leaving and help work from every dialog.
        match app.keymap.get(Ctx::Global, &spec) {
            Some(Cmd::Quit) => app.quit = true,
            Some(Cmd::Interrupt) => global::interrupt(app, fx),
            Some(Cmd::Help) if !spec.is_text() && ctx != Ctx::Help => {
                app.modals.push(Modal::Help {
                    ctx: Some(ctx),
                    scroll: 0,
                    names: false,
                })
            }
            _ => dialogs::text_key(app, k),
        }
        return;
    }
    // The theme switches on every screen.
    if app.keymap.get(Ctx::Global, &spec) == Some(Cmd::ThemeNext) {
        return super::theme_switch::step(app, true);
    }
    screen::of(app.screen).key(app, k, fx)
}
