//! What the compare view's keys and its dialogs share: the layout and sampling a variant gets,
//! closing its dialogs and leaving the view for another screen.

use crate::engine::Sampling;
use crate::prompt::Mode;
use crate::ui::app::{App, Ask, Modal, Screen};
use crate::ui::effect::Effect;
use crate::ui::keymap::Cmd;

/// The preset name meaning "the template's own sampling".
pub const TEMPLATE_PRESET: &str = "template";

pub(crate) fn mode_of(app: &App) -> Mode {
    app.model
        .as_ref()
        .map(Mode::for_model)
        .unwrap_or(Mode::Chat)
}

/// The sampling a preset name stands for with template `t` in `mode`.
pub(crate) fn sampling_for(
    app: &App,
    preset: &str,
    t: &crate::prompt::Template,
    mode: Mode,
) -> Sampling {
    if preset == TEMPLATE_PRESET {
        t.sampling_for(mode)
    } else {
        app.presets
            .get(preset)
            .unwrap_or_else(|| t.sampling_for(mode))
    }
}

/// Closes the view's dialogs (its own and the path question) on the app's modal stack.
pub(crate) fn close_modals(app: &mut App) {
    app.modals.retain(|m| {
        !matches!(
            m,
            Modal::Compare(_)
                | Modal::Ask {
                    ask: Ask::ComparePath(_),
                    ..
                }
        )
    });
}

/// The keys of the other screens work in the compare view and its dialogs: the chat (the
/// compare key again), the template browser, the sessions. Returns whether `cmd` was one.
pub(crate) fn leave_for(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) -> bool {
    if !matches!(cmd, Cmd::CompareOpen | Cmd::Templates | Cmd::Sessions) {
        return false;
    }
    close_modals(app);
    if app.compare.as_ref().is_some_and(|st| st.template.is_none()) {
        // Nothing picked yet: as esc in the picker, the view is not kept.
        app.compare = None;
    }
    app.screen = Screen::Chat;
    if cmd != Cmd::CompareOpen {
        crate::ui::update::global::command(app, cmd, fx);
    }
    true
}
