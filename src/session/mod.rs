//! Sessions: every conversation and comparison/evaluation run saved as it happens, one JSON file
//! per session in `paths::sessions_dir()`, with enough recorded to replay each reply exactly.
//!
//! # Browsing and chatting (TUI)
//!
//! ```no_run
//! use howdah::engine::Role;
//! use howdah::session::{Message, SessionKind, Store};
//! # fn demo() -> Result<(), howdah::session::SessionError> {
//! let store = Store::user(); // the user's sessions folder
//! for item in store.list()? {
//!     // Newest first; unreadable files last, with the reason. They are never modified.
//!     match &item.entry {
//!         Ok(sum) => println!("{} {} {:?} {} {}", sum.id, sum.title, sum.model, sum.updated_at, sum.messages),
//!         Err(e) => println!("{}: {e}", item.id),
//!     }
//! }
//! let hits = store.search("rust")?; // title, messages and run outputs, case-insensitive
//! let mut chat = store.create_new(SessionKind::Chat)?; // on disk at once
//! chat.push(Message::new(Role::User, "hi"))?; // appended and saved atomically before returning
//! // When the reply is done:
//! //   let record = record::reply_record(ReplyInput { model: &model_ref, info: &info,
//! //       asked: &settings, sampling: &sampling, mode: PromptMode::Chat, setup, prompt, done: &done });
//! //   chat.push(Message::reply(done.text.clone(), record))?;
//! // (`record::model_ref(&info)` hashes the model once per file and caches it: call it at load.)
//! store.rename(&chat.session.id, Some("My title"))?; // None: back to the first user line
//! let again = store.open(&chat.session.id)?; // an id, a unique start of one, or a path
//! let to_send = again.session.chat_messages(); // continue: the conversation as engine messages
//! store.delete(&again.session.id)?;
//! # let _ = (hits, to_send); Ok(()) }
//! ```
//!
//! # Comparison and evaluation runs
//!
//! `store.create_new(SessionKind::Compare)` (or `Eval`), then `file.push_run(run)` per variant,
//! where `Run::new(label)` has optional `model`, `engine`, `sampling`, `setup`, `prompt`,
//! `output`, `stats`, named `figures` (f64) and free-form `data` (JSON).
//!
//! # Replay (TUI replay view)
//!
//! `replay::plan(&session, &opts, &mut warnings)` gives one `TurnPlan` per answered user turn
//! (prompt = the recorded conversation up to that turn); `Replayer::new(&engine).run_turn(&plan,
//! on_token)` replays one and returns a `TurnReplay` with `recorded`, `replayed`, a word-level
//! `diff` (`diff::Span`s: equal/removed/added) and `outcome` (`Outcome::Identical` or
//! `Outcome::Differs { token, word, byte }`, 0-based). `replay::replay` does all turns.
//! `ReplayOptions { model, sampling: SamplingFrom::Recorded{..} | Current(s), threads, n_ctx }`
//! chooses recorded or current settings. The replayer loads the models it needs on the engine it
//! is given: reload the chat's own model afterwards.
//!
//! Export and import: `export::{to_markdown, to_openai_json}`, `import::{import_file,
//! import_bytes}` (returns sessions to `store.create`).

pub mod alternatives;
mod atomic;
pub mod diff;
mod error;
pub mod export;
pub mod export_file;
pub mod format;
pub mod import;
mod lock;
mod migrate;
pub mod model_hash;
pub mod record;
pub mod replay;
pub mod stale;
mod store;

pub use atomic::{ensure_private_dir, write_atomic};
pub use error::SessionError;
pub use export_file::{write_export, ExportFormat};
pub use format::{
    Message, ModelRef, PromptMode, PromptSetup, ReplyRecord, ReplyStats, Run, Session, SessionKind,
    Shot, SCHEMA_VERSION,
};
pub use migrate::{decode, Decoded};
pub use store::{encode, read_file, sanitize_session, Listed, SessionFile, Store, Summary};
