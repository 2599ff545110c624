//! Results of session file work, back on the UI thread: the folder listing (and the recent
//! chats brought back at start), search hits, an opened session, renames, deletions, exports,
//! the model's hash, and save errors.

use super::state::{SessionEvent, SessionOp};
use crate::ui::app::{App, Level, Screen};
use crate::ui::chat::conversation_list::switch;
use crate::ui::chat::state::Focus;
use crate::ui::effect::Effect;
use crate::ui::update::autosave::open_conversation;

pub fn event(app: &mut App, ev: SessionEvent, fx: &mut Vec<Effect>) {
    match ev {
        SessionEvent::Listed { rows, restore } => {
            if let Some(files) = restore {
                for f in files {
                    open_conversation(app, f);
                }
            }
            let b = &mut app.sessions.browser;
            b.rows = Some(rows);
            b.selected = b.selected.min(b.visible().len().saturating_sub(1));
        }
        SessionEvent::Found { query, ids } => {
            let b = &mut app.sessions.browser;
            if query == b.query {
                b.hits = Some(ids);
                b.selected = b.selected.min(b.visible().len().saturating_sub(1));
            }
        }
        SessionEvent::Opened { file, replay } => match file {
            Ok(f) if replay => crate::ui::replay::update::open(app, f.session),
            Ok(f) => {
                let i = open_conversation(app, *f);
                switch(app, i);
                app.screen = Screen::Chat;
                app.chat.focus = Focus::Input;
                app.notify(
                    Level::Info,
                    "session opened: what you send now is added to it",
                );
            }
            Err(e) => app.notify(Level::Error, e),
        },
        SessionEvent::Renamed(r) => match r {
            Ok(f) => {
                let title = f.session.display_title();
                if let Some(rows) = &mut app.sessions.browser.rows {
                    for row in rows.iter_mut().filter(|r| r.path == f.path) {
                        if let Ok(s) = &mut row.entry {
                            s.title = title.clone();
                            // A rename is a save: the list shows its new time.
                            s.updated_at = f.session.updated_at;
                        }
                    }
                }
                if let Some(link) = app
                    .sessions
                    .conv_of(&f.path)
                    .and_then(|id| app.sessions.links.get_mut(&id))
                {
                    link.session.title = f.session.title.clone();
                }
                app.notify(Level::Info, format!("renamed to '{title}'"));
            }
            Err(e) => app.notify(Level::Error, e),
        },
        SessionEvent::Deleted(r) => match r {
            Ok(path) => {
                if let Some(rows) = &mut app.sessions.browser.rows {
                    rows.retain(|r| r.path != path);
                }
                let b = &mut app.sessions.browser;
                b.selected = b.selected.min(b.visible().len().saturating_sub(1));
                if app.screen == Screen::Sessions {
                    app.notify(Level::Info, format!("deleted {}", path.display()));
                }
            }
            Err(e) => app.notify(Level::Error, e),
        },
        SessionEvent::Exported(r) => match r {
            Ok(path) => app.notify(Level::Info, format!("exported to {}", path.display())),
            Err(e) => app.notify(Level::Error, format!("export failed: {e}")),
        },
        SessionEvent::ModelRef(m) => {
            if app.model.as_ref().is_some_and(|i| i.path == m.path) {
                backfill_hash(app, &m, fx);
                app.sessions.model_ref = Some(*m);
            }
        }
        SessionEvent::Failed(e) => app.notify(Level::Error, e),
    }
}

/// Replies finished while the model was still being hashed get the hash now.
fn backfill_hash(app: &mut App, m: &crate::session::ModelRef, fx: &mut Vec<Effect>) {
    for file in app.sessions.links.values_mut() {
        let mut changed = false;
        for r in file
            .session
            .messages
            .iter_mut()
            .filter_map(|x| x.reply.as_mut())
        {
            if r.model.path == m.path && r.model.size == m.size && r.model.sha256.is_none() {
                r.model.sha256 = m.sha256.clone();
                changed = true;
            }
        }
        if changed {
            fx.push(Effect::Session(SessionOp::Save(Box::new(file.clone()))));
        }
    }
}
