//! The session browser's keys: choosing, full-text search, opening a chat to continue it,
//! renaming, deleting (after the confirmation), exporting and opening the replay view.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{SessionOp, SessionRow};
use crate::session::ExportFormat;
use crate::session::SessionKind;
use crate::ui::app::{App, Ask, Confirm, Level, Modal, Screen};
use crate::ui::chat::conversation_list::switch;
use crate::ui::chat::state::Focus;
use crate::ui::effect::Effect;
use crate::ui::keymap::key_spec::KeySpec;
use crate::ui::keymap::{Cmd, Ctx};
use crate::ui::text_input::new_input;

/// The startup effect: read the sessions folder and bring the recent chats back.
pub fn init() -> Effect {
    Effect::Session(SessionOp::List { restore: true })
}

/// Shows the browser and reads the folder again.
pub fn open_browser(app: &mut App, fx: &mut Vec<Effect>) {
    app.screen = Screen::Sessions;
    app.sessions.browser.rows = None;
    app.sessions.browser.searching = false;
    fx.push(Effect::Session(SessionOp::List { restore: false }));
    let q = app.sessions.browser.query.clone();
    if !q.trim().is_empty() {
        fx.push(Effect::Session(SessionOp::Search(q)));
    }
}

/// Keys on the browser (no dialog open): typing into the search while it is on, the browser's
/// bindings, then quitting, ctrl+c (asks to quit), help and the other screens' keys.
pub fn key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let spec = KeySpec::from_event(&k);
    if app.sessions.browser.searching {
        return search_key(app, k, fx);
    }
    if let Some(cmd) = app.keymap.get(Ctx::Sessions, &spec) {
        return command(app, cmd, fx);
    }
    match app.keymap.get(Ctx::Global, &spec) {
        Some(Cmd::Quit) => app.quit = true,
        Some(Cmd::Interrupt) => app.modals.push(Modal::Confirm {
            what: Confirm::Quit,
            question: "Quit howdah?".into(),
        }),
        Some(Cmd::Help) => app.modals.push(Modal::Help {
            ctx: Some(Ctx::Sessions),
            scroll: 0,
            names: false,
        }),
        // The other screens' keys work from the browser too.
        Some(Cmd::Templates) => crate::ui::templates::library::open(app, fx),
        Some(Cmd::CompareOpen) => crate::ui::compare::open::open(app, fx),
        _ => {}
    }
}

fn search_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) {
    let b = &mut app.sessions.browser;
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match k.code {
        KeyCode::Enter | KeyCode::Down | KeyCode::Up => b.searching = false,
        KeyCode::Esc => {
            b.searching = false;
            b.query.clear();
            b.hits = None;
            b.selected = 0;
        }
        KeyCode::Backspace => {
            b.query.pop();
            b.selected = 0;
            fx.push(Effect::Session(SessionOp::Search(b.query.clone())));
        }
        KeyCode::Char(c) if plain => {
            b.query.push(c);
            b.selected = 0;
            fx.push(Effect::Session(SessionOp::Search(b.query.clone())));
        }
        _ => {}
    }
}

fn command(app: &mut App, cmd: Cmd, fx: &mut Vec<Effect>) {
    let row = app.sessions.browser.current();
    match cmd {
        Cmd::SessPrev | Cmd::SessNext => {
            let b = &mut app.sessions.browser;
            let n = b.visible().len();
            b.selected = if cmd == Cmd::SessNext {
                (b.selected + 1).min(n.saturating_sub(1))
            } else {
                b.selected.saturating_sub(1)
            };
        }
        Cmd::SessSearch => app.sessions.browser.searching = true,
        Cmd::SessFilter => {
            let b = &mut app.sessions.browser;
            b.filter = b.filter.next();
            b.selected = 0;
        }
        Cmd::SessRefresh => open_browser(app, fx),
        Cmd::SessClose => app.screen = Screen::Chat,
        _ => {
            let Some(row) = row else {
                app.notify(Level::Info, "no session selected");
                return;
            };
            row_command(app, cmd, row, fx);
        }
    }
}

