//! Sessions: every conversation and comparison/evaluation run saved as it happens, one JSON file
//! per session in `paths::sessions_dir()`, with enough recorded to replay each reply exactly.
//!
//! # API for the TUI (browser, chat, replay view) and for `compare`/`eval`
//!
//! ```no_run
//! use howdah::session::{Store, Session, SessionKind, Message, ReplyRecord};
//! # fn demo() -> Result<(), howdah::session::SessionError> {
//! let store = Store::user();                        // the user's sessions folder
//! for item in store.list()? {                       // newest first, broken files last
//!     match &item.entry {
//!         Ok(sum) => println!("{} {} {:?} {}", sum.id, sum.title, sum.model, sum.messages),
//!         Err(e) => println!("{}: {e}", item.id),   // shown, never touched
//!     }
//! }
//! let hits = store.search("rust")?;                 // Vec<Summary>
//! let mut chat = store.create_new(SessionKind::Chat)?;  // on disk at once
//! chat.push(Message::new(howdah::engine::Role::User, "hi"))?;   // appended + saved atomically
//! // after a reply: chat.push(Message::reply(done.text.clone(), ReplyRecord { .. }))?
//! // or `record::reply_record(&info, &settings, &sampling, &done)` builds the record.
//! store.rename(&chat.session.id, Some("My title"))?;
//! let again = store.open(&chat.session.id)?;       // id, unique id prefix, or path
//! store.delete(&again.session.id)?;
//! # Ok(()) }
//! ```
//!
//! Replay (`replay::replay`) re-runs the user turns and reports, per turn, the recorded and the
//! replayed text, a word-level diff (`diff::word_diff`) and `Outcome::Identical` or
//! `Outcome::Differs { token, word }`. Export/import live in `export` and `import`.

mod atomic;
pub mod diff;
mod error;
pub mod export;
pub mod format;
pub mod import;
mod migrate;
pub mod model_hash;
pub mod record;
pub mod replay;
mod store;

pub use atomic::{ensure_private_dir, write_atomic};
pub use error::SessionError;
pub use format::{
    Message, ModelRef, PromptMode, PromptSetup, ReplyRecord, ReplyStats, Run, Session, SessionKind,
    Shot, SCHEMA_VERSION,
};
pub use migrate::{decode, Decoded};
pub use store::{encode, read_file, sanitize_session, Listed, SessionFile, Store, Summary};
