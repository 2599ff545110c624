//! The runtime's session thread: runs `SessionOp`s one after another (saves stay in order and
//! never block the UI thread) and sends each result back as an action.

use std::path::Path;
use std::sync::mpsc;

use super::state::{SessionEvent, SessionOp, SessionRow, RESTORE};
use crate::session::ExportFormat;
use crate::session::{record, SessionFile, SessionKind, Store};
use crate::ui::action::Action;

/// A handle on the session thread; dropping it ends the thread once its queue is empty.
pub struct Worker {
    tx: mpsc::Sender<SessionOp>,
}

impl Worker {
    pub fn spawn(store: Store, send: impl Fn(Action) + Send + 'static) -> Worker {
        let (tx, rx) = mpsc::channel::<SessionOp>();
        std::thread::Builder::new()
            .name("howdah-sessions".into())
            .spawn(move || {
                for op in rx {
                    if let Some(ev) = run_op(&store, op) {
                        send(Action::Session(ev));
                    }
                }
            })
            .ok();
        Worker { tx }
    }

    pub fn submit(&self, op: SessionOp) {
        // The thread only stops when this handle is dropped.
        let _ = self.tx.send(op);
    }
}

/// Runs one operation (blocking); the result to show, if any. Successful saves are silent.
pub fn run_op(store: &Store, op: SessionOp) -> Option<SessionEvent> {
    match op {
        SessionOp::Save(mut f) => f
            .save()
            .err()
            .map(|e| SessionEvent::Failed(format!("could not save the session: {e}"))),
        SessionOp::Delete(path) => Some(SessionEvent::Deleted(
            std::fs::remove_file(&path)
                .map(|()| path.clone())
                .map_err(|e| format!("could not delete {}: {e}", path.display())),
        )),
        SessionOp::List { restore } => Some(list(store, restore)),
        SessionOp::Search(query) => {
            let ids = store
                .search(&query)
                .map(|hits| hits.into_iter().map(|s| s.id).collect())
                .unwrap_or_default();
            Some(SessionEvent::Found { query, ids })
        }
        SessionOp::Rename { path, title } => Some(SessionEvent::Renamed(
            store
                .rename(&path.to_string_lossy(), title.as_deref())
                .map(Box::new)
                .map_err(|e| format!("could not rename the session: {e}")),
        )),
        SessionOp::Open { path, replay } => Some(SessionEvent::Opened {
            file: SessionFile::open(&path)
                .map(Box::new)
                .map_err(|e| e.to_string()),
            replay,
        }),
        SessionOp::Export { path, format, dest } => {
            Some(SessionEvent::Exported(export_to(&path, format, &dest)))
        }
        SessionOp::HashModel(info) => {
            Some(SessionEvent::ModelRef(Box::new(record::model_ref(&info))))
        }
    }
}

fn list(store: &Store, restore: bool) -> SessionEvent {
    let listed = match store.list() {
        Ok(l) => l,
        Err(e) => {
            return SessionEvent::Listed {
                rows: vec![SessionRow {
                    id: store.dir().display().to_string(),
                    path: store.dir().to_path_buf(),
                    entry: Err(e.to_string()),
                }],
                restore: restore.then(Vec::new),
            }
        }
    };
    let rows: Vec<SessionRow> = listed
        .into_iter()
        .map(|l| SessionRow {
            id: l.id,
            path: l.path,
            entry: l.entry.map_err(|e| e.to_string()),
        })
        .collect();
    let restore = restore.then(|| {
        rows.iter()
            .filter_map(|r| r.entry.as_ref().ok())
            .filter(|s| s.kind == SessionKind::Chat && s.messages > 0)
            .take(RESTORE)
            .filter_map(|s| SessionFile::open(&s.path).ok())
            .collect()
    });
    SessionEvent::Listed { rows, restore }
}

/// Writes a session as Markdown or OpenAI-style JSON to `dest` (creating its folder).
pub fn export_to(
    path: &Path,
    format: ExportFormat,
    dest: &Path,
) -> Result<std::path::PathBuf, String> {
    let s = crate::session::read_file(path)
        .map_err(|e| e.to_string())?
        .session;
    // The same writer as `howdah session export`: atomic and private.
    crate::session::write_export(dest, format.render(&s).as_bytes())
}