fn row_command(app: &mut App, cmd: Cmd, row: SessionRow, fx: &mut Vec<Effect>) {
    if cmd == Cmd::SessDelete {
        let question = match &row.entry {
            Ok(s) => format!("Delete the session '{}'? Its file is removed.", s.title),
            Err(_) => format!("Delete the unreadable file {}?", row.path.display()),
        };
        app.sessions.browser.target = Some(row);
        app.modals.push(Modal::Confirm {
            what: Confirm::DeleteSession,
            question,
        });
        return;
    }
    let sum = match &row.entry {
        Ok(s) => s.clone(),
        Err(e) => {
            app.notify(
                Level::Error,
                format!("this file cannot be read, so it was left untouched: {e}"),
            );
            return;
        }
    };
    match cmd {
        Cmd::SessOpen | Cmd::SessReplay if sum.kind != SessionKind::Chat => app.notify(
            Level::Warn,
            format!(
                "'{}' is a {} session: only chats open here (`howdah session show {}`)",
                sum.title,
                sum.kind.as_str(),
                sum.id
            ),
        ),
        Cmd::SessOpen => match app
            .sessions
            .conv_of(&row.path)
            .and_then(|id| app.conv_index(id))
        {
            Some(i) => {
                switch(app, i);
                app.screen = Screen::Chat;
                app.chat.focus = Focus::Input;
            }
            None => fx.push(Effect::Session(SessionOp::Open {
                path: row.path,
                replay: false,
            })),
        },
        Cmd::SessReplay => {
            if app.generating() {
                app.notify(Level::Warn, "a reply is being generated: stop it first");
                return;
            }
            fx.push(Effect::Session(SessionOp::Open {
                path: row.path,
                replay: true,
            }))
        }
        Cmd::SessRename => {
            app.sessions.browser.target = Some(row);
            app.modals.push(Modal::Ask {
                ask: Ask::SessionTitle,
                text: new_input(vec![sum.title]),
                error: None,
            });
        }
        Cmd::SessExportMd | Cmd::SessExportJson => {
            let format = if cmd == Cmd::SessExportMd {
                ExportFormat::Md
            } else {
                ExportFormat::Json
            };
            let dest = crate::session::export_file::exports_dir().join(format!(
                "{}.{}",
                sum.id,
                format.ext()
            ));
            app.sessions.browser.target = Some(row);
            app.modals.push(Modal::Ask {
                ask: Ask::SessionExport(format),
                text: new_input(vec![dest.display().to_string()]),
                error: None,
            });
        }
        _ => {}
    }
}

/// The name prompt's answer for a session question.
pub fn ask_accept(
    app: &mut App,
    ask: Ask,
    value: &str,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    let Some(row) = app.sessions.browser.target.clone() else {
        return Ok(());
    };
    match ask {
        Ask::SessionTitle => {
            let title = crate::text::sanitize::sanitize_line(value.trim());
            let title = (!title.is_empty()).then_some(title);
            if let Some(i) = app
                .sessions
                .conv_of(&row.path)
                .and_then(|id| app.conv_index(id))
            {
                // An open conversation: its title is saved by autosave like any rename.
                let conv = &mut app.chat.convs[i];
                match &title {
                    Some(t) => {
                        conv.title = t.clone();
                        conv.titled = true;
                    }
                    None => {
                        conv.titled = false;
                        if let Some(u) = conv
                            .messages
                            .iter()
                            .find(|m| m.role == crate::engine::Role::User)
                        {
                            let text = u.body.text.clone();
                            conv.auto_title(&text);
                        }
                    }
                }
            }
            fx.push(Effect::Session(SessionOp::Rename {
                path: row.path,
                title,
            }));
            Ok(())
        }
        Ask::SessionExport(format) => {
            // A bare file name goes to the exports folder, like the suggested one.
            let dest = crate::session::export_file::resolve(value);
            if dest.as_os_str().is_empty() {
                return Err("give a file to write".into());
            }
            if dest.is_dir() {
                return Err(format!("{} is a folder: give a file name", dest.display()));
            }
            fx.push(Effect::Session(SessionOp::Export {
                path: row.path,
                format,
                dest,
            }));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The delete question was answered yes.
pub fn confirm_delete(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(row) = app.sessions.browser.target.take() else {
        return;
    };
    if let Some(id) = app.sessions.conv_of(&row.path) {
        // The file goes, and the conversation showing it closes with it.
        app.sessions.links.remove(&id);
        if let Some(g) = app.chat.generation.filter(|g| g.conv == id) {
            fx.push(Effect::Cancel { gen: g.gen });
            app.chat.generation = None;
            app.engine = crate::ui::app::EngineState::Ready;
        }
        if let Some(i) = app.conv_index(id) {
            app.chat.convs.remove(i);
            if app.chat.convs.is_empty() {
                app.add_conversation();
            }
            app.chat.current = app.chat.current.min(app.chat.convs.len() - 1);
        }
    }
    fx.push(Effect::Session(SessionOp::Delete(row.path)));
}

/// The mouse wheel on the browser: moves the selection.
pub fn scroll(app: &mut App, delta: isize) {
    let b = &mut app.sessions.browser;
    let n = b.visible().len();
    b.selected = b
        .selected
        .saturating_add_signed(delta.signum())
        .min(n.saturating_sub(1));
}
