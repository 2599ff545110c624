//! The one interface every full-screen view offers — keys, pasted text, the mouse wheel, the
//! key context its bindings and help use, drawing — and the one place that picks the shown
//! screen's (`of`). `update` and `view` dispatch through it instead of testing `app.screen`.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::app::{App, Screen};

use super::chat::state::Focus;
use super::effect::Effect;
use super::keymap::Ctx;

/// What a full-screen view does with input and how it draws; dialogs (`app.modals`) come
/// before it. (`Screen` names which view is shown; this is what each one does.)
pub trait ScreenHandler: Sync {
    /// A key no dialog took.
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>);
    /// Pasted text (already cleaned) when no dialog is open; by default it goes to the message
    /// input (screens without a text field of their own).
    fn paste(&self, app: &mut App, text: &str, _fx: &mut Vec<Effect>) {
        paste_to_input(app, text)
    }
    /// The mouse wheel, in rows (negative: up).
    fn scroll(&self, app: &mut App, delta: isize);
    /// The key context in charge when no dialog is open.
    fn ctx(&self, app: &App) -> Ctx;
    fn render(&self, app: &App, frame: &mut Frame, area: Rect);
}

struct Chat;
struct Templates;
struct Sessions;
struct Replay;
struct Compare;

/// The handler of `screen`: the one place a screen is chosen.
pub fn of(screen: Screen) -> &'static dyn ScreenHandler {
    match screen {
        Screen::Chat => &Chat,
        Screen::Templates => &Templates,
        Screen::Sessions => &Sessions,
        Screen::Replay => &Replay,
        Screen::Compare => &Compare,
    }
}

/// The key context in charge now: the top dialog's, else the shown screen's.
pub fn ctx(app: &App) -> Ctx {
    match app.modals.last() {
        Some(m) => m.ctx(),
        None => of(app.screen).ctx(app),
    }
}

/// Pasted text on a screen without a text field of its own goes to the message input.
fn paste_to_input(app: &mut App, text: &str) {
    app.chat.focus = Focus::Input;
    app.chat.input.insert_str(text);
}

impl ScreenHandler for Chat {
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
        super::chat::update::key(app, k, fx)
    }
    fn scroll(&self, app: &mut App, delta: isize) {
        super::render::transcript::scroll(app, delta)
    }
    fn ctx(&self, app: &App) -> Ctx {
        app.chat.ctx()
    }
    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::chat::view::render(app, frame, area)
    }
}

impl ScreenHandler for Templates {
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
        super::templates::update::key(app, k, fx)
    }
    fn paste(&self, app: &mut App, text: &str, fx: &mut Vec<Effect>) {
        super::templates::update::paste(app, text, fx)
    }
    fn scroll(&self, app: &mut App, delta: isize) {
        let s = &mut app.templates.scroll;
        *s = s.saturating_add_signed(delta as i16);
    }
    fn ctx(&self, app: &App) -> Ctx {
        app.templates.ctx()
    }
    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::templates::view::render(app, frame, area)
    }
}

impl ScreenHandler for Sessions {
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
        super::sessions::update::key(app, k, fx)
    }
    fn scroll(&self, app: &mut App, delta: isize) {
        super::sessions::update::scroll(app, delta)
    }
    fn ctx(&self, _app: &App) -> Ctx {
        Ctx::Sessions
    }
    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::sessions::view::render(app, frame, area)
    }
}

impl ScreenHandler for Replay {
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
        super::replay::update::key(app, k, fx)
    }
    fn scroll(&self, app: &mut App, delta: isize) {
        super::replay::update::scroll(app, delta)
    }
    fn ctx(&self, _app: &App) -> Ctx {
        Ctx::Replay
    }
    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::replay::view::render(app, frame, area)
    }
}

impl ScreenHandler for Compare {
    fn key(&self, app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
        super::compare::update::key(app, k, fx)
    }
    fn paste(&self, app: &mut App, text: &str, _fx: &mut Vec<Effect>) {
        super::compare::update::paste(app, text)
    }
    /// The wheel scrolls the columns' text (as pageup/pagedown do), never the chat behind the
    /// view.
    fn scroll(&self, app: &mut App, delta: isize) {
        super::compare::update::wheel(app, delta)
    }
    fn ctx(&self, _app: &App) -> Ctx {
        Ctx::Compare
    }
    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        super::compare::view::render(app, frame, area)
    }
}
