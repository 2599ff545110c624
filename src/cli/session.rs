//! `howdah session list|show|search|export|import|rename|delete`: saved sessions from the
//! command line. SESSION is a session id (or a unique start of one) or a path to a file.

use crate::cli::output::{eoutln, out, outln};

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::session::{export, import, write_export, Store, Summary};
use crate::text::sanitize::sanitize_line;

#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    #[command(subcommand)]
    pub command: SessionCommand,
}

/// The one export format type, shared with the TUI.
pub use crate::session::ExportFormat;

#[derive(Debug, Clone, Subcommand)]
pub enum SessionCommand {
    /// List saved sessions, newest first (unreadable files are listed with the reason)
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print a session's conversation and settings (as Markdown)
    Show { session: String },
    /// List sessions whose title or messages contain TEXT
    Search { text: String },
    /// Write a session as Markdown or JSON, or preference pairs as JSON Lines
    Export {
        /// The session (with --preferences: all sessions when omitted)
        session: Option<String>,
        /// Write every arena vote and every regenerated reply kept over its alternative as
        /// {"prompt": [...], "chosen": "...", "rejected": "..."} lines to FILE
        #[arg(long = "preferences", value_name = "FILE.jsonl")]
        preferences: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// Write to FILE instead of standard output
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Create sessions from an OpenAI-form JSON, a llama.cpp web UI export or a session file
    Import { file: PathBuf },
    /// Set a session's title (an empty title goes back to the first user line)
    Rename { session: String, title: String },
    /// Delete a session file
    Delete { session: String },
}

pub fn run(a: &SessionArgs) -> Result<()> {
    let store = Store::user();
    match &a.command {
        SessionCommand::List { json } => list(&store, *json),
        SessionCommand::Show { session } => {
            let f = store.open(session)?;
            out!("{}", export::to_markdown(&f.session));
            eoutln!("howdah: {}", f.path.display());
            Ok(())
        }
        SessionCommand::Search { text } => {
            let hits = store.search(text)?;
            if hits.is_empty() {
                eoutln!("howdah: no session contains {text:?}");
            }
            for s in &hits {
                outln!("{}", summary_line(s));
            }
            Ok(())
        }
        SessionCommand::Export {
            session,
            format,
            output,
            preferences,
        } => {
            if let Some(path) = preferences {
                return super::arena::export_preferences(&store, session.as_deref(), path);
            }
            let Some(session) = session else {
                anyhow::bail!("export which session? Give its id (see `howdah session list`)");
            };
            let f = store.open(session)?;
            let text = format.render(&f.session);
            match output {
                Some(path) => {
                    let written =
                        write_export(path, text.as_bytes()).map_err(anyhow::Error::msg)?;
                    eoutln!("howdah: exported {} to {}", f.session.id, written.display());
                }
                None => crate::cli::output::out_str(&text),
            }
            Ok(())
        }
        SessionCommand::Import { file } => {
            let sessions = import::import_file(file).map_err(anyhow::Error::msg)?;
            for s in sessions {
                let n = s.messages.len();
                let problems = import::setting_problems(&s);
                let f = store.create(s)?;
                for p in problems {
                    eoutln!("howdah: warning: {p}");
                }
                outln!("{}", f.path.display());
                eoutln!(
                    "howdah: imported {:?} ({n} messages) as {}",
                    f.session.display_title(),
                    f.session.id
                );
            }
            Ok(())
        }
        SessionCommand::Rename { session, title } => {
            let f = store.rename(session, Some(title))?;
            eoutln!(
                "howdah: {} is now {:?}",
                f.session.id,
                f.session.display_title()
            );
            Ok(())
        }
        SessionCommand::Delete { session } => {
            let path = store.delete(session)?;
            eoutln!("howdah: deleted {}", path.display());
            Ok(())
        }
    }
}

fn list(store: &Store, json: bool) -> Result<()> {
    let items = store.list()?;
    let recoverable = crate::session::stale::clean(store.dir());
    if json {
        let v: Vec<serde_json::Value> = items
            .iter()
            .map(|l| match &l.entry {
                Ok(s) => serde_json::json!({
                    "id": s.id, "path": s.path, "title": s.title, "kind": s.kind,
                    "model": s.model, "created_at": s.created_at, "updated_at": s.updated_at,
                    "messages": s.messages, "runs": s.runs,
                }),
                Err(e) => serde_json::json!({ "id": l.id, "path": l.path, "error": e.to_string() }),
            })
            .chain(recoverable.iter().map(|r| {
                serde_json::json!({
                    "recoverable": r.path, "target": r.target, "updated_at": r.updated_at,
                })
            }))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for r in &recoverable {
        let id = r.target.file_stem().unwrap_or_default().to_string_lossy();
        outln!(
            "{:<22} RECOVERABLE  unfinished save from {}, newer than the file: `howdah session import {}` restores it",
            sanitize_line(&id),
            r.updated_at.format("%Y-%m-%d %H:%M"),
            r.path.display()
        );
    }
    if items.is_empty() && recoverable.is_empty() {
        eoutln!("howdah: no sessions in {}", store.dir().display());
        return Ok(());
    }
    let mut bad = 0;
    for l in &items {
        match &l.entry {
            Ok(s) => outln!("{}", summary_line(s)),
            Err(e) => {
                bad += 1;
                outln!("{:<22} UNREADABLE  {}", l.id, sanitize_line(&e.to_string()));
            }
        }
    }
    if bad > 0 {
        eoutln!("howdah: {bad} session file(s) cannot be read; they were left untouched");
    }
    Ok(())
}

fn summary_line(s: &Summary) -> String {
    format!(
        "{:<22} {}  {:<7} {:>4} msgs  {:<32}  {}",
        s.id,
        s.updated_at.format("%Y-%m-%d %H:%M"),
        s.kind.as_str(),
        s.messages,
        sanitize_line(s.model.as_deref().unwrap_or("-")),
        sanitize_line(&s.title)
    )
}
