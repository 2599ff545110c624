//! The commands that work on every screen: quitting, ctrl+c, help, the model picker and going
//! to another screen. Each screen's keys hand their global-context bindings here; the chat's
//! own global ones (new chat, regenerate, copy…) stay with the chat.

use crate::ui::app::{App, Confirm, Modal};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// Runs an app-wide command; false when `cmd` is not one (a chat-screen command of the global
/// context, which the chat's keys then take).
pub(crate) fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
    match cmd {
        Cmd::Quit => app.quit = true,
        Cmd::Interrupt => interrupt(app, fx),
        Cmd::Help => app.modals.push(Modal::Help {
            ctx: None,
            scroll: 0,
            names: false,
        }),
        Cmd::Models => super::model_picker::open(app, fx),
        Cmd::Templates => crate::ui::templates::library::open(app, fx),
        Cmd::Sessions => crate::ui::sessions::update::open_browser(app, fx),
        Cmd::CompareOpen => crate::ui::compare::open::open(app, fx),
        _ => return false,
    }
    true
}

/// ctrl+c (or SIGINT): stops the reply being generated; when idle, asks to quit, and a second
/// one at the question quits.
pub(crate) fn interrupt(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(g) = app.chat.generation {
        fx.push(Effect::Cancel { gen: g.gen });
    } else if matches!(
        app.modals.last(),
        Some(Modal::Confirm {
            what: Confirm::Quit,
            ..
        })
    ) {
        // A second ctrl+c at the question means it.
        app.quit = true;
    } else {
        app.modals.push(Modal::Confirm {
            what: Confirm::Quit,
            question: "Quit howdah?".into(),
        });
    }
}
